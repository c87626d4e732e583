"""OpenAPI generation (drf-spectacular) for the declared resources: each operation appears under
its documented `/v1/...` path with its request shape and its response inside the family's
envelope; list operations list the Repzo query parameters."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from . import envelopes as env
from . import registry as r

DOCUMENTED_PREFIXES = ("/v1/", "/gql/", "/clients", "/healthz", "/authenticate")

LIST_PARAMETERS = [
    ("page", OpenApiTypes.INT, "Page number, from 1."),
    ("per_page", OpenApiTypes.INT, "Rows per page (at most API_MAX_PAGE_SIZE, default 1000)."),
    ("limit", OpenApiTypes.INT, "Rows per page (with offset, instead of page/per_page)."),
    ("offset", OpenApiTypes.INT, "Rows to skip (with limit)."),
    ("sort", OpenApiTypes.STR, "Field to sort by."),
    ("sortPageOrder", OpenApiTypes.STR, "asc, or dsc/desc."),
    ("order", OpenApiTypes.STR, "asc or desc (with sort)."),
    ("sortBy", OpenApiTypes.STR, 'JSON: [{"field": "name", "type": "asc"}] or [{"name": "asc"}].'),
    ("search", OpenApiTypes.STR, "Case-insensitive text search."),
    ("_id", OpenApiTypes.STR, "One id, a JSON array of ids, or _id[]=..&_id[]=.."),
    ("from__id", OpenApiTypes.STR, "Only ids after this one (exclusive cursor)."),
    ("to__id", OpenApiTypes.STR, "Only ids before this one (exclusive cursor)."),
    ("from_updatedAt", OpenApiTypes.STR, "Updated at or after (epoch ms or ISO 8601)."),
    ("to_updatedAt", OpenApiTypes.STR, "Updated at or before (epoch ms or ISO 8601)."),
    ("from_createdAt", OpenApiTypes.STR, "Created at or after (epoch ms or ISO 8601)."),
    ("to_createdAt", OpenApiTypes.STR, "Created at or before (epoch ms or ISO 8601)."),
    ("filter", OpenApiTypes.STR, 'JSON object of equalities, e.g. {"disabled": false}.'),
    ("company_namespace", OpenApiTypes.STR, "Namespace(s); only the caller's has rows."),
]


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


class ResourceAutoSchema(AutoSchema):
    def _resource_view(self):
        from .viewsets import ResourceViewSet

        return self.view if isinstance(self.view, ResourceViewSet) else None

    def get_tags(self):
        view = self._resource_view()
        if view is not None and view.resource_name:
            return [view.resource_name]
        return super().get_tags()

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
            extra.append(OpenApiParameter("disabled", OpenApiTypes.BOOL, OpenApiParameter.QUERY))
        for name in view.filter_fields:
            extra.append(
                OpenApiParameter(
                    name, OpenApiTypes.STR, OpenApiParameter.QUERY, description="Equality; a list matches any."
                )
            )
        if view.populate:
            extra.append(
                OpenApiParameter(
                    "populatedKeys",
                    OpenApiTypes.STR,
                    OpenApiParameter.QUERY,
                    description=f"JSON array of references to expand: {sorted(view.populate)}.",
                )
            )
        for info in registry.fields.values():
            if info.kind in (r.DATETIME, r.DATE) and info.name not in ("createdAt", "updatedAt"):
                for prefix in ("from_", "to_"):
                    extra.append(OpenApiParameter(prefix + info.name, OpenApiTypes.STR, OpenApiParameter.QUERY))
        return params + extra

    def _get_response_bodies(self, direction="response"):
        view = self._resource_view()
        action = getattr(view, "action", None)
        if view is None or action not in (
            "list",
            "search",
            "create",
            "retrieve",
            "partial_update",
            "destroy",
            "remove",
        ):
            return super()._get_response_bodies(direction)
        family = view.family()
        if action == "remove":
            code, body = "200", {"type": "object", "properties": {"success": {"type": "boolean"}}}
        else:
            doc = self.resolve_serializer(force_instance(view.serializer_class), direction).ref
            code, body = {
                "list": ("200", env.list_schema(family, doc)),
                "search": ("200", env.list_schema(family, doc)),
                "create": ("201", env.one_schema(family, doc)),
                "retrieve": ("200", env.one_schema(family, doc)),
                "partial_update": ("200", env.one_schema(family, doc)),
                "destroy": ("200", env.deleted_schema(family, doc)),
            }[action]
        responses = {code: {"content": {"application/json": {"schema": body}}, "description": ""}}
        error = {"content": {"application/json": {"schema": env.ERROR_SCHEMA}}}
        responses["401"] = {**error, "description": "Missing or bad credentials."}
        if action in ("list", "search", "create", "partial_update", "remove"):
            status = str(family.validation_status)
            responses[status] = {**error, "description": "Invalid input (the details name each field)."}
            if status != "400":
                responses["400"] = {**error, "description": "Malformed request."}
        if action in ("retrieve", "partial_update", "destroy", "remove"):
            responses["404"] = {**error, "description": "No such row in the caller's tenant."}
        if action in ("destroy", "remove", "create", "partial_update"):
            responses["409"] = {**error, "description": "Conflicts with other rows."}
        return responses
