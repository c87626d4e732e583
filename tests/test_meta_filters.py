"""Dotted list filters on JSON fields (`integration_meta.<key>`, `customFields.<key>`): the
documented lookups only, every other one a 400 naming the parameter (never an ORM lookup)."""

import pytest

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content
    return sorted(doc["name"] for doc in response.json()["data"])


@pytest.fixture
def mapped(tenant):
    ClientFactory(tenant=tenant, name="Erp one", integration_meta={"erp_id": "E-1", "n": 5, "sub": {"code": "X"}})
    ClientFactory(tenant=tenant, name="Erp two", integration_meta={"erp_id": "E-2", "n": 7})
    ClientFactory(tenant=tenant, name="Plain", integration_meta={}, custom_fields={"tier": "gold"})


def test_equality_on_a_key_and_a_nested_key(api, mapped):
    assert names(api.get("/v1/client", {"integration_meta.erp_id": "E-1"})) == ["Erp one"]
    assert names(api.get("/v1/client", {"integration_meta.sub.code": "X"})) == ["Erp one"]
    assert names(api.get("/v1/client", {"customFields.tier": "gold"})) == ["Plain"]


def test_in_takes_every_wire_form_of_a_list(api, mapped):
    assert names(api.get("/v1/client", {"integration_meta.erp_id.in": '["E-1","E-2"]'})) == ["Erp one", "Erp two"]
    assert names(api.get("/v1/client", {"integration_meta.erp_id.in[]": ["E-2", "E-9"]})) == ["Erp two"]
    assert names(api.get("/v1/client", {"integration_meta.n.in": "[5]"})) == ["Erp one"]  # JSON numbers stay numbers


def test_exists(api, mapped):
    assert names(api.get("/v1/client", {"integration_meta.erp_id.exists": "true"})) == ["Erp one", "Erp two"]
    assert names(api.get("/v1/client", {"integration_meta.erp_id.exists": "false"})) == ["Plain"]
    assert names(api.get("/v1/client", {"integration_meta.sub.code.exists": "1"})) == ["Erp one"]


def test_a_key_is_a_key_whatever_its_underscores(api, mapped):
    assert names(api.get("/v1/client", {"integration_meta.erp_id__range": "x"})) == []


def test_icontains(api, mapped):
    assert names(api.get("/v1/client", {"integration_meta.erp_id.icontains": "e-"})) == ["Erp one", "Erp two"]


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("integration_meta.erp_id.range", "x", "range"),
        ("integration_meta.erp_id.isnull", "maybe", "isnull"),
        ("integration_meta.erp_id.regex", "^E", "regex"),
        ("integration_meta.erp_id.iregex", "(a+)+$", "iregex"),
        ("integration_meta.erp_id.gt", "E", "gt"),
        ("integration_meta.erp_id.contains", "E", "contains"),
        ("integration_meta.has_key", "erp_id", "has_key"),
        ("integration_meta.erp id", "x", "invalid key"),
        ("integration_meta.erp_id.exists", "maybe", "true or false"),
        ("integration_meta..erp_id", "x", "invalid key"),
        ("integration_meta.erp_id.in", "[{}]", "text, number or boolean"),
        ("integration_meta.erp_id.icontains", "", "must not be empty"),
    ],
)
def test_other_lookups_are_a_400_naming_the_parameter(api, mapped, key, value, problem):
    response = api.get("/v1/client", {key: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["details"][0]["path"] == key
    assert problem in body["details"][0]["message"]


@pytest.mark.parametrize("value", ["[1e400]", '["\\u0000"]', "[99999999999999999999999999]", "%00"])
def test_odd_values_are_never_a_500(api, mapped, value):
    from urllib.parse import unquote

    response = api.get("/v1/client", {"integration_meta.erp_id": unquote(value)})
    assert response.status_code in (200, 400), response.content
