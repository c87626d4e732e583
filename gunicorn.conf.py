"""Gunicorn in production: `gunicorn -c gunicorn.conf.py config.wsgi` (README, "Run it").

Defaults fit any number of cores; each is an environment variable:

* WEB_CONCURRENCY: worker processes (default 2 x cores + 1, the cores this process may use).
  One worker let two slow requests of one company hold up every other company.
* GUNICORN_THREADS: threads per worker (default 4, `gthread`). A thread waiting on the database
  releases the interpreter, so a worker keeps answering while one of its requests waits. Each
  thread keeps its own database connection (CONN_MAX_AGE): workers x threads connections per
  host (20 on two cores), well inside PostgreSQL's default max_connections of 100.
* GUNICORN_TIMEOUT: seconds before a worker that stopped answering is restarted (default 60, above
  STATEMENT_TIMEOUT_MS and far above LIST_STATEMENT_TIMEOUT_MS, which are what bound a request's
  database time: with threads, gunicorn cannot stop one request on its own).
* GUNICORN_BIND (default 0.0.0.0:$PORT, PORT 8000).
* FORWARDED_ALLOW_IPS: addresses of the reverse proxy whose X-Forwarded-Proto is trusted for the
  request's scheme (default 127.0.0.1; the page URLs in list answers use it, so a TLS-terminating
  proxy elsewhere must be listed).
* GUNICORN_HEADER_MAP (default `dangerous`): the official SDK sends its refresh token in a
  `refresh_token` header (`GET /authenticate`), and gunicorn drops headers with an underscore
  unless told to map them. Mapping them lets a client send `X_Forwarded_Proto` that reads like a
  proxy's `X-Forwarded-Proto` to Django: the app reads no proxy header from Django's META (the
  scheme comes from gunicorn's own forwarded_allow_ips check, which is not fooled). Set `drop` if
  no client uses the SDK's re-authentication.
"""

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this container or cgroup may use
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores() + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so slow growth of a process's memory never accumulates.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
header_map = os.environ.get("GUNICORN_HEADER_MAP") or "dangerous"
accesslog = "-"
errorlog = "-"
