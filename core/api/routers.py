"""Routes of the Repzo surface: `/v1/<path>`, and the same at `/<path>` where the official SDK
calls them (that copy stays out of the OpenAPI schema).

No trailing slashes. Literal segments (`/remove`, `/check`, ...) come before `/{id}`, so they
win. Only the operations a resource documents are routed; any other method answers 405. PUT
and PATCH both reach the partial update.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from .registry import register_resource

BASE_ACTIONS = {"list", "create", "retrieve", "update", "partial_update", "destroy"}


class ResourceRouter(SimpleRouter):
    def __init__(self):
        super().__init__(trailing_slash="")
        self.sdk_aliases: list[tuple[str, str]] = []

    def register(self, prefix, viewset, basename=None, sdk_alias=None):
        viewset.resource_name = prefix
        if getattr(viewset, "serializer_class", None) is not None:
            register_resource(viewset.serializer_class)
        super().register(prefix, viewset, basename or prefix.replace("/", "-"))
        if sdk_alias:
            self.sdk_aliases.append((sdk_alias, prefix))

    def get_method_map(self, viewset, method_map):
        operations = set(getattr(viewset, "operations", BASE_ACTIONS))
        mapped = {}
        for method, action in method_map.items():
            if action in ("update", "partial_update"):
                if "update" in operations:
                    mapped[method] = "partial_update"
            elif action in BASE_ACTIONS:
                if action in operations and hasattr(viewset, action):
                    mapped[method] = action
            elif hasattr(viewset, action):
                mapped[method] = action
        return mapped

    def get_urls(self):
        urls = super().get_urls()
        # A resource with no operation on `/{id}` (a read-only list such as /inventory) still
        # answers 405 there, like any undocumented method, rather than 404.
        from django.urls import re_path

        for prefix, viewset, _basename in self.registry:
            operations = set(getattr(viewset, "operations", BASE_ACTIONS))
            if not operations & {"retrieve", "update", "destroy"}:
                regex = rf"^{prefix}/(?P<id>[^/.]+)$"
                urls.append(re_path(regex, NoMethodsView.as_view(), name=f"{prefix}-no-detail"))
        # SDK alias prefixes (e.g. /teams for /team) route to the same viewsets.
        for alias, prefix in self.sdk_aliases:
            for pattern in list(urls):
                regex = pattern.pattern.regex.pattern
                if regex.startswith(f"^{prefix}") and regex[len(prefix) + 1 : len(prefix) + 2] in ("$", "/"):
                    from django.urls import re_path

                    urls.append(re_path(regex.replace(f"^{prefix}", f"^{alias}", 1), pattern.callback))
        return urls

    def root_prefixes(self) -> list[str]:
        """The first path segments of the SDK's copies at the root (resources and aliases)."""
        prefixes = {prefix.split("/")[0] for prefix, _, _ in self.registry}
        prefixes.update(alias.split("/")[0] for alias, _ in self.sdk_aliases)
        return sorted(prefixes)

    def urlpatterns(self):
        """Mounted twice: under /v1/ (documented, in the schema) and at the root (SDK)."""
        urls = self.get_urls()
        return [path("v1/", include(urls)), path("", include((urls, "sdk"), namespace="sdk"))]


class NoMethodsView(APIView):
    """Every method answers 405 (after authentication, like any resource route)."""

    schema = None  # not an operation of the API


router = ResourceRouter()
