from . import serials, terms  # noqa: F401  (registrations)
