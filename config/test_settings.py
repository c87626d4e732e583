"""Settings for the test suite: the real settings, with a throwaway key and fast hashing."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# The same settings on every machine: a developer's .env (written by run.sh) is not read.
os.environ.setdefault("DJANGO_ENV_FILE", os.devnull)

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; production keeps PBKDF2
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = tempfile.mkdtemp(prefix="test-media-")  # generated PDFs stay out of the working tree
# DEBUG is off, as in production, but the test client and the browser tests' live server speak
# plain HTTP: no redirect to HTTPS, and cookies the browser sends back over HTTP (to sign in).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The browser tests' live server is a development server (a thread per request): no persistent
# connections, as under runserver.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
