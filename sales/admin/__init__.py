from . import catalogue, organisation, pricing  # noqa: F401  (registrations)
