from . import serials  # noqa: F401  (registrations)
