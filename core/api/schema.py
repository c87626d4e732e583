"""OpenAPI generation (drf-spectacular) for the declared resources and the client surfaces.

Each operation appears under its documented path with its request shape, its answer inside the
family's envelope, every error status it can answer (each with the error body's component), a
summary and a description for API users: the API seeds' text (`operation_docs.json`, generated
by scripts/gen_operation_docs.py) followed by what this implementation adds. View and
serializer docstrings are notes for developers and never reach the document.
"""

import copy
import json
import re
from functools import cache
from pathlib import Path

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, append_meta, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from . import envelopes as env
from . import registry as r
from .schema_errors import ERROR_COMPONENTS, error_answers, error_response

DOCUMENTED_PREFIXES = ("/v1/", "/gql/", "/clients", "/healthz", "/authenticate")
OPERATION_DOCS = Path(__file__).with_name("operation_docs.json")

_PAGE = {"type": "integer", "minimum": 1}
_COUNT = {"type": "integer", "minimum": 0}
LIST_PARAMETERS = [
    ("page", _PAGE, "Page number, from 1."),
    ("per_page", _PAGE, "Rows per page (default 25; at most 1000 unless the server is configured otherwise)."),
    ("limit", _PAGE, "Rows per page, with `offset` (instead of `page`/`per_page`)."),
    ("offset", _COUNT, "Rows to skip, with `limit`."),
    ("sort", OpenApiTypes.STR, "Field to sort by."),
    ("sortPageOrder", OpenApiTypes.STR, "`asc`, or `dsc`/`desc`."),
    ("order", OpenApiTypes.STR, "`asc` or `desc` (with `sort`)."),
    ("sortBy", OpenApiTypes.STR, 'JSON: `[{"field": "name", "type": "asc"}]` or `[{"name": "asc"}]`.'),
    ("search", OpenApiTypes.STR, "Case-insensitive text search."),
    ("_id", OpenApiTypes.STR, "One id, a JSON array of ids, or `_id[]=..&_id[]=..`."),
    ("from__id", OpenApiTypes.STR, "Only ids after this one (exclusive cursor)."),
    ("to__id", OpenApiTypes.STR, "Only ids before this one (exclusive cursor)."),
    ("from_updatedAt", OpenApiTypes.STR, "Updated at or after (epoch milliseconds or ISO 8601)."),
    ("to_updatedAt", OpenApiTypes.STR, "Updated at or before (epoch milliseconds or ISO 8601)."),
    ("from_createdAt", OpenApiTypes.STR, "Created at or after (epoch milliseconds or ISO 8601)."),
    ("to_createdAt", OpenApiTypes.STR, "Created at or before (epoch milliseconds or ISO 8601)."),
    ("filter", OpenApiTypes.STR, 'JSON object of equalities, e.g. `{"disabled": false}`.'),
    ("company_namespace", OpenApiTypes.STR, "Namespace(s); only the caller's own has rows."),
]

# What each resource operation does, beyond the seed's text ({noun}, {nouns}: the resource's).
ACTION_NOTES = {
    "list": (
        "Answers one page of the caller's {nouns}. The query parameters filter (`filter`, `search`, `_id`, "
        "the date ranges, the fields listed below, and keys inside a JSON field: `integration_meta.<key>=value`, "
        "`.in`, `.exists=true|false`, `.icontains=text`), sort (`sort`, `sortBy`) and page (`page` and "
        "`per_page`, or `limit` and `offset`). A query too expensive to run is refused with a 400; too many "
        "expensive queries in a short time with a 429."
    ),
    "search": (
        "Searches the caller's {nouns} with a where-clause: `where` is a boolean expression (`_and`, `_or`, "
        "`_not`; per field `_eq`, `_neq`, `_gt`, `_gte`, `_lt`, `_lte`, `_in`, `_nin`, `_is_null`, `_like`, "
        "`_ilike`, `_regex`, ...; references filter on the referenced document's fields), `orderBy` a list of "
        '`{{"field": "asc" | "desc"}}`, `page` counts from 0 and `pageSize` (or `limit`) sets the page size. '
        "Answers in the same envelope as the list."
    ),
    "create": "Creates a {noun} in the caller's company and answers it (201).",
    "retrieve": "Answers the {noun} with this id.",
    "partial_update": (
        "Changes the fields the body names and keeps the others (PUT and PATCH alike); answers the updated {noun}."
    ),
    "destroy": "Deletes the {noun}. Documents that list it move their `__v` and `updatedAt` on.",
    "remove": "Deletes the {nouns} whose ids are listed in `ids`: all of them, or none when one cannot be deleted.",
}
SUMMARIES = {
    "list": "List {nouns}",
    "search": "Search {nouns} with a where-clause",
    "create": "Create a {noun}",
    "retrieve": "Get a {noun} by id",
    "partial_update": "Update a {noun}",
    "destroy": "Delete a {noun}",
    "remove": "Delete several {nouns}",
}
DOCUMENT_ACTIONS = ("list", "search", "create", "retrieve", "partial_update", "destroy", "remove")
POPULATED = {"type": "object", "additionalProperties": True, "description": "The referenced document."}


