from rest_framework import serializers

from clients.models import Client
from clients.services import client as services
from core.api import fields as f
from core.api.serializers import ResourceSerializer


class ClientSerializer(ResourceSerializer):
    """The Repzo `/v1/client` document (family D)."""

    last_location_update = f.EpochMsField(read_only=True)
    last_login_time = f.EpochMsField(read_only=True)
    job_category = f.StringListField(required=False)

    class Meta:
        model = Client
        family = "D"
        aliases = {
            "parent_client_id": "parent_client",
            "sv_priceList": "sv_price_list",
            "customFields": "custom_fields",
            "paymentTerm": "payment_term",
            "isChain": "is_chain",
        }
        fields = [
            "name", "local_name", "tags", "cell_phone", "city", "client_code", "contact_name", "contact_title",
            "contacts", "country", "disabled", "formatted_address", "lat", "lng", "location_verified", "phone",
            "state", "zip", "assigned_to", "last_location_update", "credit_limit", "tax_number", "sync_id",
            "profile_pic", "logo", "website", "email", "comment", "parent_client_id", "target_visit",
            "geofencing_radius", "price_tag", "status", "job_category", "territory", "sv_priceList", "customFields",
            "paymentTerm", "speciality", "channel", "isChain", "chain", "teams", "payment_type", "integration_meta",
            "integrated_client_balance", "invoice_balance_limit", "enable_invoice_balance_limit",
            "enable_payment_terms_grace_period_days", "is_simplified", "last_login_time",
        ]  # fmt: skip

    def validate(self, attrs):
        for key in ("parent_client", "chain"):
            target = attrs.get(key)
            if target is not None and self.instance is not None and target.pk == self.instance.pk:
                raise serializers.ValidationError({self._public(key): "A client cannot reference itself."})
        return attrs

    @staticmethod
    def _public(source):
        return {"parent_client": "parent_client_id"}.get(source, source)

    def create(self, validated_data):
        return services.create_client(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_client(client=instance, data=validated_data)
