"""The OpenAPI schema documents every built operation of the spec under `/v1`, and only there.

The operations come from the shared spec (`shared/spec/endpoints.json`, beside the repository
in CI). Extend CHECKED_APPS as the other apps are built.
"""

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import client_for

CHECKED_APPS = ("core", "clients")
# Sales resources built so far (the rest of the sales app comes with its own issue).
CHECKED_RESOURCES = (
    "product", "variant", "product-category", "product/sub-categories", "product-brand", "product-group",
    "product-modifiers-group", "tax", "measure-unit", "measureunitfamily", "pricelist", "pricelistitem", "msl",
    "msl-products", "rep", "team", "route", "warehouse", "supplier", "return-reason", "inventory-adjustment-reason",
)  # fmt: skip
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def spec_file() -> Path | None:
    candidates = [
        os.environ.get("SPEC_DIR"),
        settings.BASE_DIR.parent / "shared" / "spec",
        "/work/shared/spec",
    ]
    for folder in filter(None, candidates):
        path = Path(folder) / "endpoints.json"
        if path.is_file():
            return path
    return None


def spec_operations(apps=None) -> list[dict]:
    path = spec_file()
    if path is None:
        return []
    operations = json.loads(path.read_text())["operations"]
    return [op for op in operations if apps is None or op["app"] in apps or op["resource"] in CHECKED_RESOURCES]


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


CHECKED = spec_operations(CHECKED_APPS)


@cache
def _schema_json() -> str:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


@pytest.fixture
def schema(db):
    return json.loads(_schema_json())


@pytest.fixture
def schema_paths(schema):
    return {normalise(path): {m for m in ops if m in HTTP_METHODS} for path, ops in schema["paths"].items()}


def test_spec_is_available():
    if spec_file() is None:
        pytest.skip("shared/spec/endpoints.json not found (set SPEC_DIR)")
    assert len(CHECKED) > 50


@pytest.mark.parametrize("op", CHECKED, ids=lambda op: f"{op['method']} {op['path']}")
def test_operation_is_in_the_schema_under_v1(schema_paths, op):
    path = "/v1" + normalise(op["path"])
    assert path in schema_paths, f"{path} missing from the schema"
    assert op["method"].lower() in schema_paths[path], f"{op['method']} {path} not documented"


def test_missing_operations_summary(schema_paths):
    """One list of everything still missing (the parametrised test above names them one by one)."""
    missing = [
        f"{op['method']} /v1{op['path']}"
        for op in CHECKED
        if op["method"].lower() not in schema_paths.get("/v1" + normalise(op["path"]), set())
    ]
    assert not missing, f"{len(missing)} documented operations missing: {missing}"


def test_root_copies_stay_out_of_the_schema(schema_paths):
    assert "/v1/client" in schema_paths
    root_paths = {normalise(op["path"]) for op in spec_operations()} | {"/client", "/tag"}
    leaked = sorted(root_paths & set(schema_paths))
    assert not leaked, f"SDK root copies in the schema: {leaked}"


def test_schema_with_or_without_a_key(tenant):
    anonymous = Client().get("/api/schema/?format=json")
    authenticated = client_for(tenant).get("/api/schema/?format=json")
    assert anonymous.status_code == authenticated.status_code == 200
    assert json.loads(anonymous.content)["paths"].keys() == json.loads(authenticated.content)["paths"].keys()


def test_client_list_documents_the_list_parameters(schema):
    params = {p["name"] for p in schema["paths"]["/v1/client"]["get"]["parameters"] if p["in"] == "query"}
    assert {"page", "per_page", "sortBy", "search"} <= params


def resolve(schema, node):
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def test_client_location_create_response_is_the_family_b_envelope(schema):
    operation = schema["paths"]["/v1/client-location"]["post"]
    body = resolve(schema, operation["responses"]["201"]["content"]["application/json"]["schema"])
    assert body["type"] == "object"
    assert {"success", "data"} <= set(body["properties"])


def test_client_create_response_is_the_bare_document(schema):
    operation = schema["paths"]["/v1/client"]["post"]
    body = resolve(schema, operation["responses"]["201"]["content"]["application/json"]["schema"])
    assert "success" not in body.get("properties", {})
    assert {"_id", "name", "client_code"} <= set(body["properties"])


def test_docs_page(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
