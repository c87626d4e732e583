from . import banks, checks, contracts, serials, terms  # noqa: F401  (registrations)
