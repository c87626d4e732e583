from . import banks, checks, payments, serials, terms  # noqa: F401  (registrations)
