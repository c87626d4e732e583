"""The payment term (family F: `_id`, `created_at`, `updated_at`, `company_id`)."""

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from finance.models import PaymentTerm
from finance.models.terms import MAX_TERM_DAYS
from finance.services import terms as services


@extend_schema_field({"type": "string", "readOnly": True, "description": "The company's namespace."})
class CompanyIdField(serializers.Field):
    """`company_id`: the caller's company namespace (read-only). Lists read it in the page query
    (a correlated lookup of the tenant row), not once per document."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return instance.tenant.namespace

    def describe(self, name, model):
        from core.api.registry import TEXT, FieldInfo
        from core.models import Tenant

        namespace = models.Subquery(Tenant.objects.filter(pk=models.OuterRef("tenant_id")).values("namespace")[:1])
        return FieldInfo(name, TEXT, None, filterable=False, sortable=False, value_key=f"_{name}", annotation=namespace)


class PaymentTermSerializer(ResourceSerializer):
    """`discount_days ≤ days` is the service's rule (422 naming `discount_days`)."""

    company_id = CompanyIdField()
    name = f.StrictCharField(max_length=200)
    days = f.StrictIntegerField(min_value=0, max_value=MAX_TERM_DAYS, required=False)
    discount_days = f.StrictIntegerField(min_value=0, max_value=MAX_TERM_DAYS, required=False)
    discount_percentage = f.MoneyField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False)

    class Meta:
        model = PaymentTerm
        family = "F"
        fields = [
            "company_id", "name", "description", "days", "discount_percentage", "discount_days", "is_active",
        ]  # fmt: skip

    def create(self, validated_data):
        return services.create_term(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_term(term=instance, data=validated_data)
