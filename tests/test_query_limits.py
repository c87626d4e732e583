"""Pattern and regex operators per query, counted across every dialect a request mixes
(where-clauses, OData `$filter`, `search`/`searchText`, dotted `.icontains`): over the limit is
a 400 naming it, in the resource's error shape (OData's for OData), before any row is read."""

import pytest

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.QUERY_MAX_PATTERN_OPERATORS = 4
    settings.QUERY_MAX_REGEX_OPERATORS = 2


@pytest.fixture
def rows(tenant):
    ClientFactory(tenant=tenant, name="Alpha Foods", integration_meta={"erp": "E-1"})
    ClientFactory(tenant=tenant, name="Beta Pharma", integration_meta={"erp": "E-2"})


def ilikes(n, field="name"):
    return {"_or": [{field: {"_ilike": f"%term{i}%"}} for i in range(n)]}


def search(api, where, path="/v1/client/search"):
    return api.post(path, {"where": where}, format="json")


def family_error(response, path):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False and body["details"][0]["path"] == path
    return body["details"][0]["message"]


def odata_error(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "query_too_complex" and error["target"] == "$filter"
    return error["message"]


def test_where_clause_pattern_operators(api, rows):
    assert search(api, ilikes(4)).status_code == 200
    message = family_error(search(api, ilikes(5)), "where._or[4].name._ilike")
    assert "at most 4 per query" in message and "pattern operators" in message


def test_where_clause_regex_operators(api, rows):
    two = {"_or": [{"name": {"_iregex": "^alpha"}}, {"name": {"_nregex": "x+y"}}]}
    assert search(api, two).status_code == 200
    three = {"_and": [two, {"name": {"_regex": "a"}}]}
    message = family_error(search(api, three), "where._and[1].name._regex")
    assert "at most 2 per query" in message and "regular expressions" in message


def test_the_limit_is_per_query_not_per_branch(api, rows):
    nested = {"_and": [ilikes(2), {"_not": ilikes(2)}, {"name": {"_like": "%a%"}}]}
    family_error(search(api, nested), "where._and[2].name._like")


def test_odata_string_functions(api, rows):
    four = " or ".join(f"contains(name,'t{i}')" for i in range(4))
    assert api.get("/v1/client", {"$filter": four}).status_code == 200
    five = four + " or endswith(name,'x')"
    assert "at most 4 per query" in odata_error(api.get("/v1/client", {"$filter": five}))


def test_search_and_json_filters_count_with_odata(api, rows):
    params = {"search": "a", "integration_meta.erp.icontains": "e", "$filter": "contains(name,'a')"}
    assert api.get("/v1/client", params).status_code == 200
    params["$filter"] = "contains(name,'a') and startswith(name,'A')"
    assert api.get("/v1/client", params).status_code == 200
    params["$filter"] += " and endswith(name,'s')"
    assert "at most 4" in odata_error(api.get("/v1/client", params))


def test_json_icontains_counts(api, rows, settings):
    settings.QUERY_MAX_PATTERN_OPERATORS = 1
    params = {"search": "a", "integration_meta.erp.icontains": "e"}
    assert "at most 1" in family_error(api.get("/v1/client", params), "integration_meta.erp.icontains")


def test_aiwyn_search(api, rows):
    assert search(api, ilikes(4, "legalName"), "/gql/v1/clients/search").status_code == 200
    response = search(api, ilikes(5, "legalName"), "/gql/v1/clients/search")
    assert "at most 4" in family_error(response, "where._or[4].legalName._ilike")


def test_crm_filter_and_search_text(api, rows):
    four = " or ".join(f"contains(lastName,'t{i}')" for i in range(4))
    assert api.get("/clients", {"$filter": four}).status_code == 200
    assert "at most 4" in odata_error(api.get("/clients", {"$filter": four, "searchText": "x"}))


def test_the_issue_199_iregex_terms_are_refused_with_the_defaults(api, rows, settings):
    settings.QUERY_MAX_PATTERN_OPERATORS, settings.QUERY_MAX_REGEX_OPERATORS = 10, 3
    where = {"_or": [{"name": {"_iregex": f"(foo|bar)+{i}"}} for i in range(199)]}
    for path, key in (("/v1/client/search", "name"), ("/gql/v1/clients/search", "name")):
        response = search(api, where, path)
        assert "at most 3 per query" in family_error(response, f"where._or[3].{key}._iregex")
    ilike = {"_or": [{"name": {"_ilike": f"%{i}%"}} for i in range(199)]}
    assert "at most 10 per query" in family_error(search(api, ilike), "where._or[10].name._ilike")
