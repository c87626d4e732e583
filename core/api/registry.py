"""The field registry of a resource, derived from its serializer.

One description per public field: its ORM path, kind, and how to render it from a
`.values()` row. Every query dialect (Repzo parameters now; where-clauses and OData later)
reads it, so nothing a client sends reaches `filter()`, `order_by()` or `F()` without passing
through it, and the list path renders rows without instantiating models or serializers
(ModelSerializer costs ~60x a values()-to-JSON path: PERFORMANCE-NOTES.md, lesson 3).
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from django.db import models
from django.db.models.expressions import OrderBy, Subquery
from rest_framework import serializers

from . import fields as api_fields

TEXT, NUMBER, INTEGER, BOOLEAN, DATETIME, DATE, UUID, REF, REFS, JSON, OTHER = (
    "text",
    "number",
    "integer",
    "boolean",
    "datetime",
    "date",
    "uuid",
    "ref",
    "refs",
    "json",
    "other",
)
SCALAR_KINDS = {TEXT, NUMBER, INTEGER, BOOLEAN, DATETIME, DATE, UUID, REF}


class IdListOutput(models.Field):
    """Output of RelatedIds: a list of id strings from either database's array form."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        if isinstance(value, str):  # SQLite: json_group_array of 32-hex uuids
            return [str(uuid.UUID(v)) for v in json.loads(value) if v is not None]
        return [str(v) for v in value]


class RelatedIds(Subquery):
    """The ids of a row's many-to-many targets, as one column of the main query (no extra
    round trip per relation): `ARRAY(subquery)` on PostgreSQL, `json_group_array` on SQLite."""

    def __init__(self, queryset, column, **kwargs):
        self.column = column
        super().__init__(queryset, output_field=IdListOutput(), **kwargs)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="ARRAY(%(subquery)s)", **extra)

    def as_sql(self, compiler, connection, **extra):
        template = f'(SELECT json_group_array(_ids."{self.column}") FROM (%(subquery)s) _ids)'
        return super().as_sql(compiler, connection, template=template, **extra)


# model -> the serializer of the resource that exposes it (filled by the router), so a
# relationship in a where-clause or a sort is checked against the target's own public fields.
RESOURCE_SERIALIZERS: dict = {}


def register_resource(serializer_class) -> None:
    RESOURCE_SERIALIZERS.setdefault(serializer_class.Meta.model, serializer_class)


class IsoMillis(models.Func):
    """A timestamp as the API prints it (ISO 8601, UTC, milliseconds, `Z`), formatted by the
    database: parsing and re-formatting a datetime per cell was a tenth of a list request."""

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"""to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')""", params

    def as_sql(self, compiler, connection, **extra):  # SQLite: stored as text, reformatted
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', {sql})", params


class EpochMillis(models.Func):
    """A timestamp as epoch milliseconds (the documented `number` timestamps), by the database."""

    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"floor(EXTRACT(EPOCH FROM ({sql})) * 1000)::bigint", params

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # Stored as text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds, plus the fraction's first
        # three digits (strftime's %s rounds the fraction, so .9995 s would count as a second).
        return (
            f"(CAST(strftime('%%s', substr({sql}, 1, 19)) AS INTEGER) * 1000 + CAST(substr({sql}, 21, 3) AS INTEGER))",
            params * 2,
        )


SQL_FORMATTED = {
    api_fields.format_datetime: IsoMillis,
    api_fields.to_epoch_ms: EpochMillis,
}


@dataclass
class FieldInfo:
    name: str  # public name
    kind: str
    orm_path: str | None  # None: not a column (computed)
    model_field: models.Field | None = None
    related_model: type[models.Model] | None = None
    filterable: bool = True
    sortable: bool = True
    # Fast rendering: either a column read from values() plus a converter, or a constant.
    value_key: str | None = None
    annotation: Any = None
    convert: Callable | None = None
    constant_from_tenant: bool = False
    extra: dict = field(default_factory=dict)


def _kind_of(model_field) -> str:
    if isinstance(model_field, models.ManyToManyField):
        return REFS
    if isinstance(model_field, models.ForeignKey):
        return REF
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.DateTimeField):
        return DATETIME
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(model_field, (models.IntegerField, models.BigIntegerField, models.PositiveSmallIntegerField)):
        return INTEGER
    if isinstance(model_field, (models.DecimalField, models.FloatField)):
        return NUMBER
    if isinstance(model_field, models.UUIDField):
        return UUID
    if isinstance(model_field, models.JSONField):
        return JSON
    if isinstance(model_field, (models.CharField, models.TextField)):
        return TEXT
    return OTHER


