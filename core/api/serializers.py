"""The base serializer of every resource.

A resource serializer is a plain ModelSerializer whose `Meta.fields` are the documented names.
Where a documented name differs from the column, `Meta.aliases` maps it (`{"isChain":
"is_chain"}`). The standard fields of the resource's envelope family (`_id`,
`company_namespace`, timestamps, `__v`/`SVClient`) are added automatically, read-only.
Strict JSON types, money as numbers and tenant-scoped references come from the field mapping.
"""

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import fields as f
from .envelopes import FAMILIES


@extend_schema_field({"type": "integer", "readOnly": True, "description": "Write counter."})
class VersionField(serializers.ReadOnlyField):
    def __init__(self, **kwargs):
        kwargs["source"] = "version"
        super().__init__(**kwargs)


class ResourceSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: f.StrictCharField,
        models.TextField: f.StrictCharField,
        models.SlugField: f.StrictCharField,
        models.URLField: f.StrictCharField,
        models.EmailField: f.StrictEmailField,
        models.BooleanField: f.StrictBooleanField,
        models.IntegerField: f.StrictIntegerField,
        models.BigIntegerField: f.StrictIntegerField,
        models.PositiveIntegerField: f.StrictIntegerField,
        models.PositiveSmallIntegerField: f.StrictIntegerField,
        models.SmallIntegerField: f.StrictIntegerField,
        models.FloatField: f.StrictFloatField,
        models.DecimalField: f.MoneyField,
        models.DateTimeField: f.DateTimeMsField,
    }
    serializer_related_field = f.RefField
    serializer_choice_field = serializers.ChoiceField

    class Meta:
        family = "D"
        aliases: dict = {}

    @classmethod
    def family(cls):
        return FAMILIES[getattr(cls.Meta, "family", "D")]

    # Field construction ------------------------------------------------------------------
    def get_field_names(self, declared_fields, info):
        names = list(super().get_field_names(declared_fields, info))
        family = self.family()
        standard = [n for n in (*family.standard_fields, *family.version_fields) if n not in names]
        return standard + names

    def build_field(self, field_name, info, model_class, nested_depth):
        family = self.family()
        if field_name == "_id":
            return f.IdField, {"source": "id"}
        if field_name == "company_namespace":
            return f.NamespaceField, {}
        if field_name in family.version_fields:
            return VersionField, {}
        source = family.standard_fields.get(field_name) or getattr(self.Meta, "aliases", {}).get(field_name)
        if source:
            field_class, kwargs = super().build_field(source, info, model_class, nested_depth)
            if source != field_name:  # DRF refuses a redundant source (family F's `created_at`)
                kwargs["source"] = source
            if field_name in family.standard_fields:
                kwargs["read_only"] = True
            return field_class, kwargs
        return super().build_field(field_name, info, model_class, nested_depth)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.JSONField):
            default = model_field.default
            if default is dict:
                field_class = f.JSONObjectField
            elif default is list:
                field_class = f.StringListField
                kwargs.pop("encoder", None)
                kwargs.pop("decoder", None)
        if not model_field.editable:
            kwargs["read_only"] = True
            for key in ("required", "allow_null", "allow_blank", "max_length", "min_length", "validators"):
                kwargs.pop(key, None)
        return field_class, kwargs

    def get_unique_together_validators(self):
        # Tenant-scoped unique constraints are checked by the services (409 naming the key);
        # DRF's validators would query across tenants.
        return []

    def get_unique_for_date_validators(self):
        return []

    # Writing -----------------------------------------------------------------------------
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)

    @property
    def tenant(self):
        return f.tenant_from_context(self.context)

    @property
    def actor(self) -> dict | None:
        """The caller as documents record it (creator, editor, uploadedBy)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user.as_actor() if hasattr(user, "as_actor") else self.context.get("actor")

    def create(self, validated_data):
        from core import services

        return services.create_row(model=self.Meta.model, tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        from core import services

        return services.update_row(instance=instance, data=validated_data)
