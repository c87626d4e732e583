"""Serializer fields with the wire rules of this API.

* Strict JSON types: a number is not a string, a string is not a number, only `true`/`false`
  are booleans (DRF's defaults coerce; a client sending the wrong type gets a 400 with the path).
* Money and quantities are JSON numbers (Decimal in the database).
* Timestamps are ISO 8601 with milliseconds and `Z`; `epoch` fields are milliseconds.
* References are ids resolved inside the caller's tenant; a foreign tenant's id is "not found".

Every field here also says how to render it from a `.values()` row (`fast_value`), which the
list path uses instead of instantiating models (see core/api/registry.py).
"""

import datetime as dt
import decimal
import math

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.relations import MANY_RELATION_KWARGS

from core.ids import parse_uuid

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_MS = dt.timedelta(milliseconds=1)


def format_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    # isoformat pads the year to four digits as ISO 8601 wants; strftime("%Y") writes year 197 as "197".
    return value.isoformat(timespec="milliseconds") + "Z"


def to_epoch_ms(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    # Whole milliseconds, rounded down as the database does (a float product truncates toward
    # zero, which differs before 1970).
    return (value - EPOCH) // ONE_MS


def from_epoch_ms(value) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def tenant_from_context(context) -> object:
    """The tenant a serializer works for: given directly (import commands, services) or
    through the authenticated request (API)."""
    tenant = context.get("tenant")
    if tenant is None:
        request = context.get("request")
        tenant = getattr(getattr(request, "user", None), "tenant", None)
    return tenant


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Expected a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NullableTextField(StrictCharField):
    """Optional text that reads as null when empty (surfaces whose strings are nullable)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None

    @staticmethod
    def fast_value(value):
        return value or None

    def to_internal_value(self, data):
        return super().to_internal_value(data) if data is not None else None


class StrictEmailField(serializers.EmailField):
    """An address as the OpenAPI `email` format defines it: ASCII only (Django would also take
    an internationalised domain, which that format does not)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        data = data.strip()
        if not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Expected true or false."}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Expected an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"invalid": "Expected a number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """Decimal in the database, a JSON number on the wire."""

    default_error_messages = {"invalid": "Expected a number."}

    def __init__(self, **kwargs):
        kwargs["coerce_to_string"] = False
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, decimal.Decimal)):
            self.fail("invalid")
        return super().to_internal_value(data)

    def to_representation(self, value):
        if value is None:
            return None
        return float(value)

    @staticmethod
    def fast_value(value):
        return None if value is None else float(value)


class DateTimeMsField(serializers.DateTimeField):
    """ISO 8601 in (any offset, or none meaning UTC), ISO 8601 UTC with milliseconds out."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        return super().to_internal_value(value)

    def to_representation(self, value):
        return format_datetime(value)

    fast_value = staticmethod(format_datetime)


@extend_schema_field({"type": "integer", "format": "int64", "description": "Epoch milliseconds."})
class EpochMsField(serializers.Field):
    """A timestamp carried as epoch milliseconds (the documented `number` timestamps)."""

    default_error_messages = {"invalid": "Expected epoch milliseconds (a number)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
            self.fail("invalid")
        try:
            return from_epoch_ms(data)
        except (OverflowError, OSError, ValueError):
            self.fail("invalid")

    def to_representation(self, value):
        return to_epoch_ms(value)

    fast_value = staticmethod(to_epoch_ms)


@extend_schema_field({"type": "string", "readOnly": True})
class IdField(serializers.ReadOnlyField):
    """The primary key as a string (`_id`)."""

    def to_representation(self, value):
        return str(value)

    @staticmethod
    def fast_value(value):
        return str(value)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class NamespaceField(serializers.Field):
    """`company_namespace`: `[<tenant namespace>]`, from the caller's key. A body naming any
    other namespace is refused with 403 (a caller never writes into another company)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return [instance.tenant.namespace]

    def to_internal_value(self, data):
        values = [data] if isinstance(data, str) else data
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise serializers.ValidationError("Expected a list of namespaces.")
        tenant = tenant_from_context(self.context)
        foreign = [v for v in values if tenant is None or v != tenant.namespace]
        if foreign:
            raise PermissionDenied(f"company_namespace {foreign} is not the caller's namespace.")
        return {}


