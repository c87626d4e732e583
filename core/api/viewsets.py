"""The one viewset every resource is declared with.

    class TagViewSet(ResourceViewSet):
        queryset = Tag.objects.all()
        serializer_class = TagSerializer          # documented field names; its Meta.family
        search_fields = ["name"]                   # ORM paths the `search` parameter looks in
        filter_fields = ["name", "disabled"]       # documented equality filters (public names)
        operations = {"list", "create", "retrieve", "update", "destroy", "remove"}

Lists are tenant-scoped, filtered by the Repzo parameters, counted exactly, rendered from
`.values()` through the field registry and wrapped in the family's envelope. Writes go through
the serializer, whose create/update call the services.
"""

from django.db import transaction
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core import rowcounts, services
from core.ids import parse_uuid

from .deadline import QueryTooExpensive, bounded_query, odata_too_expensive
from .envelopes import Page
from .fields import StrictCharField
from .listing import ListParams, get_list
from .registry import ResourceFields
from .throttling import expensive_query_slot

ALL_OPERATIONS = frozenset({"list", "create", "retrieve", "update", "destroy"})


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=StrictCharField(), allow_empty=False, max_length=1000)


class ResourceViewSet(viewsets.GenericViewSet):
    serializer_class = None
    operations = ALL_OPERATIONS
    search_fields: tuple = ()
    filter_fields: tuple = ()
    populate: dict = {}  # public field -> serializer class of the referenced resource
    default_per_page = 25
    default_ordering = ("_id",)
    hide_disabled_by_default = False
    lookup_value_regex = "[^/]+"
    lookup_url_kwarg = "id"  # documented paths say /{id}
    resource_name = ""  # the path segment, set by the router

    # Declaration helpers ---------------------------------------------------------------------
    @classmethod
    def family(cls):
        return cls.serializer_class.family()

    @classmethod
    def registry(cls) -> ResourceFields:
        return ResourceFields.of(cls.serializer_class)

    @classmethod
    def get_extra_actions(cls):
        # Optional shared actions (bulk remove) exist only where the resource documents them.
        return [a for a in super().get_extra_actions() if a.__name__ != "remove" or "remove" in cls.operations]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = self.request.user.tenant if self.request else None
        return context

    # Reading ---------------------------------------------------------------------------------
    @property
    def tenant(self):
        return self.request.user.tenant

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.tenant)

    def get_object(self):
        pk = parse_uuid(self.kwargs.get(self.lookup_url_kwarg))
        if pk is None:
            raise NotFound()
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound()
        self.check_object_permissions(self.request, obj)
        return obj

    @staticmethod
    def _is_tenant_only(queryset) -> bool:
        return len(queryset.query.where.children) == 1  # no filter beyond the tenant's

    def count(self, queryset, query) -> int:
        """The exact total. Unfiltered lists read the kept count (core/rowcounts.py) instead of
        COUNT(*), whose cost grows with the tenant. A viewset that narrows get_queryset() gets a
        real count automatically."""
        if self._is_tenant_only(queryset) and not query.has_filters and rowcounts.is_counted(queryset.model):
            return rowcounts.kept_count(tenant=self.tenant, table=queryset.model._meta.db_table)
        return queryset.count()

    def render(self, queryset) -> list[dict]:
        """Documents for an ordered, sliced queryset."""
        registry = self.registry()
        if registry.fast:
            return registry.render_rows(queryset, self.tenant)
        return self.get_serializer(list(queryset), many=True).data

    def document(self, instance) -> dict:
        return self.get_serializer(instance).data

    def expand(self, docs: list[dict], keys) -> None:
        """populatedKeys: replace referenced ids by the referenced documents (one query per key)."""
        for key in keys:
            target = self.populate[key]
            if isinstance(target, str):  # "app.module.Serializer": avoids import cycles
                target = import_string(target)
            ids = set()
            for doc in docs:
                value = doc.get(key)
                if isinstance(value, list):
                    ids.update(value)
                elif value:
                    ids.add(value)
            if not ids:
                continue
            registry = ResourceFields.of(target)
            queryset = target.Meta.model.objects.filter(tenant=self.tenant, pk__in=list(ids))
            if registry.fast:
                found = {d["_id"]: d for d in registry.render_rows(queryset, self.tenant)}
            else:
                found = {d["_id"]: d for d in target(queryset, many=True, context=self.get_serializer_context()).data}
            for doc in docs:
                value = doc.get(key)
                if isinstance(value, list):
                    doc[key] = [found.get(v, v) for v in value]
                elif value:
                    doc[key] = found.get(value, value)

    def page(self, query, *, select=None, path="") -> Response:
        """Count, fetch, render and wrap one page of a parsed query (list, OData and search),
        under the list statement timeout (a 400 naming `path` when it runs out) and, when the
        query is expensive, within the company's limits on expensive queries (a 429)."""
        with expensive_query_slot(self.request, query.cost), bounded_query(path, using=self.get_queryset().db):
            return self._page(query, select=select)

    def _page(self, query, *, select=None) -> Response:
        queryset = self.get_queryset()
        for condition in query.filters:
            queryset = queryset.filter(condition)
        total = self.count(queryset, query)
        registry = self.registry()
        if query.offset >= total:
            items = []
        elif registry.fast and not query.filters and not query.position and self._is_tenant_only(queryset):
            items = registry.render_plain_page(
                tenant=self.tenant,
                ordering=query.ordering,
                limit=query.per_page,
                offset=query.offset,
                using=queryset.db,
            )
        else:
            for condition in query.position:
                queryset = queryset.filter(condition)
            items = self.render(queryset.order_by(*query.ordering)[query.offset : query.offset + query.per_page])
        if query.populate:
            self.expand(items, query.populate)
        if select:
            items = [{key: doc[key] for key in select if key in doc} for doc in items]
        page = Page(
            items=items, total=total, page=query.page, per_page=query.per_page, offset=query.offset, paging=query.paging
        )
        return Response(self.family().list_body(page, self.request))

    def list(self, request, *args, **kwargs):
        query = ListParams(self).parse(request.query_params)
        odata = self.odata(request.query_params, query.cost)
        if odata is None:
            return self.page(query)
        # OData options ride along with the documented parameters: $filter narrows, $orderby
        # replaces the order, $top/$skip replace the window, $select projects the documents.
        if odata.filter is not None:
            query.filters.append(odata.filter)
            query.has_filters = True
        if odata.ordering:
            query.ordering = odata.ordering
        if odata.top is not None or odata.skip:
            query.paging = "odata"
        if odata.top is not None:
            query.per_page = odata.top
            query.offset = odata.skip
            query.page = odata.skip // odata.top + 1 if odata.top else 1
        elif odata.skip:
            query.offset = odata.skip
        try:
            return self.page(query, select=odata.select)
        except QueryTooExpensive as exc:
            raise odata_too_expensive(exc, odata) from None

    def odata(self, params, cost=None):
        if not any(key.startswith("$") for key in params):
            return None
        from django.conf import settings

        from .odata import parse_odata

        return parse_odata(params, self.registry(), max_top=settings.API_MAX_PAGE_SIZE, cost=cost)

    @extend_schema(
        request=inline_serializer(
            "WhereSearch",
            {
                "where": serializers.JSONField(required=False, help_text="Hasura boolean expression"),
                "orderBy": serializers.JSONField(required=False, help_text='[{"name": "asc"}, ...]'),
                "page": serializers.IntegerField(required=False, help_text="0-based"),
                "pageSize": serializers.IntegerField(required=False),
                "limit": serializers.IntegerField(required=False),
            },
        )
    )
    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request, *args, **kwargs):
        """Where-clause search (Hasura semantics): `{where, orderBy, page (0-based), pageSize|limit}`,
        answered in this resource's own list envelope."""
        from django.conf import settings

        from .listing import ListQuery, QueryError, parse_int
        from .where import compile_order_by, compile_where

        body = request.data
        if not isinstance(body, dict):
            raise QueryError("body", "expected a JSON object")
        unknown = set(body) - {"where", "orderBy", "page", "pageSize", "limit"}
        if unknown:
            raise QueryError(sorted(unknown)[0], "unknown key")
        registry = self.registry()
        query = ListQuery()
        if "where" in body:
            query.filters.append(compile_where(body["where"], registry, cost=query.cost))
            query.has_filters = True
        if body.get("orderBy"):
            query.ordering = compile_order_by(body["orderBy"], registry)
        else:
            query.ordering = ListParams(self).default_order()
        size_key = "pageSize" if "pageSize" in body else "limit"
        for key in (size_key, "page"):
            value = body.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise QueryError(key, "expected an integer")
        per_page = parse_int(size_key, body.get(size_key) or self.default_per_page, minimum=1)
        if per_page > settings.API_MAX_PAGE_SIZE:
            raise QueryError(size_key, f"must be at most {settings.API_MAX_PAGE_SIZE}")
        page = parse_int("page", body.get("page") or 0, minimum=0)
        query.per_page, query.offset, query.page = per_page, page * per_page, page + 1
        return self.page(query, path="where" if "where" in body else "")

    def retrieve(self, request, *args, **kwargs):
        doc = self.document(self.get_object())
        populate = get_list(request.query_params, "populatedKeys")
        if populate:
            query = ListParams(self)
            unknown = [k for k in populate if k not in query.populate]
            if unknown:
                from .listing import QueryError

                raise QueryError("populatedKeys", f"unknown key '{unknown[0]}'; allowed: {sorted(query.populate)}")
            self.expand([doc], populate)
        return Response(self.family().one(doc))

    # Writing ---------------------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.family().created(self.document(instance)), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        # PUT and PATCH are both partial updates (the SDK sends PUT for both).
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.family().one(self.document(instance)))

    def perform_destroy(self, instance):
        services.delete_row(instance=instance)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        doc = self.document(instance)  # the deleted document is the answer of some families
        self.perform_destroy(instance)
        return Response(self.family().deleted(doc))

    def perform_remove(self, ids):
        services.delete_rows(model=self.get_queryset().model, tenant=self.tenant, ids=ids)

    @action(detail=False, methods=["post"], url_path="remove")
    def remove(self, request, *args, **kwargs):
        """Delete several rows at once: all or nothing."""
        body = IdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            self.perform_remove(body.validated_data["ids"])
        return Response({"success": True})
