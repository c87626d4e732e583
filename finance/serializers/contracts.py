"""The contract (family E) with its `installments[]`, the installment (family B), and the body of
`POST /contract-installment/{id}/pay`."""

from decimal import Decimal

from django.db import models
from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import Contract, ContractInstallment
from finance.services import contracts as services

Status = ContractInstallment.Status
MONEY = {"max_digits": 14, "decimal_places": 2}
HISTORY_ITEM = {
    "type": "object",
    "properties": {
        "date": {"type": "string", "format": "date"},
        "amount": {"type": "number"},
        "method": {"type": "string"},
        "reference": {"type": "string"},
        "notes": {"type": "string"},
        "payment": {"type": "string", "description": "The payment document (`/payments`) this recorded."},
    },
}
STATUS_SCHEMA = {
    "type": "string",
    "enum": list(Status.values),
    "description": "`overdue`: pending and today is past `due_date` + `grace_period_days`.",
}


class DayField(serializers.DateField):
    """A calendar day, `YYYY-MM-DD` both ways (a string only: no datetimes, no numbers)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)

    @staticmethod
    def fast_value(value):
        return None if value is None else value.isoformat()


class InstallmentStatusField(serializers.Field):
    """`status` as shown: the stored state, or `overdue` for a pending installment past its grace
    period. Filters and sorts read the same value computed in SQL (`api_status`, annotated by the
    viewset), so `status=overdue` agrees with `/overdue`. Writable only as `cancelled`."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, instance):
        shown = getattr(instance, "api_status", None)
        return shown or services.shown_status(instance)

    def to_internal_value(self, data):
        if data not in Status.values:
            raise serializers.ValidationError(f"Expected one of: {', '.join(Status.values)}.")
        return {"status": data}

    def openapi_schema(self, direction) -> dict:
        return STATUS_SCHEMA

    def describe(self, name, model):
        from core.api.registry import TEXT, FieldInfo

        return FieldInfo(name, TEXT, "api_status", model._meta.get_field("status"))


class PaymentHistoryField(serializers.ReadOnlyField):
    def openapi_schema(self, direction) -> dict:
        return {"type": "array", "items": HISTORY_ITEM, "readOnly": True}


class ContractInstallmentSerializer(ResourceSerializer):
    serializer_field_mapping = {**ResourceSerializer.serializer_field_mapping, models.DateField: DayField}
    contract = f.RefField(queryset=Contract.objects.all(), help_text="Contract ID")
    installment_number = f.StrictIntegerField(min_value=1, max_value=10000)
    amount = f.MoneyField(**MONEY, min_value=Decimal("0.01"))
    late_fee = f.MoneyField(**MONEY, min_value=Decimal(0), required=False)
    discount_applied = f.MoneyField(**MONEY, min_value=Decimal(0), required=False)
    interest_rate = f.MoneyField(max_digits=7, decimal_places=4, min_value=Decimal(0), required=False)
    grace_period_days = f.StrictIntegerField(min_value=0, max_value=3650, required=False)
    currency = f.StrictCharField(max_length=10, required=False)
    status = InstallmentStatusField()
    payment_history = PaymentHistoryField()

    class Meta:
        model = ContractInstallment
        family = "B"
        fields = [
            "contract", "installment_number", "due_date", "amount", "currency", "status", "payment_date",
            "payment_amount", "payment_method", "payment_reference", "late_fee", "discount_applied", "interest_rate",
            "grace_period_days", "reminder_sent", "reminder_dates", "auto_pay_enabled", "notes", "custom_fields",
            "payment_history",
        ]  # fmt: skip

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("contract", "installment_number"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: ["Cannot be changed."]})
                attrs.pop(name, None)
        return attrs

    def create(self, validated_data):
        if validated_data.get("status") not in (None, Status.PENDING):
            raise serializers.ValidationError({"status": ["An installment starts pending."]})
        return services.create_installment(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_installment(installment=instance, data=validated_data)


class ScheduleItemSerializer(serializers.Serializer):
    """One entry of a contract's `installments[]`."""

    installment_number = f.StrictIntegerField(min_value=1, required=False)
    due_date = DayField()
    amount = f.MoneyField(**MONEY, min_value=Decimal("0.01"))
    currency = f.StrictCharField(max_length=10, required=False)
    late_fee = f.MoneyField(**MONEY, min_value=Decimal(0), required=False)
    discount_applied = f.MoneyField(**MONEY, min_value=Decimal(0), required=False)
    interest_rate = f.MoneyField(max_digits=7, decimal_places=4, min_value=Decimal(0), required=False)
    grace_period_days = f.StrictIntegerField(min_value=0, max_value=3650, required=False)
    auto_pay_enabled = f.StrictBooleanField(required=False)
    notes = f.StrictCharField(required=False, allow_blank=True)
    custom_fields = f.JSONObjectField(required=False)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)


class InstallmentsField(serializers.Field):
    """`installments[]`: written as schedule entries, read as the installment documents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of installments.")
        if len(data) > 1000:
            raise serializers.ValidationError("At most 1000 installments.")
        items = ScheduleItemSerializer(data=data, many=True)
        if not items.is_valid():
            raise serializers.ValidationError(items.errors)
        return [dict(item) for item in items.validated_data]

    def to_representation(self, manager):
        rows = manager.all()  # prefetched (with their shown status) by the viewset
        return ContractInstallmentSerializer(rows, many=True, context=self.context).data

    def openapi_schema(self, direction) -> dict:
        if direction == "request":
            return {"type": "array", "items": {"$ref": "#/components/schemas/ScheduleItemRequest"}}
        return {"type": "array", "items": {"$ref": "#/components/schemas/ContractInstallment"}, "readOnly": True}

    def describe(self, name, model):
        return None  # rendered by the serializer (lists prefetch the installments)


class ContractSerializer(ResourceSerializer):
    title = f.StrictCharField(max_length=200, required=False, allow_blank=True)
    type = f.StrictCharField(
        source="contract_type", max_length=100, required=False, allow_blank=True, help_text="e.g. maintenance"
    )
    totalAmount = f.MoneyField(source="total_amount", **MONEY, min_value=Decimal(0), required=False)
    currency = f.StrictCharField(max_length=10, required=False)
    status = serializers.ChoiceField(choices=Contract.Status.choices, required=False)
    installments = InstallmentsField()

    class Meta:
        model = Contract
        family = "E"
        fields = [
            "title", "type", "client", "startDate", "endDate", "totalAmount", "currency", "status", "terms",
            "installments",
        ]  # fmt: skip
        aliases = {"startDate": "start_date", "endDate": "end_date"}

    def validate(self, attrs):
        if self.context.get("importing"):
            # An import carries the installments as their own resource (contract-installment,
            # matched by contract and number): the contract file's copy of them is not replayed.
            attrs.pop("installments", None)
        return attrs

    def create(self, validated_data):
        return services.create_contract(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_contract(contract=instance, data=validated_data)


class PaySerializer(serializers.Serializer):
    payment_date = DayField()
    payment_amount = f.MoneyField(**MONEY, min_value=Decimal("0.01"))
    payment_method = serializers.ChoiceField(choices=ContractInstallment.Method.choices, required=False)
    payment_reference = f.StrictCharField(max_length=200, required=False, allow_blank=True)
    notes = f.StrictCharField(required=False, allow_blank=True)
