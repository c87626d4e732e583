"""The refund (family D). `status` moves through the refund's state table; `processedAt` is the
server's (set when the refund is processed)."""

from decimal import Decimal

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import Refund
from finance.services import refunds as services


class RefundSerializer(ResourceSerializer):
    amount = f.MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reason = f.StrictCharField()
    status = serializers.ChoiceField(choices=Refund.Status.choices, required=False)
    refundMethod = f.StrictCharField(source="refund_method", max_length=100, required=False, allow_blank=True)

    class Meta:
        model = Refund
        family = "D"
        fields = [
            "client", "rep", "invoice", "amount", "reason", "status", "refundMethod", "reference", "notes",
            "processedAt", "integration_meta",
        ]  # fmt: skip
        aliases = {"processedAt": "processed_at"}

    def create(self, validated_data):
        if validated_data.get("status") not in (None, Refund.Status.PENDING):
            raise serializers.ValidationError({"status": ["A refund starts pending."]})
        return services.create_refund(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_refund(refund=instance, data=validated_data)
