"""Per-company limits on expensive queries, kept in Django's cache so every worker shares them.

An *expensive* query is one whose client wrote pattern operators (core/api/cost.py: where-clause
`_like` ... `_regex`, OData `contains`/`startswith`/`endswith`, dotted `.icontains`). Each company
(the API key's tenant) may run at most:

* EXPENSIVE_QUERY_CONCURRENCY of them at once (0: no limit), so one company cannot occupy the
  workers other companies need;
* EXPENSIVE_QUERY_RATE of them per period (DRF's rate syntax, `60/min`; empty: no limit).

Past either limit the answer is a 429 with Retry-After. Cheap queries are never counted. With
several workers the cache must be shared (CACHE_URL, e.g. Redis): a local-memory cache counts per
process.
"""

import math
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from .cost import QueryCost

RUNNING_KEY = "expensive-queries-running:{tenant}"
# A worker that dies mid-query leaves its slot taken until the counter expires this long after
# the company's last expensive query.
RUNNING_TTL_SECONDS = 120


class ExpensiveQueryThrottle(SimpleRateThrottle):
    """DRF's sliding-window rate, per company, over expensive queries only."""

    scope = "expensive_query"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self):  # the rate is read at each request, so a settings change applies at once
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        return settings.EXPENSIVE_QUERY_RATE or None

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.tenant.pk}


def _seconds(value) -> int:
    return max(1, math.ceil(value or 0))


@contextmanager
def expensive_query_slot(request, cost: QueryCost):
    """Run an expensive query within its company's limits, or refuse it with a 429 (Throttled)."""
    if not cost.expensive:
        yield
        return
    limit = settings.EXPENSIVE_QUERY_CONCURRENCY
    key = RUNNING_KEY.format(tenant=request.user.tenant.pk)
    if limit:
        running = _acquire(key)
        if running > limit:
            _release(key)
            wait = _seconds(settings.LIST_STATEMENT_TIMEOUT_MS / 1000)
            raise Throttled(
                wait=wait,
                detail=f"Too many expensive queries (pattern operators) of your company at once: at most {limit}.",
            )
    try:
        throttle = ExpensiveQueryThrottle()
        if throttle.rate and not throttle.allow_request(request, None):
            wait = _seconds(throttle.wait())
            raise Throttled(
                wait=wait,
                detail=f"Too many expensive queries (pattern operators) from your company: at most {throttle.rate}.",
            )
        yield
    finally:
        if limit:
            _release(key)


def _acquire(key) -> int:
    cache.add(key, 0, RUNNING_TTL_SECONDS)
    try:
        running = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, RUNNING_TTL_SECONDS)
        running = 1
    cache.touch(key, RUNNING_TTL_SECONDS)
    return running


def _release(key):
    try:
        if cache.decr(key) < 0:  # released after its counter had expired and restarted
            cache.set(key, 0, RUNNING_TTL_SECONDS)
    except ValueError:  # the counter expired meanwhile: nothing to give back
        pass
