from . import catalogue, invoices, organisation, pricing, stock  # noqa: F401  (registrations)
