"""Documents of the sales organisation: reps, teams, routes, warehouses, return reasons
(family D), suppliers and inventory adjustment reasons (family E)."""

import json
import math
import uuid

from django.db import models
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Client
from core.api import fields as f
from core.api.serializers import ResourceSerializer
from core.ids import parse_uuid
from sales.models import InventoryAdjustmentReason, Rep, ReturnReason, Route, RouteClient, Supplier, Team, Warehouse
from sales.services import organisation as services


@extend_schema_field({"type": "object", "additionalProperties": True})
class CheckedObjectField(serializers.JSONField):
    """A documented nested object stored as JSON, validated by one of the service's checks;
    each problem is reported at its own path (`location.coordinates[1]`)."""

    default_error_messages = {"invalid": "Expected a JSON object."}

    def __init__(self, check, **kwargs):
        self.check = check
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        errors = self.check(data)
        if errors:
            raise serializers.ValidationError(
                {path or "non_field_errors": [message] for path, message in errors.items()}
            )
        return data


# Teams and reps --------------------------------------------------------------------------------
class TeamSerializer(ResourceSerializer):
    """`GET /team/{id}` adds `admins` and `reps` (see TeamViewSet.retrieve)."""

    class Meta:
        model = Team
        family = "D"
        fields = ["name", "disabled"]


class RepSerializer(ResourceSerializer):
    """The documented rep. `password` is write-only: stored hashed, never returned (not even
    masked). `permissions` renders the four documented flags, `settings` its one key."""

    password = f.StrictCharField(write_only=True, max_length=128)
    permissions = CheckedObjectField(services.rep_permissions_errors)
    settings = CheckedObjectField(services.rep_settings_errors)

    class Meta:
        model = Rep
        family = "D"
        fields = [
            "name", "email", "username", "phone", "role", "team_id", "password", "disabled", "permissions",
            "settings", "integration_meta",
        ]  # fmt: skip
        aliases = {"team_id": "team"}

    def get_fields(self):
        fields = super().get_fields()
        if self.context.get("importing"):  # see create_rep
            fields["password"].required = False
        return fields

    def create(self, validated_data):
        importing = bool(self.context.get("importing"))
        return services.create_rep(tenant=self.tenant, data=validated_data, password_optional=importing)

    def update(self, instance, validated_data):
        return services.update_rep(rep=instance, data=validated_data)


