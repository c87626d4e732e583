from . import catalogue, invoices, organisation, pricing  # noqa: F401  (registrations)
