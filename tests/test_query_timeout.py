"""The list statement timeout (LIST_STATEMENT_TIMEOUT_MS) stops every list and search of every
dialect, the count included, and answers a 400 saying the query was too expensive, in the
resource's error shape (OData's for OData). The queries are slow by construction: thousands of
long rows scanned by pattern operators or sorted for a deep page, under a 1 ms timeout. The same
requests answer 200 with the timeout off, and the connection keeps working afterwards."""

import pytest
from django.db import connection, transaction

from clients.models import Client
from core import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROWS = 20000
FILLER = "x" * 150  # long text: every pattern operator reads it all on every row


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """A company with many long clients, built once for the module inside a transaction rolled
    back at its end (each test's own transaction is a savepoint within it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        tenant = services.create_tenant(namespace="costly", name="Costly")
        Client.objects.bulk_create(
            [
                Client(
                    tenant=tenant,
                    name=f"Client {i:07d} Cedar Trading {FILLER}",
                    local_name=f"{FILLER} {i}",
                    legal_name=f"Cedar Trading {i} {FILLER}",
                    first_name="Ann",
                    last_name=f"Lee {i} {FILLER[:80]}",
                    email=f"client{i}@example.test",
                    city=f"City {i % 97} {FILLER[:80]}",
                    client_code=f"C-{i:07d}",
                )
                for i in range(ROWS)
            ],
            batch_size=2000,
        )
        if connection.vendor == "postgresql":  # the statistics autovacuum keeps (it cannot see these rows)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE clients_client")
    yield tenant
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def api(loaded, db):
    return client_for(loaded)


@pytest.fixture(autouse=True)
def generous_operator_limits(settings):
    settings.QUERY_MAX_PATTERN_OPERATORS = 12  # the timeout is what these tests are about


NO_MATCH_REGEXES = [
    {"name": {"_iregex": "zq(x|y)+z"}},
    {"local_name": {"_iregex": "qq[0-9]+w"}},
    {"name": {"_regex": "^Z.*Q$"}},
]
NO_MATCH_CONTAINS = " or ".join(
    f"contains({field},'{text}')" for field in ("name", "city", "email") for text in ("zzq", "qqz", "zqz")
)

# (method, path, body or params, error shape, path in the error): each slow by construction.
SLOW = {
    "where-clause search (the count)": (
        "post",
        "/v1/client/search",
        {"where": {"_or": NO_MATCH_REGEXES}},
        "family",
        "where",
    ),
    "OData $filter": ("get", "/v1/client", {"$filter": NO_MATCH_CONTAINS}, "odata", "$filter"),
    "list parameters: search and a JSON filter": (
        "get",
        "/v1/client",
        {"search": "zzqq", "integration_meta.erp.icontains": "zz", "city": "nowhere"},
        "family",
        "",
    ),
    "list parameters: a deep page sorted on an unindexed field (the page query)": (
        "get",
        "/v1/client",
        {"sort": "city", "page": ROWS // 25 - 2},
        "family",
        "",
    ),
    "Aiwyn search": (
        "post",
        "/gql/v1/clients/search",
        {"where": {"_or": [{"name": {"_iregex": "zq(x|y)+z"}}, {"legalName": {"_iregex": "qq[0-9]+w"}}]}},
        "family",
        "where",
    ),
    "Aiwyn list (a deep page)": ("post", "/gql/v1/clients", {"page": ROWS // 50 - 2}, "family", ""),
    "CRM searchText": ("get", "/clients", {"searchText": "zzqqz"}, "family", ""),
    "CRM $filter with $count": (
        "get",
        "/clients",
        {"$filter": "contains(lastName,'zzq')", "$count": "true"},
        "odata",
        "$filter",
    ),
}


def send(api, method, path, data):
    if method == "post":
        return api.post(path, data, format="json")
    return api.get(path, data)


@pytest.mark.parametrize("case", list(SLOW))
def test_a_query_past_the_timeout_is_a_400_saying_it_is_too_expensive(api, settings, case):
    method, path, data, shape, where = SLOW[case]
    settings.LIST_STATEMENT_TIMEOUT_MS = 0
    assert send(api, method, path, data).status_code == 200  # the same request, without a timeout

    settings.LIST_STATEMENT_TIMEOUT_MS = 1
    response = send(api, method, path, data)
    assert response.status_code == 400, response.content
    if shape == "odata":
        error = response.json()["error"]
        assert error["code"] == "query_too_complex" and error["target"] == where
        assert "too expensive" in error["message"] and "narrow it down" in error["message"].lower()
    else:
        body = response.json()
        assert body["success"] is False and "too expensive" in body["error"]
        assert body["details"] == [
            {"path": where, "message": body["details"][0]["message"], "code": "query_too_expensive"}
        ]
        assert "ran longer than 1 ms" in body["details"][0]["message"]


def test_the_connection_and_the_global_timeout_survive_a_stopped_query(api, settings):
    def global_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    before = global_timeout() if connection.vendor == "postgresql" else None
    settings.LIST_STATEMENT_TIMEOUT_MS = 1
    assert api.post("/v1/client/search", {"where": {"_or": NO_MATCH_REGEXES}}, format="json").status_code == 400
    settings.LIST_STATEMENT_TIMEOUT_MS = 60000
    body = api.post("/v1/client/search", {"where": {"name": {"_like": "Client 0000001 %"}}}, format="json").json()
    assert [doc["client_code"] for doc in body["data"]] == ["C-0000001"]
    assert Client.objects.filter(client_code="C-0000002").count() == 1  # outside any list: no deadline
    if before is not None:  # SET LOCAL inside the test's transaction: put back, not left at 60 s
        assert global_timeout() == before


def test_a_cheap_list_is_not_stopped(api, settings):
    settings.LIST_STATEMENT_TIMEOUT_MS = 3000
    response = api.get("/v1/client", {"per_page": 5})
    assert response.status_code == 200 and response.json()["total_result"] == ROWS
