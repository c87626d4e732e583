from . import client, people  # noqa: F401  (registrations)
