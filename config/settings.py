"""Django settings, read from the environment (django-environ).

Every knob an operator turns is an environment variable; the defaults give a working
embedded setup (SQLite file in the project, DEBUG off unless asked for).
"""

import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables the environment does not set are read from .env in the project (run.sh writes one for
# development: DEBUG=1 and a generated SECRET_KEY); DJANGO_ENV_FILE names another file.
environ.Env.read_env(env.path("DJANGO_ENV_FILE", default=BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-dev-only-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:  # required: refuse to start without one
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set: set it in the environment (or in .env), or set DEBUG=1 for development "
            "(./run.sh writes a .env with both)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS (`manage.py check --deploy` is clean): on by default when DEBUG is off, each switchable.
# Plain HTTP to http://127.0.0.1 (scripts/fuzz-schema.sh, a load balancer's health check) needs
# SECURE_SSL_REDIRECT=0; /healthz is never redirected.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Strict-Transport-Security on HTTPS answers: a year, subdomains included, preload consent
# (a domain is on browsers' preload list only once its owner submits it). 0 turns HSTS off.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS proxy that is not gunicorn's FORWARDED_ALLOW_IPS: the header it sets on HTTPS
# requests (and strips from clients'), e.g. `X-Forwarded-Proto` (value `https`) or
# `X-Forwarded-Ssl=on`. Unset: a request is secure only when the server itself says so.
_proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER", default="").strip()
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition("=")
    _header = _header.strip()
    if not _header.replace("-", "").replace("_", "").isalnum():
        raise environ.ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={_proxy_ssl_header!r}: expected a header name, e.g. X-Forwarded-Proto"
        )
    _meta = _header.upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (_meta if _meta.startswith("HTTP_") else f"HTTP_{_meta}", _value.strip() or "https")

# Largest page a client may ask for (per_page, limit, pageSize, $top). Above it: 400 naming it.
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)

# Access tokens (JWT, HS256) from POST /v1/auth/token and GET /authenticate. Changing the signing
# key invalidates every token already issued (clients fall back to their key or refresh token).
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY)
ACCESS_TOKEN_TTL_SECONDS = env.int("ACCESS_TOKEN_TTL_SECONDS", default=900)
REFRESH_TOKEN_TTL_SECONDS = env.int("REFRESH_TOKEN_TTL_SECONDS", default=30 * 24 * 3600)

INSTALLED_APPS = [
    "core.apps.AdminConfig",  # django.contrib.admin with the back office site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files, no CDN
    "core",
    "clients",
    "sales",
    "finance",
    "assets",
    "workorders",
    "ocr",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
APPEND_SLASH = False  # documented paths have no trailing slash; never redirect a POST

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections halve the cost of a request (PERFORMANCE-NOTES.md, lesson 4) in
# production (gunicorn: a fixed set of threads). Not under runserver (run.sh), whose thread per
# request would leave a connection per thread open until garbage collection (Django's advice).
DEV_SERVER = sys.argv[1:2] == ["runserver"]
DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEV_SERVER else env.int("CONN_MAX_AGE", default=600)
# Off by default: a health check is a `SELECT 1` before every request's first query (a round trip
# per request on the hottest lists). Turn it on where the database restarts under the app.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parallel query buys nothing on two cores; JIT compilation costs more than it saves on short
    # API queries; a runaway regex or filter must not hold a backend.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c max_parallel_workers_per_gather=0 -c jit=off "
        f"-c statement_timeout={env.int('STATEMENT_TIMEOUT_MS', default=30000)}"
    )

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Uploaded and generated files (PDFs of documents: core/pdf) in the default storage.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# How long a PDF link of POST /quick-convert-to-pdf works (seconds).
PDF_LINK_TTL_SECONDS = env.int("PDF_LINK_TTL_SECONDS", default=86400)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Serves the admin's assets with DEBUG off too (WhiteNoise; `collectstatic` fills STATIC_ROOT).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # works before collectstatic has run (dev, tests)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.auth.HasTenant"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ResourceAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.handle_exception",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Field Service Back Office API",
    "DESCRIPTION": (
        "Clients, catalogue, stock, invoices, contracts, assets and work orders. "
        "Authenticate with `Authorization: Bearer <api key or access token>` (or the `api-key` header). "
        "`POST /v1/auth/token` exchanges a key for a short-lived access token."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["core.api.schema.only_documented_paths"],
    # Security schemes come from the authentication class's extension (core/api/auth.py).
    "ENUM_NAME_OVERRIDES": {
        "ContractStatusEnum": "finance.models.contracts.Contract.Status",
        "ContractInstallmentStatusEnum": ["pending", "paid", "overdue", "cancelled"],
        "RefundStatusEnum": "finance.models.refunds.Refund.Status",
    },
    # /api/docs/ and /api/redoc/ load their scripts from the project's static files (pinned in
    # requirements.txt), so they work on a machine without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own `django` logger has a console handler of its own (with DEBUG on) and passes its
    # records on to the root's: every line twice. Its records go through the root's handler only.
    # (`django.server`, runserver's request lines, keeps its handler and does not propagate.)
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}

# --- Query cost: what one list or search may cost (core/api/cost.py, deadline.py, throttling.py) ---
# Statement timeout of every list and search (count included), far below STATEMENT_TIMEOUT_MS:
# a query still running after it is stopped and answered with a 400 (0: only the global one).
LIST_STATEMENT_TIMEOUT_MS = env.int("LIST_STATEMENT_TIMEOUT_MS", default=3000)
# Pattern operators (like, ilike, similar, regex, OData contains/startswith/endswith, `search`)
# per query, and regular expressions among them; more is a 400 naming the limit.
QUERY_MAX_PATTERN_OPERATORS = env.int("QUERY_MAX_PATTERN_OPERATORS", default=10)
QUERY_MAX_REGEX_OPERATORS = env.int("QUERY_MAX_REGEX_OPERATORS", default=3)
# Per company (API key's tenant): expensive queries (with pattern operators) running at once
# (0: no limit) and per period (DRF rate syntax, e.g. 60/min; empty: no limit). Past either: 429.
EXPENSIVE_QUERY_CONCURRENCY = env.int("EXPENSIVE_QUERY_CONCURRENCY", default=2)
EXPENSIVE_QUERY_RATE = env("EXPENSIVE_QUERY_RATE", default="60/min")
_rate, _, _period = EXPENSIVE_QUERY_RATE.partition("/")
if EXPENSIVE_QUERY_RATE and not (_rate.isdigit() and _period in ("s", "sec", "m", "min", "h", "hour", "d", "day")):
    raise environ.ImproperlyConfigured(
        f"EXPENSIVE_QUERY_RATE={EXPENSIVE_QUERY_RATE!r}: expected e.g. 60/min, 5/s, 1000/hour"
    )
# The throttles' counters: local memory (per process) unless CACHE_URL names a shared cache, as it
# must with several workers, e.g. rediscache://127.0.0.1:6379/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