# Routes ----------------------------------------------------------------------------------------
class RouteClientsOutput(models.Field):
    """Output of RouteClientsJSON: `[{client_id, priority}]` from either database's JSON."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        items = json.loads(value) if isinstance(value, str) else value
        # SQLite stores uuids as 32 hex digits; the wire shows them dashed.
        return [{"client_id": str(uuid.UUID(str(i["client_id"]))), "priority": i["priority"]} for i in items]


class RouteClientsJSON(Subquery):
    """A route's `clients` as one JSON column of the list query (no query per route):
    `json_agg` on PostgreSQL, `json_group_array` over the ordered rows on SQLite."""

    def __init__(self, **kwargs):
        stops = (
            RouteClient.objects.filter(route=OuterRef("pk"))
            .order_by("position")
            .values("client_id", "priority", "position")
        )
        super().__init__(stops, output_field=RouteClientsOutput(), **kwargs)

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "(SELECT COALESCE(json_agg(json_build_object('client_id', _c.\"client_id\", 'priority', _c.\"priority\")"
            " ORDER BY _c.\"position\"), '[]'::json) FROM (%(subquery)s) _c)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, **extra):
        template = (
            "(SELECT json_group_array(json_object('client_id', _c.\"client_id\", 'priority', _c.\"priority\"))"
            " FROM (%(subquery)s) _c)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


ROUTE_CLIENT_KEYS = ("client_id", "priority")
MAX_ROUTE_CLIENTS = 2000


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"client_id": {"type": "string"}, "priority": {"type": "integer", "minimum": 0}},
            "required": ["client_id"],
        },
    }
)
class RouteClientsField(serializers.Field):
    """`clients[{client_id, priority}]`: the tenant's clients, once each, with distinct
    priorities (missing ones are numbered by the service). Ids are resolved in one query."""

    default_error_messages = {"not_a_list": "Expected a list of {{client_id, priority}} objects."}
    nested_references = {"client_id": Client}  # imports resolve codes and foreign ids (core/dataio)

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return services.route_clients(instance)

    def describe(self, name, model):
        from core.api.registry import OTHER, FieldInfo

        return FieldInfo(
            name, OTHER, None, filterable=False, sortable=False, value_key=f"_{name}", annotation=RouteClientsJSON()
        )

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > MAX_ROUTE_CLIENTS:
            raise serializers.ValidationError(f"At most {MAX_ROUTE_CLIENTS} clients per route.")
        errors: dict = {}
        parsed = []
        for i, item in enumerate(data):
            item_errors = {}
            client_pk = priority = None
            if not isinstance(item, dict):
                errors[i] = {"non_field_errors": ["Expected an object {client_id, priority}."]}
                parsed.append((None, None))
                continue
            for key in item:
                if key not in ROUTE_CLIENT_KEYS:
                    item_errors[str(key)] = [f"Unknown key; allowed: {', '.join(ROUTE_CLIENT_KEYS)}."]
            raw_id = item.get("client_id")
            if raw_id is None:
                item_errors["client_id"] = ["This field is required."]
            elif not isinstance(raw_id, str):
                item_errors["client_id"] = ["Expected an id string."]
            else:
                client_pk = parse_uuid(raw_id)
                if client_pk is None:
                    item_errors["client_id"] = [f"Not found: {raw_id}."]
            raw_priority = item.get("priority")
            if raw_priority is not None:
                if (
                    isinstance(raw_priority, bool)
                    or not isinstance(raw_priority, (int, float))
                    or not math.isfinite(raw_priority)
                    or raw_priority != int(raw_priority)
                    or raw_priority < 0
                ):
                    item_errors["priority"] = ["Expected an integer ≥ 0."]
                else:
                    priority = int(raw_priority)
            if item_errors:
                errors[i] = item_errors
            parsed.append((client_pk, priority))
        wanted = {pk for pk, _ in parsed if pk is not None}
        tenant = f.tenant_from_context(self.context)
        found = {c.pk: c for c in Client.objects.filter(tenant=tenant, pk__in=wanted)} if wanted else {}
        entries = []
        for i, (client_pk, priority) in enumerate(parsed):
            if client_pk is not None and client_pk not in found:
                errors.setdefault(i, {})["client_id"] = [f"Not found: {client_pk}."]
            entries.append({"client": found.get(client_pk), "priority": priority})
        if not errors:
            for (i, name), message in services.route_clients_errors(entries).items():
                errors.setdefault(i, {})[name] = [message]
        if errors:
            raise serializers.ValidationError(dict(sorted(errors.items())))
        return {"clients": entries}


class RouteSerializer(ResourceSerializer):
    clients = RouteClientsField()

    class Meta:
        model = Route
        family = "D"
        fields = ["name", "rep_id", "day", "clients", "disabled", "integration_meta"]
        aliases = {"rep_id": "rep"}

    def create(self, validated_data):
        return services.create_route(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_route(route=instance, data=validated_data)


# Warehouses, suppliers, reasons ----------------------------------------------------------------
@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        },
    }
)
class LocationField(CheckedObjectField):
    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(services.location_errors, **kwargs)


class WarehouseSerializer(ResourceSerializer):
    """`location` is a GeoJSON point `{type: "Point", coordinates: [lng, lat]}` (or null)."""

    location = LocationField()

    class Meta:
        model = Warehouse
        family = "D"
        fields = ["name", "location", "disabled", "integration_meta"]

    def create(self, validated_data):
        return services.create_warehouse(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_warehouse(warehouse=instance, data=validated_data)


class SupplierSerializer(ResourceSerializer):
    """`name` is required (the doc marks nothing required; a nameless supplier is useless)."""

    class Meta:
        model = Supplier
        family = "E"
        fields = ["name", "email", "phone", "address", "disabled", "integration_meta"]


class ReturnReasonSerializer(ResourceSerializer):
    class Meta:
        model = ReturnReason
        family = "D"
        fields = ["name", "local_name", "disabled", "integration_meta"]


class InventoryAdjustmentReasonSerializer(ResourceSerializer):
    """`name` and `type` are required: an adjustment takes its sign from the reason's type."""

    class Meta:
        model = InventoryAdjustmentReason
        family = "E"
        fields = ["name", "type", "disabled"]
