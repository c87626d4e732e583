from . import banks, checks, contracts, payments, serials, terms  # noqa: F401  (registrations)