class ResourceFields:
    """Registry of one serializer's readable fields (built once per serializer class)."""

    _cache: dict = {}

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self.model = serializer_class.Meta.model
        self.fields: dict[str, FieldInfo] = {}
        self.fast = True  # every field renders from values()
        serializer = serializer_class(context={})
        for name, ser_field in serializer.fields.items():
            if ser_field.write_only:
                continue
            info = self._describe(name, ser_field)
            if info is None:
                self.fast = False
                continue
            if info.value_key is None and not info.constant_from_tenant:
                self.fast = False  # computed from the instance: rendered by the serializer
            self.fields[name] = info

    @classmethod
    def of(cls, serializer_class) -> "ResourceFields":
        registry = cls._cache.get(serializer_class)
        if registry is None:
            registry = cls._cache[serializer_class] = cls(serializer_class)
        return registry

    def _model_field(self, source):
        try:
            return self.model._meta.get_field(source)
        except Exception:
            return None

    def _describe(self, name, ser_field) -> FieldInfo | None:
        custom = getattr(ser_field, "describe", None)
        if custom is not None:
            return custom(name, self.model)
        if isinstance(ser_field, api_fields.NamespaceField):
            return FieldInfo(name, TEXT, None, filterable=False, sortable=False, constant_from_tenant=True)
        source = ser_field.source
        if not source or "." in source or source == "*":
            return None
        model_field = self._model_field(source)
        if model_field is None:
            return None
        kind = _kind_of(model_field)
        convert = getattr(ser_field, "fast_value", None)
        if isinstance(ser_field, serializers.ManyRelatedField):
            through = model_field.remote_field.through
            src = model_field.m2m_field_name()
            dst = model_field.m2m_reverse_field_name()
            annotation = RelatedIds(
                through.objects.filter(**{src: models.OuterRef("pk")}).order_by("pk").values(dst), dst
            )
            return FieldInfo(
                name,
                REFS,
                source,
                model_field,
                model_field.related_model,
                sortable=False,
                value_key=f"_refs_{name}",
                annotation=annotation,
            )
        if kind == REF:
            return FieldInfo(
                name,
                REF,
                source,
                model_field,
                model_field.related_model,
                value_key=model_field.attname,
                convert=api_fields.RefField.fast_value,
            )
        if convert is None and not isinstance(
            ser_field,
            (
                serializers.CharField,
                serializers.BooleanField,
                serializers.IntegerField,
                serializers.FloatField,
                serializers.ChoiceField,
                serializers.JSONField,
                serializers.ListField,
                serializers.DictField,
                serializers.ReadOnlyField,
            ),
        ):
            return None
        formatter = SQL_FORMATTED.get(convert)
        return FieldInfo(
            name,
            kind,
            source,
            model_field,
            sortable=kind in SCALAR_KINDS,
            filterable=kind != JSON,
            value_key=f"_fmt_{name}" if formatter else source,
            annotation=formatter(models.F(source)) if formatter else None,
            convert=None if formatter else convert,
        )

    # Query support -------------------------------------------------------------------------
    def get(self, name) -> FieldInfo | None:
        return self.fields.get(name)

    def related(self, info: FieldInfo) -> "ResourceFields | None":
        """The registry of the resource a reference points at (its public names are the ones a
        relationship filter or sort may use), or None when that model is not a resource."""
        serializer_class = RESOURCE_SERIALIZERS.get(info.related_model)
        return ResourceFields.of(serializer_class) if serializer_class else None

    @cached_property
    def value_columns(self) -> list[str]:
        keys = [f.value_key for f in self.fields.values() if f.value_key and f.annotation is None]
        return list(dict.fromkeys(keys))  # one column may feed two names (__v and SVClient)

    @cached_property
    def annotations(self) -> dict:
        return {f.value_key: f.annotation for f in self.fields.values() if f.annotation is not None}

    def render_rows(self, queryset, tenant) -> list[dict]:
        """Documents for the rows of `queryset` (already filtered, ordered and sliced)."""
        names, rows = self._reader(queryset.db).fetch(queryset)
        return self._documents(names, rows, tenant)

    def render_plain_page(self, *, tenant, ordering, limit, offset, using="default") -> list[dict]:
        """Documents of one page of the tenant's whole table in `ordering` (the hottest request:
        an unfiltered list), through SQL compiled once per resource and ordering."""
        names, rows = self._reader(using).fetch_plain(tenant=tenant, ordering=ordering, limit=limit, offset=offset)
        return self._documents(names, rows, tenant)

    def _documents(self, names, rows, tenant) -> list[dict]:
        index = {name: i for i, name in enumerate(names)}
        namespace = [tenant.namespace]
        plan = [(f.name, index.get(f.value_key), f.convert, f.constant_from_tenant) for f in self.fields.values()]
        out = []
        for row in rows:
            doc = {}
            for name, i, convert, is_namespace in plan:
                if is_namespace:
                    doc[name] = list(namespace)
                    continue
                value = row[i]
                doc[name] = convert(value) if convert is not None and value is not None else value
            out.append(doc)
        return out

    def _reader(self, using) -> "PageReader":
        readers = self.__dict__.setdefault("_readers", {})
        if using not in readers:
            readers[using] = PageReader(self, using)
        return readers[using]


_LONG_DIGITS = re.compile(r"\d{19}")


def _load_json(value, expression, connection):
    if not isinstance(value, str):
        return value
    if _LONG_DIGITS.search(value):
        # Maybe an integer beyond 64 bits, which orjson would read as a float: the standard
        # parser keeps it exact (the detail view, through Django, shows the same value).
        return json.loads(value)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)


