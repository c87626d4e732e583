"""The invoice serial counter (family B) and the body of `POST /safe-invoice-serial-counter/next`."""

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import InvoiceSerialCounter
from finance.models.serials import MAX_AFFIX_LENGTH, MAX_PAD_LENGTH, MAX_SERIAL
from finance.services import serials as services


class InvoiceSerialCounterSerializer(ResourceSerializer):
    """`rep`, `warehouse` and `invoice_type` are set on create and fixed afterwards;
    `last_used_date` is written by `/next` only."""

    current_serial = f.StrictIntegerField(min_value=0, max_value=MAX_SERIAL, required=False)
    pad_length = f.StrictIntegerField(min_value=0, max_value=MAX_PAD_LENGTH, required=False)
    prefix = f.StrictCharField(max_length=MAX_AFFIX_LENGTH, required=False, allow_blank=True)
    suffix = f.StrictCharField(max_length=MAX_AFFIX_LENGTH, required=False, allow_blank=True)

    class Meta:
        model = InvoiceSerialCounter
        family = "B"
        fields = [
            "rep", "warehouse", "invoice_type", "current_serial", "prefix", "suffix", "pad_length", "last_used_date",
        ]  # fmt: skip

    def create(self, validated_data):
        return services.create_counter(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_counter(counter=instance, data=validated_data)


class NextSerialSerializer(serializers.Serializer):
    """Body of `/next`. The ids are checked against the tenant by the same statement that
    consumes the number (one round trip), so they are plain strings here."""

    rep = f.StrictCharField(help_text="Representative ID")
    warehouse = f.StrictCharField(help_text="Warehouse ID")
    invoice_type = serializers.ChoiceField(choices=InvoiceSerialCounter.InvoiceType.choices)


class NextSerialAnswerSerializer(serializers.Serializer):
    next_serial = serializers.IntegerField(help_text="The number consumed.")
    formatted_serial = serializers.CharField(help_text="prefix + the number zero-padded to pad_length + suffix.")
