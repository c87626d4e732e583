"""Check real answers against the OpenAPI document, in process: the status must be documented
for the operation and the body must validate against that status's schema (what schemathesis's
status_code_conformance and response_schema_conformance check against a live server).

    conforms(api.get("/v1/tag"), "get", "/v1/tag")
"""

import json
import re
from functools import cache

from django.test import Client
from jsonschema import Draft4Validator, FormatChecker


def normalise_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


# OpenAPI 3.0 keywords JSON Schema does not know (or that say nothing about an answer).
OPENAPI_ONLY = {"nullable", "readOnly", "writeOnly", "example", "discriminator", "xml", "externalDocs", "deprecated"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    return True


@cache
def schema_document() -> dict:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def to_json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema (draft 4, whose boolean exclusiveMaximum
    OpenAPI 3.0 shares): `nullable` becomes a null type."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items() if key not in OPENAPI_ONLY}
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _components() -> dict:
    return to_json_schema(schema_document()["components"])


def operation(method: str, path: str) -> dict:
    paths = {normalise_path(p): ops for p, ops in schema_document()["paths"].items()}
    template = normalise_path(path)
    assert template in paths, f"{path} is not in the schema"
    assert method.lower() in paths[template], f"{method.upper()} {path} is not in the schema"
    return paths[template][method.lower()]


def problems(body, response_schema: dict) -> list[str]:
    schema = {"allOf": [to_json_schema(response_schema)], "components": _components()}
    validator = Draft4Validator(schema, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message[:300]}"
        for error in validator.iter_errors(body)
    ]


def conforms(response, method: str, path: str):
    """Assert the answer is documented for METHOD path and matches its schema; returns the body."""
    op = operation(method, path)
    status = str(response.status_code)
    label = f"{method.upper()} {path} -> {status}"
    assert status in op["responses"], f"{label} is not documented (documented: {sorted(op['responses'])})"
    content = op["responses"][status].get("content")
    if not content:
        assert not response.content, f"{label}: a body where none is documented"
        return None
    body = json.loads(response.content)
    found = problems(body, content["application/json"]["schema"])
    assert not found, f"{label} does not match the schema:\n" + "\n".join(found[:20])
    return body
