"""Documents of the stock resources: `inventory` (read-only, family E), `adjust-inventory` (E),
`receiving-material` and `transfer` (D without page URLs). Writes go to
sales/services/stock_documents.py; lines (`items`) are resolved in one query per referenced
model and checked there."""

import decimal
import math

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from core.ids import parse_uuid
from sales.models import (
    Inventory,
    InventoryAdjustment,
    InventoryAdjustmentReason,
    MeasureUnit,
    Product,
    ReceivingMaterial,
    Transfer,
    Variant,
)
from sales.models.stock import QUANTITY
from sales.services import stock_documents as services

MAX_NUMBER = decimal.Decimal(10) ** 12  # beyond any real quantity or cost, inside the columns
SIX = decimal.Decimal("0.000001")


def _number(value) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise ValueError("Expected a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Expected a finite number.")
    number = decimal.Decimal(str(value))
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise ValueError(f"Expected a number between -{MAX_NUMBER} and {MAX_NUMBER}.")
    return number.quantize(SIX, rounding=decimal.ROUND_HALF_UP)


def _num_out(value):
    return None if value is None else float(value)


def _ref_out(value):
    return None if value is None else str(value)


class LinesField(serializers.Field):
    """A document's `items`: a list of objects whose references (`refs`: public name -> (column,
    model)) are the tenant's rows, resolved in one query per model, and whose numbers
    (`numbers`: public name -> column) are JSON numbers. Keys it does not know are ignored (a
    document read back and sent again carries computed ones such as `totalCost`). The rules
    (required values, signs, matching product) are the service's."""

    default_error_messages = {"not_a_list": "Expected a list of objects."}

    def __init__(self, *, refs: dict, numbers: dict, render, schema: dict, **kwargs):
        self.refs, self.numbers, self.render, self.schema = refs, numbers, render, schema
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    @property
    def nested_references(self):  # imports resolve codes and foreign ids (core/dataio)
        return {public: model for public, (_column, model) in self.refs.items()}

    def openapi_schema(self, direction) -> dict:
        return self.schema[direction]

    def to_representation(self, instance):
        return [self.render(item) for item in instance.items.all()]

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > services.MAX_LINES:
            raise serializers.ValidationError(f"At most {services.MAX_LINES} lines.")
        errors: dict = {}
        parsed = []
        wanted: dict = {public: set() for public in self.refs}
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                errors[i] = {"non_field_errors": ["Expected an object."]}
                parsed.append({})
                continue
            line, line_errors = {}, {}
            for public, (column, _model) in self.refs.items():
                raw = item.get(public)
                if isinstance(raw, dict):  # the SDK's populated shape {_id, ...}
                    raw = raw.get("_id")
                if raw is None:
                    continue
                if not isinstance(raw, str):
                    line_errors[public] = ["Expected an id string."]
                    continue
                pk = parse_uuid(raw)
                if pk is None:
                    line_errors[public] = [f"Not found: {raw[:100]}."]
                    continue
                line[column] = pk
                wanted[public].add(pk)
            for public, column in self.numbers.items():
                raw = item.get(public)
                if raw is None:
                    continue
                try:
                    line[column] = _number(raw)
                except ValueError as exc:
                    line_errors[public] = [str(exc)]
            if line_errors:
                errors[i] = line_errors
            parsed.append(line)
        if errors:
            raise serializers.ValidationError(dict(sorted(errors.items())))
        tenant = f.tenant_from_context(self.context)
        found = {}
        for public, (column, model) in self.refs.items():
            ids = wanted[public]
            queryset = model.objects.filter(tenant=tenant, pk__in=ids)
            if model is Variant:
                queryset = queryset.select_related("product")
            found[column] = {row.pk: row for row in queryset} if ids else {}
        lines = []
        for i, line in enumerate(parsed):
            for public, (column, _model) in self.refs.items():
                if column in line:
                    row = found[column].get(line[column])
                    if row is None:
                        errors.setdefault(i, {})[public] = [f"Not found: {line[column]}."]
                    line[column] = row
            lines.append(line)
        if errors:
            raise serializers.ValidationError(dict(sorted(errors.items())))
        return {"items": lines}