class StringListField(serializers.ListField):
    child = StrictCharField(allow_blank=True)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    default_error_messages = {"invalid": "Expected a JSON object."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


class RefListField(serializers.ManyRelatedField):
    """Ids of rows of one model in the caller's tenant, resolved in one query."""

    default_error_messages = {
        "not_a_list": "Expected a list of ids.",
        "does_not_exist": "Not found: {ids}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str) or not isinstance(data, list):
            self.fail("not_a_list")
        if not self.allow_empty and not data:
            self.fail("empty")
        ids = []
        for raw in data:
            pk = parse_uuid(raw)
            if pk is None:
                self.fail("does_not_exist", ids=raw)
            if pk not in ids:
                ids.append(pk)
        found = {obj.pk: obj for obj in self.child_relation.get_queryset().filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            self.fail("does_not_exist", ids=", ".join(missing))
        return [found[pk] for pk in ids]

    def get_attribute(self, instance):
        # The link rows' order (the order the ids were given), as the list path renders them.
        if instance.pk is None:
            return []
        manager = getattr(instance, self.source)
        links = manager.through.objects.filter(**{manager.source_field_name: instance.pk}).order_by("pk")
        return list(links.values_list(f"{manager.target_field_name}_id", flat=True))

    def to_representation(self, ids):
        return [str(pk) for pk in ids]


class RefField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a row of the caller's tenant."""

    default_error_messages = {
        "does_not_exist": "Not found: {pk_value}.",
        "incorrect_type": "Expected an id string.",
    }

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return RefListField(**list_kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        tenant = tenant_from_context(self.context)
        return queryset.filter(tenant=tenant) if tenant is not None else queryset.none()

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type")
        pk = parse_uuid(data)
        if pk is None:
            self.fail("does_not_exist", pk_value=data)
        try:
            return self.get_queryset().get(pk=pk)
        except self.get_queryset().model.DoesNotExist:
            self.fail("does_not_exist", pk_value=data)

    def use_pk_only_optimization(self):
        return True

    def to_representation(self, value):
        return str(value.pk)

    @staticmethod
    def fast_value(value):
        return None if value is None else str(value)


class DerivedField(serializers.Field):
    """A read-only value computed from the instance. With `orm_path` it is also filterable and
    sortable through that column (e.g. a status shown as "ACTIVE" when empty). `schema` is the
    OpenAPI schema of the value (a computed value has no column to infer it from)."""

    def __init__(self, compute, *, schema: dict, orm_path=None, kind="text", related_model=None, **kwargs):
        self.compute = compute
        self.schema = schema
        self.orm_path = orm_path
        self.kind = kind
        self.related_model = related_model
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return self.compute(instance)

    def openapi_schema(self, direction) -> dict:
        return self.schema

    def describe(self, name, model):
        from .registry import FieldInfo

        model_field = model._meta.get_field(self.orm_path) if self.orm_path else None
        return FieldInfo(
            name,
            self.kind,
            self.orm_path,
            model_field,
            related_model=self.related_model or getattr(model_field, "related_model", None),
            filterable=self.orm_path is not None,
            sortable=self.orm_path is not None and self.kind not in ("refs", "json"),
        )


@extend_schema_field({"type": "boolean"})
class NegatedBooleanField(serializers.Field):
    """The inverse of a boolean column (Aiwyn `active` is not `disabled`); filters invert too."""

    def __init__(self, column, **kwargs):
        kwargs["source"] = column
        super().__init__(**kwargs)

    def to_representation(self, value):
        return not value

    def to_internal_value(self, data):
        if data is True or data is False:
            return not data
        raise serializers.ValidationError("Expected true or false.")

    @staticmethod
    def fast_value(value):
        return not value

    def describe(self, name, model):
        from .registry import BOOLEAN, FieldInfo

        return FieldInfo(
            name,
            BOOLEAN,
            self.source,
            model._meta.get_field(self.source),
            value_key=self.source,
            convert=self.fast_value,
            extra={"negate": True},
        )
