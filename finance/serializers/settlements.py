"""Settlements (`/settlement`) and account adjustments (`/adjust-account`), family D, create and
read only. The services keep every rule (finance/services/settlements.py)."""

from decimal import Decimal

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import AccountAdjustment, Settlement
from finance.services import settlements as services

_NUM, _ID = {"type": "number"}, {"type": "string", "description": "An id."}


class SideField(serializers.Field):
    """One side of a settlement: `[{"<key>": id, "amount": n}]`, answered from its allocations."""

    default_error_messages = {"invalid": "Expected a non-empty list of objects."}

    def __init__(self, *, key: str, index: int, what: str, **kwargs):
        self.key, self.index, self.what = key, index, what
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def openapi_schema(self, direction) -> dict:
        item = {
            "type": "object",
            "properties": {
                self.key: {**_ID, "description": f"The {self.what}."},
                "amount": {**_NUM, "minimum": 0, "exclusiveMinimum": True},
            },
            "required": [self.key, "amount"],
        }
        return {"type": "array", "items": item, "minItems": 1, "maxItems": 500}

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data or len(data) > 500:
            self.fail("invalid")
        return {self.field_name: data}

    def to_representation(self, instance):
        return services.settlement_sides(instance)[self.index]


class SettlementSerializer(ResourceSerializer):
    """Matches a client's open invoices with its payments' remainders; the server sets
    `totalAmount`, `status` and `settlementDate`."""

    invoices = SideField(
        key="invoice", index=0, what="invoice (`/fullinvoices`) and the amount it receives (≤ its open balance)"
    )
    payments = SideField(
        key="payment", index=1, what="payment (`/payments`) and the amount it gives (≤ its unallocated remainder)"
    )
    totalAmount = f.MoneyField(source="total_amount", max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Settlement
        family = "D"
        fields = [
            "client", "rep", "invoices", "payments", "totalAmount", "status", "settlementDate", "notes",
            "integration_meta",
        ]  # fmt: skip
        aliases = {"settlementDate": "settlement_date"}
        extra_kwargs = {"status": {"read_only": True}, "settlementDate": {"read_only": True}}

    def create(self, validated_data):
        return services.create_settlement(tenant=self.tenant, data=validated_data)


class AccountAdjustmentSerializer(ResourceSerializer):
    """A credit or debit of a client's balance; `previousBalance` and `newBalance` are the server's."""

    amount = f.MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    previousBalance = f.MoneyField(source="previous_balance", max_digits=14, decimal_places=2, read_only=True)
    newBalance = f.MoneyField(source="new_balance", max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = AccountAdjustment
        family = "D"
        fields = [
            "client", "rep", "type", "amount", "reason", "reference", "description", "adjustmentDate",
            "previousBalance", "newBalance", "approvedBy", "approvalDate", "integration_meta",
        ]  # fmt: skip
        aliases = {"adjustmentDate": "adjustment_date", "approvedBy": "approved_by", "approvalDate": "approval_date"}
        extra_kwargs = {"adjustmentDate": {"required": False}}

    def create(self, validated_data):
        return services.adjust_account(tenant=self.tenant, data=validated_data)