def _lines_schema(refs: list[str], inputs: list[str], outputs: list[str], required: list[str]) -> dict:
    def props(names, kind):
        return {name: {"type": kind} for name in names}

    item_in = {
        "type": "object",
        "properties": {**props(refs, "string"), "measureunit": {"type": "string"}, **props(inputs, "number")},
        **({"required": required} if required else {}),
    }
    item_out = {
        "type": "object",
        "properties": {
            **{
                name: {"type": "string"} if name in ("product", "variant") else {"type": "string", "nullable": True}
                for name in refs
            },
            "measureunit": {"type": "string", "nullable": True},
            **{name: {"type": "number", "nullable": True} for name in (*inputs, *outputs)},
        },
    }
    return {"request": {"type": "array", "items": item_in}, "response": {"type": "array", "items": item_out}}


# inventory ----------------------------------------------------------------------------------------------
@extend_schema_field({"type": "number", "readOnly": True, "description": "quantity − reservedQuantity."})
class AvailableQuantityField(serializers.Field):
    """`availableQuantity` = quantity − reservedQuantity, computed by the list query itself."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return float(instance.quantity - instance.reserved_quantity)

    def describe(self, name, model):
        from core.api.registry import NUMBER, FieldInfo

        expression = models.ExpressionWrapper(
            models.F("quantity") - models.F("reserved_quantity"), output_field=models.DecimalField(**QUANTITY)
        )
        return FieldInfo(
            name,
            NUMBER,
            None,
            filterable=False,
            sortable=False,
            value_key=f"_{name}",
            annotation=expression,
            convert=f.MoneyField.fast_value,
        )


class InventorySerializer(ResourceSerializer):
    """One row per warehouse and variant: what it holds (`quantity`, in base units), what open
    proformas reserve of it (`reservedQuantity`), what can still be sold (`availableQuantity`),
    its moving-average `cost` per base unit and when it last moved (`lastUpdated`)."""

    availableQuantity = AvailableQuantityField()

    class Meta:
        model = Inventory
        family = "E"
        fields = [
            "warehouse", "product", "variant", "quantity", "reservedQuantity", "availableQuantity", "cost",
            "lastUpdated",
        ]  # fmt: skip
        aliases = {"reservedQuantity": "reserved_quantity", "lastUpdated": "updated_at"}
        read_only_fields = fields


# adjust-inventory ----------------------------------------------------------------------------------------
def _adjustment_line(item) -> dict:
    return {
        "product": _ref_out(item.product_id),
        "variant": _ref_out(item.variant_id),
        "measureunit": _ref_out(item.measureunit_id),
        "adjustmentQuantity": _num_out(item.adjustment_quantity),
        "quantity": _num_out(item.quantity),
        "reason": _ref_out(item.reason_id),
    }


class InventoryAdjustmentSerializer(ResourceSerializer):
    """Immutable once created: its lines moved the stock then."""

    items = LinesField(
        refs={
            "product": ("product", Product),
            "variant": ("variant", Variant),
            "measureunit": ("measureunit", MeasureUnit),
            "reason": ("reason", InventoryAdjustmentReason),
        },
        numbers={"adjustmentQuantity": "adjustment_quantity"},
        render=_adjustment_line,
        schema={
            **_lines_schema(
                ["product", "variant", "reason"],
                ["adjustmentQuantity"],
                ["quantity"],
                ["variant", "adjustmentQuantity"],
            ),
        },
        help_text=(
            "Lines: `variant` (required), `product` (the variant's), `adjustmentQuantity` (required, not 0; in "
            "`measureunit` when given, else in base units), `reason` (an inventory adjustment reason: its type "
            "gives the sign, increase + or decrease −; without one the quantity's own sign counts). Answers add "
            "`quantity`: the signed base-unit quantity that moved."
        ),
    )

    class Meta:
        model = InventoryAdjustment
        family = "E"
        fields = ["warehouse", "rep", "items", "notes", "status"]

    def create(self, validated_data):
        return services.create_adjustment(tenant=self.tenant, data=validated_data)


# receiving-material ----------------------------------------------------------------------------------------
def _receipt_line(item) -> dict:
    return {
        "product": _ref_out(item.product_id),
        "variant": _ref_out(item.variant_id),
        "measureunit": _ref_out(item.measureunit_id),
        "expectedQuantity": _num_out(item.expected_quantity),
        "receivedQuantity": _num_out(item.received_quantity),
        "unitCost": _num_out(item.unit_cost),
        "totalCost": _num_out(item.total_cost),
    }


class ReceivingMaterialSerializer(ResourceSerializer):
    items = LinesField(
        refs={
            "product": ("product", Product),
            "variant": ("variant", Variant),
            "measureunit": ("measureunit", MeasureUnit),
        },
        numbers={
            "expectedQuantity": "expected_quantity",
            "receivedQuantity": "received_quantity",
            "unitCost": "unit_cost",
        },
        render=_receipt_line,
        schema=_lines_schema(
            ["product", "variant"], ["expectedQuantity", "receivedQuantity", "unitCost"], ["totalCost"], ["variant"]
        ),
        help_text=(
            "Lines: `variant` (required), `product` (the variant's), `expectedQuantity`, `receivedQuantity` "
            "(defaults to expectedQuantity), `unitCost` (per line unit), `measureunit` (optional: quantities in "
            "that unit). `totalCost` = receivedQuantity × unitCost is computed. Lines change only while pending."
        ),
    )
    status = serializers.ChoiceField(
        choices=ReceivingMaterial.Status.choices,
        required=False,
        help_text="pending → received (puts the stock in) or cancelled; received → cancelled (takes it out again).",
    )

    class Meta:
        model = ReceivingMaterial
        family = "D-"
        fields = [
            "warehouse", "supplier", "rep", "receiptNumber", "receiptDate", "items", "totalAmount", "status", "notes",
            "integration_meta",
        ]  # fmt: skip
        aliases = {"receiptNumber": "receipt_number", "receiptDate": "receipt_date", "totalAmount": "total_amount"}

    def create(self, validated_data):
        return services.create_receipt(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_receipt(receipt=instance, data=validated_data)


# transfer ----------------------------------------------------------------------------------------------------
def _transfer_line(item) -> dict:
    return {
        "product": _ref_out(item.product_id),
        "variant": _ref_out(item.variant_id),
        "measureunit": _ref_out(item.measureunit_id),
        "requestedQuantity": _num_out(item.requested_quantity),
        "sentQuantity": _num_out(item.sent_quantity),
        "receivedQuantity": _num_out(item.received_quantity),
        "transitLoss": _num_out(item.transit_loss),
        "unitCost": _num_out(item.unit_cost),
    }


class TransferSerializer(ResourceSerializer):
    items = LinesField(
        refs={
            "product": ("product", Product),
            "variant": ("variant", Variant),
            "measureunit": ("measureunit", MeasureUnit),
        },
        numbers={
            "requestedQuantity": "requested_quantity",
            "sentQuantity": "sent_quantity",
            "receivedQuantity": "received_quantity",
            "unitCost": "unit_cost",
        },
        render=_transfer_line,
        schema=_lines_schema(
            ["product", "variant"],
            ["requestedQuantity", "sentQuantity", "receivedQuantity", "unitCost"],
            ["transitLoss"],
            ["variant"],
        ),
        help_text=(
            "Lines, one per variant: `variant` (required), `product` (the variant's), `requestedQuantity` (> 0), "
            "`sentQuantity` (defaults to requested when the transfer leaves), `receivedQuantity` (defaults to sent "
            "when it completes; at most sent), `unitCost` (defaults to the source's average cost), `measureunit`. "
            "`transitLoss` = sent − received. While pending the lines are replaced; in transit only "
            "receivedQuantity may change."
        ),
    )
    status = serializers.ChoiceField(
        choices=Transfer.Status.choices,
        required=False,
        help_text=(
            "pending → in_transit (takes the sent quantities out of fromWarehouse) → completed (puts the received "
            "ones into toWarehouse); pending → cancelled (no effect); in_transit → cancelled (the stock goes back)."
        ),
    )

    class Meta:
        model = Transfer
        family = "D-"
        fields = [
            "transferNumber", "fromWarehouse", "toWarehouse", "rep", "transferDate", "expectedDate", "completedDate",
            "status", "items", "totalValue", "reason", "notes", "integration_meta",
        ]  # fmt: skip
        aliases = {
            "transferNumber": "transfer_number",
            "fromWarehouse": "from_warehouse",
            "toWarehouse": "to_warehouse",
            "transferDate": "transfer_date",
            "expectedDate": "expected_date",
            "completedDate": "completed_date",
            "totalValue": "total_value",
        }

    def create(self, validated_data):
        return services.create_transfer(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_transfer(transfer=instance, data=validated_data)
