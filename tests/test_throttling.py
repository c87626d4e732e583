"""Per-company limits on expensive queries (those with pattern operators): a rate per period and
a number running at once, shared by every dialect, answered with a 429 and Retry-After in the
resource's error shape. Another company, and cheap queries, are never held back by them."""

import uuid
from types import SimpleNamespace

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from core.api.cost import QueryCost
from core.api.throttling import expensive_query_slot
from tests.factories import ClientChannelFactory, ClientFactory

pytestmark = pytest.mark.django_db

EXPENSIVE = {"where": {"name": {"_ilike": "%foods%"}}}


def clear_local_cache():
    if isinstance(caches["default"], LocMemCache):  # never flush a shared server
        cache.clear()


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.EXPENSIVE_QUERY_RATE = "3/min"
    settings.EXPENSIVE_QUERY_CONCURRENCY = 0
    clear_local_cache()
    yield
    clear_local_cache()


@pytest.fixture
def rows(tenant, other_tenant):
    ClientFactory(tenant=tenant, name="Alpha Foods")
    ClientFactory(tenant=other_tenant, name="Other Foods")


def expensive(api, path="/v1/client/search"):
    return api.post(path, EXPENSIVE, format="json")


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["success"] is False and "expensive queries" in body["error"]


def test_the_rate_holds_back_one_company_only(api, other_api, rows):
    for _ in range(3):
        assert expensive(api).status_code == 200
    assert_throttled(expensive(api))
    assert expensive(other_api).status_code == 200  # another company has its own count


def test_cheap_queries_are_never_counted_nor_held_back(api, rows):
    for _ in range(5):  # more than the rate
        assert api.post("/v1/client/search", {"where": {"name": {"_eq": "x"}}}, format="json").status_code == 200
        assert api.get("/v1/client", {"search": "foods"}).status_code == 200  # the one-term search is cheap
    for _ in range(3):
        assert expensive(api).status_code == 200
    assert_throttled(expensive(api))
    assert api.get("/v1/client", {"search": "foods", "$filter": "name eq 'x'"}).status_code == 200
    assert api.post("/gql/v1/clients", {}, format="json").status_code == 200
    assert api.get("/clients", {"searchText": "foods"}).status_code == 200
    assert api.get("/v1/tag").status_code == 200


def test_every_dialect_counts_and_is_held_back(api, tenant, rows):
    ClientChannelFactory(tenant=tenant, name="Retail")
    assert api.get("/v1/client", {"$filter": "contains(name,'Foods')"}).status_code == 200
    assert expensive(api, "/gql/v1/clients/search").status_code == 200
    assert api.get("/clients", {"$filter": "startswith(lastName,'L')"}).status_code == 200
    assert_throttled(api.get("/v1/client", {"integration_meta.erp.icontains": "x"}))
    assert_throttled(api.get("/v1/client", {"$filter": "endswith(name,'s')"}))
    assert_throttled(expensive(api))
    assert_throttled(expensive(api, "/gql/v1/clients/search"))
    assert_throttled(api.get("/clients", {"$filter": "contains(lastName,'x')"}))
    # family C's envelope has the same error shape
    assert_throttled(api.post("/v1/client-channel/search", {"where": {"name": {"_like": "R%"}}}, format="json"))


def holding(tenant):
    """An expensive query of `tenant` running (what another worker's request would be doing)."""
    cost = QueryCost()
    cost.add()
    return expensive_query_slot(SimpleNamespace(user=SimpleNamespace(tenant=tenant)), cost)


def test_concurrent_expensive_queries_are_limited_per_company(api, other_api, tenant, rows, settings):
    settings.EXPENSIVE_QUERY_RATE = ""
    settings.EXPENSIVE_QUERY_CONCURRENCY = 2
    with holding(tenant):
        assert expensive(api).status_code == 200  # the second one at once
        with holding(tenant):
            assert_throttled(expensive(api))
            assert expensive(other_api).status_code == 200
            assert api.post("/v1/client/search", {"where": {"name": {"_eq": "x"}}}, format="json").status_code == 200
        assert expensive(api).status_code == 200  # a slot was given back
    for _ in range(5):  # refused and finished queries give their slots back
        assert expensive(api).status_code == 200


def test_a_stopped_query_gives_its_slot_back(api, tenant, rows, settings):
    settings.EXPENSIVE_QUERY_RATE = ""
    settings.EXPENSIVE_QUERY_CONCURRENCY = 1
    settings.QUERY_MAX_PATTERN_OPERATORS = 1
    too_many = {"where": {"_or": [{"name": {"_ilike": "%a%"}}, {"name": {"_ilike": "%b%"}}]}}
    assert api.post("/v1/client/search", too_many, format="json").status_code == 400
    bad_regex = {"where": {"name": {"_regex": "("}}}
    assert api.post("/v1/client/search", bad_regex, format="json").status_code == 400
    assert expensive(api).status_code == 200


def test_the_limits_off(api, rows, settings):
    settings.EXPENSIVE_QUERY_RATE = ""
    settings.EXPENSIVE_QUERY_CONCURRENCY = 0
    for _ in range(6):
        assert expensive(api).status_code == 200


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # A prefix of this test's own: the server may be shared, so it is never flushed.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "KEY_PREFIX": f"test-throttling-{uuid.uuid4()}",
        }
    }


def test_the_counters_work_in_a_shared_redis_cache(api, tenant, rows, settings, redis_cache):
    settings.EXPENSIVE_QUERY_RATE, settings.EXPENSIVE_QUERY_CONCURRENCY = "", 1
    with holding(tenant):
        assert_throttled(expensive(api))
    settings.EXPENSIVE_QUERY_RATE, settings.EXPENSIVE_QUERY_CONCURRENCY = "3/min", 0
    for _ in range(3):
        assert expensive(api).status_code == 200
    assert_throttled(expensive(api))
