"""Payments (`/payments`, family E). The services keep every rule (finance/services/payments.py)."""

from decimal import Decimal

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import Payment
from finance.services import payments as services

_NUM, _ID = {"type": "number"}, {"type": "string", "description": "An id."}
ALLOCATION = {
    "type": "object",
    "properties": {
        "invoice": {**_ID, "description": "The invoice (`/fullinvoices`) paid."},
        "amount": {**_NUM, "description": "The part of the payment applied to it."},
        "settlement": {"type": "string", "nullable": True, "description": "The settlement that applied it, if any."},
    },
    "required": ["invoice", "amount"],
}
CONSUMPTION = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["consumed", "unconsumed", "partially_consumed"]},
        "remainder": {**_NUM, "description": "What is not allocated to invoices yet (unconsumed credit)."},
    },
    "required": ["status", "remainder"],
}


def allocations_of(payment) -> list[dict]:
    return [
        {
            "invoice": str(row.invoice_id),
            "amount": float(row.amount),
            "settlement": str(row.settlement_id) if row.settlement_id else None,
        }
        for row in payment.allocations.all()
    ]


class InvoicesField(serializers.Field):
    """`invoices`: on create, the invoices to pay and how much of each (else the client's open
    invoices oldest first); answered with the allocations made (settlements' included)."""

    default_error_messages = {"invalid": 'Expected a list of {{"invoice": id, "amount": n}}.'}

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def openapi_schema(self, direction) -> dict:
        if direction == "request":
            item = {
                "type": "object",
                "properties": {"invoice": _ID, "amount": {**_NUM, "minimum": 0, "exclusiveMinimum": True}},
                "required": ["invoice", "amount"],
            }
            return {
                "type": "array",
                "items": item,
                "maxItems": 500,
                "description": "The invoices to pay and how much of each; when absent, the client's open invoices "
                "are paid oldest first. What is not allocated stays the client's credit.",
            }
        return {"type": "array", "items": ALLOCATION, "description": "The allocations of this payment."}

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) > 500:
            self.fail("invalid")
        return {"invoices": data}

    def to_representation(self, instance):
        return allocations_of(instance)


class PaymentSerializer(ResourceSerializer):
    """A payment: `amount > 0`, allocated when created; `consumption` tells what is left."""

    amount = f.MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    paymentMethod = f.StrictCharField(source="payment_method", max_length=50, required=False, allow_blank=True)
    invoices = InvoicesField()
    consumption = f.DerivedField(
        lambda p: {"status": p.consumption_status, "remainder": float(p.remainder)}, schema=CONSUMPTION
    )

    class Meta:
        model = Payment
        family = "E"
        fields = [
            "client", "rep", "amount", "paymentMethod", "reference", "description", "date", "invoices",
            "consumption", "integration_meta",
        ]  # fmt: skip
        extra_kwargs = {"date": {"required": False}}

    def create(self, validated_data):
        return services.create_payment(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_payment(
            payment=instance, data=validated_data, current_allocations=allocations_of(instance)
        )
