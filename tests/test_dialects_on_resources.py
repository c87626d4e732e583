"""The query dialects on the resource endpoints: OData options on every /v1 list and the
where-clause search on every resource, in that resource's own envelope."""

import pytest

from tests.factories import ClientChannelFactory, ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(tenant):
    retail = ClientChannelFactory(tenant=tenant, name="Retail")
    return [
        ClientFactory(tenant=tenant, name="Alpha", city="Amman", channel=retail, credit_limit=100),
        ClientFactory(tenant=tenant, name="Beta", city="Irbid", channel=None, credit_limit=None),
        ClientFactory(tenant=tenant, name="Gamma", city="Amman", channel=retail, credit_limit=500),
    ]


def names(body):
    return [d["name"] for d in body["data"]]


def test_odata_filter_orderby_top_skip_select_on_a_repzo_list(api, rows):
    body = api.get("/v1/client", {"$filter": "city eq 'Amman'", "$orderby": "name desc"}).json()
    assert names(body) == ["Gamma", "Alpha"] and body["total_result"] == 2
    body = api.get("/v1/client", {"$orderby": "name", "$top": 1, "$skip": 1}).json()
    assert names(body) == ["Beta"] and body["per_page"] == 1 and body["total_result"] == 3
    body = api.get("/v1/client", {"$select": "_id,name", "$filter": "channel/name eq 'Retail'"}).json()
    assert all(set(d) == {"_id", "name"} for d in body["data"]) and len(body["data"]) == 2
    # OData null semantics: ne keeps the NULL row
    assert sorted(names(api.get("/v1/client", {"$filter": "credit_limit ne 100"}).json())) == ["Beta", "Gamma"]
    # documented parameters and OData together
    assert names(api.get("/v1/client", {"city": "Amman", "$filter": "credit_limit gt 200"}).json()) == ["Gamma"]


def test_odata_errors_use_the_odata_shape(api, rows):
    r = api.get("/v1/client", {"$filter": "password eq 'x'"})
    assert r.status_code == 400 and r.json()["error"]["target"] == "$filter"
    assert api.get("/v1/client", {"$top": 5000}).status_code == 400
    assert api.get("/v1/client", {"$expand": "tags"}).status_code == 501
    assert api.get("/v1/tag", {"$filter": "name eq"}).status_code == 400


def test_where_search_on_a_resource(api, tenant, rows):
    body = api.post(
        "/v1/client/search",
        {
            "where": {"_or": [{"name": {"_ilike": "%mm%"}}, {"credit_limit": {"_gt": 50}}]},
            "orderBy": [{"name": "desc"}],
        },
        format="json",
    ).json()
    assert names(body) == ["Gamma", "Alpha"] and body["total_result"] == 2
    # Hasura's three-valued logic: _neq never matches the NULL credit_limit
    body = api.post("/v1/client/search", {"where": {"credit_limit": {"_neq": 100}}}, format="json").json()
    assert names(body) == ["Gamma"]
    body = api.post(
        "/v1/client/search",
        {"where": {"channel": {"name": {"_eq": "Retail"}}}, "pageSize": 1, "page": 1},
        format="json",
    ).json()
    assert len(body["data"]) == 1 and body["total_result"] == 2 and body["current_page"] == 2
    r = api.post("/v1/client/search", {"where": {"tenant": {"_eq": "x"}}}, format="json")
    assert r.status_code == 400 and "where.tenant" in r.json()["error"]
    assert api.post("/v1/client/search", {"where": {"_or": {"name": {"_eq": "x"}}}}, format="json").status_code == 400
    assert api.post("/v1/client/search", {"pageSize": 5000}, format="json").status_code == 400
    # other families answer in their own envelope
    TagFactory(tenant=tenant, name="vip")
    body = api.post("/v1/client-channel/search", {"where": {"name": {"_eq": "Retail"}}}, format="json").json()
    assert body["success"] is True and body["pagination"]["total"] == 1
    body = api.post("/v1/speciality/search", {}, format="json").json()
    assert body["paging"]["total"] == 0


def test_a_pattern_the_database_refuses_is_400_and_the_connection_survives(api, rows):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own regex engine")
    r = api.post("/v1/client/search", {"where": {"name": {"_regex": "(?P<x>a)"}}}, format="json")
    assert r.status_code == 400
    assert api.get("/v1/client").status_code == 200
    r = api.post("/gql/v1/clients/search", {"where": {"name": {"_regex": "(?P<x>a)"}}}, format="json")
    assert r.status_code == 400
    assert api.post("/gql/v1/clients", {}, format="json").status_code == 200
