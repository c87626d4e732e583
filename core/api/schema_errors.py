"""The error answers of the OpenAPI document: which statuses an operation can answer besides its
success, why, and the component of each error body (core/api/exceptions.py writes them).

Resource operations get theirs from their action and envelope family; other views get 401 (unless
public), 400 on a body and 404 on an `{id}`, plus what they declare in `openapi_errors`:

    openapi_errors = {"delete": {"409": "Still referenced by other documents."},
                      "get": {"400": ("Invalid query.", "ErrorOrOData")}}
"""

from rest_framework import permissions

_STR, _BOOL, _INT = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}

ERROR_COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "description": "One problem: where (`business_hours.monday.open`, `ids[2]`; empty for the whole body), "
        "what, and a machine-readable code.",
        "properties": {"path": _STR, "message": _STR, "code": _STR},
        "required": ["path", "message", "code"],
    },
    "Error": {
        "type": "object",
        "description": "An error, in every envelope family. `details` lists each problem of an invalid input.",
        "properties": {
            "success": {"type": "boolean", "description": "Always `false`."},
            "error": {**_STR, "description": "What went wrong, for people."},
            "details": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}},
        },
        "required": ["success", "error"],
    },
    "ODataError": {
        "type": "object",
        "description": "An OData query error (OData's JSON error format).",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {**_STR, "description": "`invalid_query`, `query_too_complex` or `not_implemented`."},
                    "message": _STR,
                    "target": {**_STR, "description": "The query option at fault, e.g. `$filter`."},
                    "details": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                },
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    },
}
SHAPES = {
    "Error": {"$ref": "#/components/schemas/Error"},
    "ODataError": {"$ref": "#/components/schemas/ODataError"},
    "ErrorOrOData": {"anyOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/ODataError"}]},
}
HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": _STR,
            "required": True,
            "description": 'How to authenticate: `Bearer realm="api"`.',
        },
    },
    "429": {
        "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait before retrying."}
    },
}

UNAUTHENTICATED = "No credentials, or an unknown, expired or revoked API key or access token."
BAD_BODY = "The body is not a JSON object, or is malformed JSON."
INVALID = "A field is invalid: `details` names each one."
QUERY = (
    "A query parameter or body value is invalid (`details` names it), or the query is too expensive to run: "
    "narrow it down."
)
THROTTLED = "Too many expensive queries from the caller's company in a short time; retry after `Retry-After` seconds."
FOREIGN_NAMESPACE = "`company_namespace` names a company other than the caller's."
NOT_FOUND = "No such document in the caller's company."
NOT_FOUND_IDS = "An id of `ids` names no document of the caller's company (the message lists them)."
DUPLICATE = "A value that must be unique in the caller's company is already taken."
REFERENCED = "Still referenced by other documents (the message names them); nothing was deleted."


def error_response(code: str, description: str, shape: str = "Error") -> dict:
    response = {"description": description, "content": {"application/json": {"schema": SHAPES[shape]}}}
    if code in HEADERS:
        response["headers"] = HEADERS[code]
    return response


def _is_public(auto_schema) -> bool:
    return any(isinstance(p, permissions.AllowAny) for p in auto_schema.view.get_permissions())


def _resource_errors(auto_schema, view) -> dict:
    family = view.family()
    validation = str(family.validation_status)
    action = getattr(view, "action", None)
    bad_body = BAD_BODY if validation != "400" else f"{BAD_BODY[:-1]}, or a field is invalid (`details` names each)."
    takes_namespace = "company_namespace" in family.standard_fields
    answers: dict = {}
    if action in ("list", "search"):
        answers["400"] = QUERY
        answers["429"] = THROTTLED
    elif action in ("create", "partial_update", "remove") or auto_schema.method in ("POST", "PUT", "PATCH"):
        answers["400"] = bad_body
        answers[validation] = INVALID if validation != "400" else bad_body
    if action in ("create", "partial_update") and takes_namespace:
        answers["403"] = FOREIGN_NAMESPACE
    if action in ("retrieve", "partial_update", "destroy"):
        answers["404"] = NOT_FOUND
    if action == "remove":
        answers["404"] = NOT_FOUND_IDS
    if action in ("create", "partial_update"):
        answers["409"] = DUPLICATE
    if action in ("destroy", "remove"):
        answers["409"] = REFERENCED
    return answers


def error_answers(auto_schema) -> dict[str, tuple[str, str]]:
    """status -> (description, body shape) of every error the operation can answer."""
    view = auto_schema.view
    method = auto_schema.method
    answers: dict = {}
    if not _is_public(auto_schema):
        answers["401"] = UNAUTHENTICATED
    resource = auto_schema._resource_view()
    if resource is not None:
        answers.update(_resource_errors(auto_schema, resource))
    else:
        if method in ("POST", "PUT", "PATCH"):
            answers["400"] = f"{BAD_BODY[:-1]}, or a field is invalid (`details` names each)."
        if "{" in auto_schema.path:
            answers["404"] = NOT_FOUND
    answers.update(getattr(view, "openapi_errors", {}).get(method.lower(), {}))
    return {
        str(code): value if isinstance(value, tuple) else (value, "Error") for code, value in sorted(answers.items())
    }
