from . import catalogue, organisation, pricing, stock  # noqa: F401  (registrations)
