
from clients.models import Client
from core.api import fields as f
from core.api.serializers import ResourceSerializer


class ClientSerializer(ResourceSerializer):
    """The Repzo `/v1/client` document (family D)."""

    last_location_update = f.EpochMsField(read_only=True)
    last_login_time = f.EpochMsField(read_only=True)
    assigned_to = f.StringListField(required=False)
    teams = f.StringListField(required=False)
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
        # Empty codes are "no code": they must not collide on the per-tenant uniqueness.
        for key in ("client_code", "sync_id"):
            if attrs.get(key) == "":
                attrs[key] = None
        return attrs
