from . import banks, checks, serials, terms  # noqa: F401  (registrations)