def normalise_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


@cache
def operation_docs() -> dict:
    return json.loads(OPERATION_DOCS.read_text())


def docs_for(method: str, path: str) -> dict:
    """The seed's summary and description of an operation (PUT and PATCH share theirs)."""
    docs = operation_docs()
    path = normalise_path(path)
    for candidate in (method, {"PUT": "PATCH", "PATCH": "PUT"}.get(method)):
        if candidate and f"{candidate} {path}" in docs:
            return docs[f"{candidate} {path}"]
    return {}


def only_documented_paths(endpoints):
    """Keep the documented surfaces; drop the root copy of the Repzo routes and SDK aliases."""
    from .routers import router

    aliases = tuple(f"/v1/{alias}" for alias, _ in router.sdk_aliases)
    kept = []
    for path, path_regex, method, callback in endpoints:
        if not path.startswith(DOCUMENTED_PREFIXES):
            continue
        if aliases and any(path == a or path.startswith(a + "/") for a in aliases):
            continue
        kept.append((path, path_regex, method, callback))
    return kept


def _model_field(field):
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = field.source
    if model is None or not source or source == "*" or "." in source:
        return None
    try:
        return model._meta.get_field(source)
    except Exception:
        return None


class ResourceAutoSchema(AutoSchema):
    def _resource_view(self):
        from .viewsets import ResourceViewSet

        return self.view if isinstance(self.view, ResourceViewSet) else None

    def _action(self):
        view = self._resource_view()
        return getattr(view, "action", None) if view is not None else None

    def _nouns(self) -> tuple[str, str]:
        model = self._resource_view().serializer_class.Meta.model
        return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)

    # Texts ------------------------------------------------------------------------------------
    def get_summary(self):
        summary = docs_for(self.method, self.path).get("summary")
        if summary:
            return summary
        action = self._action()
        if action in SUMMARIES:
            noun, nouns = self._nouns()
            return SUMMARIES[action].format(noun=noun, nouns=nouns)
        return getattr(self.view, "openapi_summaries", {}).get(self.method.lower())

    def get_description(self):
        parts = [docs_for(self.method, self.path).get("description", "")]
        action = self._action()
        if action in ACTION_NOTES:
            noun, nouns = self._nouns()
            parts.append(ACTION_NOTES[action].format(noun=noun, nouns=nouns))
        parts.append(getattr(self.view, "openapi_notes", {}).get(action or self.method.lower(), ""))
        return "\n\n".join(part for part in parts if part)

    def get_tags(self):
        view = self._resource_view()
        if view is not None and view.resource_name:
            return [view.resource_name]
        return super().get_tags()

    # Parameters -------------------------------------------------------------------------------
    def get_override_parameters(self):
        params = super().get_override_parameters()
        view = self._resource_view()
        if view is None or view.action != "list":
            return params
        extra = [
            OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=desc)
            for name, kind, desc in LIST_PARAMETERS
        ]
        registry = view.registry()
        if registry.get("disabled"):
            extra.append(
                OpenApiParameter(
                    "disabled", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Only rows with this flag."
                )
            )
        for name in view.filter_fields:
            extra.append(
                OpenApiParameter(
                    name, OpenApiTypes.STR, OpenApiParameter.QUERY, description="Equality; a list matches any."
                )
            )
        for name, desc in getattr(view, "list_parameters", ()):
            extra.append(OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=desc))
        if view.populate:
            extra.append(
                OpenApiParameter(
                    "populatedKeys",
                    OpenApiTypes.STR,
                    OpenApiParameter.QUERY,
                    description=(
                        "JSON array of references to answer as the referenced documents instead of their ids: "
                        f"any of {', '.join(f'`{key}`' for key in sorted(view.populate))}."
                    ),
                )
            )
        for info in registry.fields.values():
            if info.kind in (r.DATETIME, r.DATE) and info.name not in ("createdAt", "updatedAt"):
                for prefix, side in (("from_", "at or after"), ("to_", "at or before")):
                    extra.append(
                        OpenApiParameter(
                            prefix + info.name,
                            OpenApiTypes.STR,
                            OpenApiParameter.QUERY,
                            description=f"`{info.name}` {side} (epoch milliseconds or ISO 8601).",
                        )
                    )
        return params + extra

    # Fields -----------------------------------------------------------------------------------
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        declared = getattr(field, "openapi_schema", None)
        if callable(declared):
            # A computed or dual-typed value declares its own schema, per direction.
            return append_meta(copy.deepcopy(declared(direction)), self._get_serializer_field_meta(field, direction))
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or "$ref" in schema:
            return schema
        schema = dict(schema)
        title = schema.get("title")
        if title and re.sub(r"[\W_]", "", title).lower() == re.sub(r"[\W_]", "", field.field_name).lower():
            del schema["title"]  # DRF's label made from the name (`_id` -> " id") says nothing more
        if direction == "response" and field.read_only and not schema.get("nullable"):
            model_field = _model_field(field)
            if model_field is not None and model_field.null:
                schema["nullable"] = True  # read-only columns that may be empty answer null
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        schema.pop("description", None)  # the serializer's docstring is for developers
        meta = getattr(serializer, "Meta", None)
        properties = schema.get("properties", {})
        for name, field in serializer.fields.items():
            prop = properties.get(name)
            if isinstance(field, serializers.EmailField) and field.allow_blank and isinstance(prop, dict):
                # An optional address is "" when none was given, in requests and answers alike.
                prop = {k: v for k, v in prop.items() if k != "format"}
                properties[name] = {**prop, "anyOf": [{"format": "email"}, {"maxLength": 0}]}
        for name in getattr(meta, "filter_only", ()):
            properties.pop(name, None)  # where-clause names that never appear in answers
        if direction == "response":
            for name, prop in properties.items():
                if isinstance(prop, dict) and "minLength" in prop:
                    # An input rule: rows written through another surface or an import may
                    # hold less, and answers show them as they are.
                    properties[name] = {k: v for k, v in prop.items() if k != "minLength"}
            self._document_populate(serializer, properties)
            if getattr(meta, "selectable", False):
                schema.pop("required", None)  # $select answers only the properties it names
            else:
                # Every field is in every answer (null when empty), written or not.
                schema["required"] = [name for name in properties if not properties[name].get("writeOnly")]
        elif "required" in schema:
            schema["required"] = [name for name in schema["required"] if name in properties]
        if not schema.get("required"):
            schema.pop("required", None)
        return schema

    def _document_populate(self, serializer, properties):
        """References listed in `populatedKeys` answer the referenced documents in place of
        their ids."""
        view = self._resource_view()
        if view is None or type(serializer) is not view.serializer_class:
            return
        for key in view.populate:
            prop = properties.get(key)
            if not isinstance(prop, dict):
                continue
            if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
                properties[key] = {**prop, "items": {"anyOf": [prop["items"], POPULATED]}}
            else:
                outer = {k: v for k, v in prop.items() if k in ("readOnly", "nullable", "description")}
                inner = {k: v for k, v in prop.items() if k not in outer}
                properties[key] = {**outer, "anyOf": [inner, POPULATED]}

    def _get_request_for_media_type(self, serializer, direction="request"):
        if self.method == "PUT" and self._action() == "partial_update":
            # PUT is a partial update too (the SDK sends it for both): no field is required.
            self.method = "PATCH"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PUT"
        return super()._get_request_for_media_type(serializer, direction)

    # Responses --------------------------------------------------------------------------------
    def _register_error_components(self):
        for name, schema in ERROR_COMPONENTS.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=f"error:{name}", schema=schema)
            )

    def _get_response_bodies(self, direction="response"):
        view = self._resource_view()
        declared = getattr(self.view, "openapi_responses", {}).get(self.method.lower())
        if declared is not None:
            responses = declared(self)  # answers a serializer cannot express (e.g. one of two shapes)
        elif view is not None and view.action in DOCUMENT_ACTIONS:
            responses = self._resource_answer(view, direction)
        else:
            responses = super()._get_response_bodies(direction)
        answers = error_answers(self)
        if answers:
            self._register_error_components()
        for code, (description, shape) in answers.items():
            if code not in responses:
                responses[code] = error_response(code, description, shape)
        return dict(sorted(responses.items()))

    def _resource_answer(self, view, direction):
        family = view.family()
        action = view.action
        if action == "remove":
            code, body = "200", {"type": "object", "properties": {"success": {"type": "boolean"}}}
            description = "Deleted."
        else:
            doc = self.resolve_serializer(force_instance(view.serializer_class), direction).ref
            code, body, description = {
                "list": ("200", env.list_schema(family, doc), "One page."),
                "search": ("200", env.list_schema(family, doc), "One page."),
                "create": ("201", env.one_schema(family, doc), "Created."),
                "retrieve": ("200", env.one_schema(family, doc), "The document."),
                "partial_update": ("200", env.one_schema(family, doc), "Updated."),
                "destroy": ("200", env.deleted_schema(family, doc), "Deleted."),
            }[action]
        return {code: {"content": {"application/json": {"schema": body}}, "description": description}}
