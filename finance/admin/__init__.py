from . import banks, serials, terms  # noqa: F401  (registrations)
