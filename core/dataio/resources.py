"""The resources data import and export know: every (path, viewset) of the API router.

A resource plugs in by being routed. Optional viewset declarations refine it:

    natural_key = ("client_code",)         # public field(s) that name a row inside a tenant
    bulk_create_service = "app.services.create_things_bulk"   # rules applied to a batch

The natural key finds the existing row a file row stands for and resolves references written
as a name or code instead of an id (a lookup list whose names are unique in any case,
core/uniqueness.py, by its name ignoring case). A resource whose serializer creates rows with
the generic `core.services.create_row` (no rule of its own) is written in bulk automatically; one with its
own create rules is written row by row through its serializer unless it declares a bulk service
that applies the same rules (see clients.services.client.create_clients_bulk).

A serializer field whose objects name rows by a key of theirs declares it on the field:

    nested_references = {"client_id": Client}   # a route's clients[{client_id, priority}]
"""

import functools
from dataclasses import dataclass
from functools import cached_property

from django.db.models import signals
from django.utils.module_loading import import_string

from core import uniqueness
from core.api.registry import ResourceFields
from core.api.serializers import ResourceSerializer
from core.models import TenantModel

# Names a document carries that are not written through the serializer: the id (used to match
# rows), the timestamps (kept after the write), the version and the namespace (ignored).
ID_NAME = "_id"
CREATED_NAMES = ("createdAt", "created_at")
UPDATED_NAMES = ("updatedAt", "modifiedAt", "updated_at")
IGNORED_NAMES = ("__v", "SVClient", "company_namespace", "company_id")


class UnknownResource(LookupError):
    pass


def _router_registry():
    from django.urls import get_resolver

    from core.api.routers import router

    _ = get_resolver().url_patterns  # importing the URLconf registers every app's resources
    return router.registry


@dataclass(frozen=True)
class Resource:
    name: str  # the API path, e.g. "client-channel"
    viewset: type

    @property
    def serializer_class(self):
        return self.viewset.serializer_class

    @property
    def model(self):
        return self.serializer_class.Meta.model

    @property
    def registry(self) -> ResourceFields:
        return self.viewset.registry()

    @property
    def operations(self) -> frozenset:
        return frozenset(getattr(self.viewset, "operations", ()))

    @property
    def can_create(self) -> bool:
        return "create" in self.operations

    @property
    def can_update(self) -> bool:
        return "update" in self.operations

    @property
    def natural_key(self) -> tuple[str, ...]:
        return tuple(getattr(self.viewset, "natural_key", ()) or ())

    def natural_key_paths(self) -> tuple[str, ...]:
        """ORM paths of the natural key's public names."""
        paths = []
        for name in self.natural_key:
            info = self.registry.get(name)
            if info is None or not info.orm_path:
                raise AssertionError(f"{self.viewset.__name__}.natural_key names {name!r}, not a column field")
            paths.append(info.orm_path)
        return tuple(paths)

    @cached_property
    def natural_key_ignores_case(self) -> bool:
        """A lookup list whose names are unique in any case (core/uniqueness.py): a file's
        "vip" is the tenant's "VIP"."""
        return self.natural_key_paths() == (uniqueness.NAME,) and uniqueness.has_unique_name(self.model)

    def natural_value(self, value: str) -> str:
        """A natural key value as rows are matched by it."""
        return value.lower() if self.natural_key_ignores_case else value

    @cached_property
    def bulk_create(self):
        """The function that creates a batch of validated rows with this resource's rules, or
        None when rows must go one by one through the serializer's create()."""
        declared = getattr(self.viewset, "bulk_create_service", None)
        if declared is not None:
            return import_string(declared) if isinstance(declared, str) else declared
        if self.serializer_class.create is not ResourceSerializer.create:
            return None  # the resource has create rules of its own and no batch version of them
        if self.model.save is not TenantModel.save:
            return None  # the model's save() does something bulk writes would skip
        if any(signal.has_listeners(self.model) for signal in (signals.pre_save, signals.post_save)):
            return None
        from .bulk import create_rows_bulk

        return functools.partial(create_rows_bulk, model=self.model)

    @property
    def table_name(self) -> str:
        return self.model._meta.db_table


def all_resources() -> list[Resource]:
    """Every routed resource, in registration order (one entry per path)."""
    seen, out = set(), []
    for prefix, viewset, _basename in _router_registry():
        if prefix in seen or getattr(viewset, "serializer_class", None) is None:
            continue
        seen.add(prefix)
        out.append(Resource(prefix, viewset))
    return out


def get_resource(name: str) -> Resource:
    for resource in all_resources():
        if resource.name == name:
            return resource
    known = ", ".join(sorted(r.name for r in all_resources()))
    raise UnknownResource(f"Unknown resource '{name}'. Known: {known}.")


def resource_for_model(model) -> Resource | None:
    """The resource that exposes `model` (the first registered one)."""
    for resource in all_resources():
        if resource.model is model:
            return resource
    return None