def _fast_json(converters: dict) -> dict:
    """Django parses JSON columns with the json module; orjson does the same several times faster."""
    for index, (_functions, expression) in list(converters.items()):
        field = getattr(expression, "output_field", None)
        if isinstance(field, models.JSONField) and field.decoder is None:
            converters[index] = ([_load_json], expression)
    return converters


class PageReader:
    """Runs a page query without compiling the wide SELECT on every request.

    The select list of a resource (dozens of columns plus the related-id arrays) is compiled
    once; per request only the narrow `SELECT id ... WHERE ... ORDER BY ... LIMIT` of the
    filtered queryset is compiled (a fraction of the cost), and its tail is grafted onto the
    cached head. Rows come back as tuples through Django's own converters."""

    def __init__(self, registry: ResourceFields, using: str):
        from django.db import connections

        model = registry.model
        connection = connections[using]
        self.using = using
        self.marker = " FROM " + connection.ops.quote_name(model._meta.db_table)
        base = model._base_manager.db_manager(using).order_by().values(*registry.value_columns, **registry.annotations)
        compiler = base.query.get_compiler(using)
        self.head_sql, self.head_params = compiler.as_sql()
        if not self.head_sql.endswith(self.marker):
            raise AssertionError(f"unexpected page query shape for {model.__name__}")
        self.head_sql = self.head_sql[: -len(self.marker)]
        self.names = [*base.query.values_select, *base.query.annotation_select]
        self.converters = _fast_json(compiler.get_converters([expr for expr, _, _ in compiler.select]))
        self.compiler = compiler
        self.model = model
        self.has_subqueries = bool(registry.annotations)
        self.pk_column = (
            f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.pk.column)}"
        )

    def fetch(self, queryset):
        from django.db import connections

        sql, params = queryset.values_list("pk").query.get_compiler(self.using).as_sql()
        if self.has_subqueries or queryset.query.low_mark:
            # Pick the page's ids first, then read just those rows. The narrow id query walks
            # the (tenant, ...) index only (a wide query may prefer the primary key index and
            # wade through other tenants' rows), and PostgreSQL does not evaluate the
            # related-id subqueries of rows an OFFSET skips.
            from_sql, order_sql, order_params = self._outer(queryset.query.order_by)
            sql = f"{from_sql} WHERE {self.pk_column} IN ({sql}){order_sql}"
            params = (*params, *order_params)
        else:
            sql = sql[sql.index(self.marker) :]
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.head_sql + sql, (*self.head_params, *params))
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return self.names, rows

    def fetch_plain(self, *, tenant, ordering, limit, offset):
        from django.db import connections

        connection = connections[self.using]
        tenant_value = self.model._meta.get_field("tenant").target_field.get_db_prep_value(tenant.pk, connection)
        outer = None
        if all(isinstance(e, OrderBy) and isinstance(e.expression, models.F) for e in ordering):
            key = tuple(str(e) + repr((e.nulls_first, e.nulls_last)) for e in ordering)
        else:  # an expression (a relationship count) has no stable text of its own: its SQL is the key
            outer = self._outer(ordering)
            key = (outer[1], tuple(outer[2]))
        plain = self.__dict__.setdefault("_plain", {})
        if key not in plain:
            ids = self.model._base_manager.db_manager(self.using).filter(tenant=tenant).order_by(*ordering)
            ids_sql, ids_params = ids.values_list("pk").query.get_compiler(self.using).as_sql()
            # The tenant is the only condition: its parameter is the first one of the WHERE.
            slot = ids_sql[: ids_sql.index(" WHERE ")].count("%s")
            if ids_params[slot] != tenant_value:
                raise AssertionError(f"unexpected plain page query for {self.model.__name__}")
            from_sql, order_sql, order_params = outer or self._outer(ordering)
            sql = f"{self.head_sql}{from_sql} WHERE {self.pk_column} IN ({ids_sql} LIMIT %s OFFSET %s){order_sql}"
            plain[key] = (sql, list(ids_params), slot, tuple(order_params))
        sql, ids_params, slot, order_params = plain[key]
        ids_params = list(ids_params)
        ids_params[slot] = tenant_value
        with connection.cursor() as cursor:
            cursor.execute(sql, (*self.head_params, *ids_params, limit, offset, *order_params))
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return self.names, rows

    def _outer(self, ordering) -> tuple[str, str, tuple]:
        """The page query's ` FROM ...` and ` ORDER BY ...` for `ordering`: the bare table plus
        the joins the ordering needs (a sort through a relationship names the joined table),
        and the order with its parameters."""
        if not ordering:
            return self.marker, "", ()
        ordered = self.model._base_manager.db_manager(self.using).order_by(*ordering).values_list("pk")
        sql, params = ordered.query.get_compiler(self.using).as_sql()
        start, cut = sql.index(self.marker), sql.index(" ORDER BY ")
        from_sql = sql[start:cut]
        if "%s" in from_sql:  # every parameter must belong to the ORDER BY
            raise AssertionError(f"unexpected page order for {self.model.__name__}")
        return from_sql, sql[cut:], tuple(params)
