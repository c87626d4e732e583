"""Documents of the catalogue: products and variants, categories, sub-categories, brands and
product groups (family D), modifier groups (family B). The rules live in sales/services/catalogue.py."""

import decimal
import math

from rest_framework import serializers

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from sales.models import (
    Product,
    ProductBrand,
    ProductCategory,
    ProductGroup,
    ProductModifiersGroup,
    ProductSubCategory,
    Variant,
)
from sales.models.catalogue import MONEY
from sales.services import catalogue as services


class DecimalStringField(serializers.DecimalField):
    """A decimal the doc carries as a JSON string (`product.base_price`): a number or a numeric
    string in, a string out (`"12.5"`), Decimal in the database. An empty string or null clears it."""

    default_error_messages = {"invalid": 'Expected a decimal number, e.g. 12.5 or "12.50".'}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        if isinstance(data, str) and not data.strip():
            return None
        return super().to_internal_value(data)

    def to_representation(self, value):
        return self.fast_value(value)

    @staticmethod
    def fast_value(value):
        if value is None:
            return None
        return format(decimal.Decimal(value).normalize(), "f")

    def openapi_schema(self, direction) -> dict:
        limit = 10 ** (self.max_digits - self.decimal_places)
        number = {"type": "number", "exclusiveMaximum": True, "maximum": limit}
        if self.min_value is not None:
            number["minimum"] = float(self.min_value)
        if direction == "request":
            text = {"type": "string", "description": 'A decimal number as text, e.g. "12.50"; "" clears it.'}
            return {"anyOf": [number, text]}
        pattern = r"^-?\d+(\.\d+)?$" if self.min_value is None or self.min_value < 0 else r"^\d+(\.\d+)?$"
        return {"type": "string", "pattern": pattern, "description": 'A decimal number as text, e.g. "12.5".'}


MODIFIER_KEYS = ("_id", "name", "price_adjustment", "description")


class ModifiersField(serializers.JSONField):
    """`modifiers[]`: `{_id, name*, price_adjustment (number, default 0), description}` each;
    problems are reported at their path (`modifiers[1].price_adjustment`)."""

    default_error_messages = {"invalid": "Expected a list of modifier objects."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        errors, out = {}, []
        for i, item in enumerate(data):
            problems = self._item_errors(item)
            if problems:
                errors[i] = problems
                continue
            out.append(
                {
                    "_id": item.get("_id"),
                    "name": item["name"].strip(),
                    "price_adjustment": item.get("price_adjustment", 0),
                    "description": item.get("description", ""),
                }
            )
        if errors:
            raise serializers.ValidationError(errors)
        return out

    @staticmethod
    def _item_errors(item) -> dict | list:
        if not isinstance(item, dict):
            return ["Expected an object {name, price_adjustment, description}."]
        errors = {
            str(k): [f"Unknown key; allowed: {', '.join(MODIFIER_KEYS)}."] for k in item if k not in MODIFIER_KEYS
        }
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = ["A modifier needs a name (a non-empty string)."]
        elif len(name) > 200:
            errors["name"] = ["At most 200 characters."]
        adjustment = item.get("price_adjustment", 0)
        if isinstance(adjustment, bool) or not isinstance(adjustment, (int, float)) or not math.isfinite(adjustment):
            errors["price_adjustment"] = ["Expected a number."]
        elif abs(adjustment) >= 10**11:
            errors["price_adjustment"] = ["Out of range."]
        if not isinstance(item.get("description", ""), str):
            errors["description"] = ["Expected a string."]
        if item.get("_id") is not None and not isinstance(item["_id"], str):
            errors["_id"] = ["Expected a string."]
        return errors


class ProductCategorySerializer(ResourceSerializer):
    class Meta:
        model = ProductCategory
        family = "D"
        fields = ["type", "name", "photo", "local_name", "icon", "disabled", "position", "integration_meta"]


class ProductSubCategorySerializer(ResourceSerializer):
    class Meta:
        model = ProductSubCategory
        family = "D"
        aliases = {"parent_id": "parent"}
        fields = ["name", "parent_id", "local_name", "disabled", "photo", "position", "integration_meta"]

    def update(self, instance, validated_data):
        return services.update_sub_category(sub_category=instance, data=validated_data)


class ProductBrandSerializer(ResourceSerializer):
    class Meta:
        model = ProductBrand
        family = "D"
        fields = ["name", "local_name", "disabled", "integration_meta"]


class ProductGroupSerializer(ResourceSerializer):
    class Meta:
        model = ProductGroup
        family = "D"
        fields = ["name", "local_name", "disabled"]


class ProductModifiersGroupSerializer(ResourceSerializer):
    """Family B (422 on validation). Each modifier's `_id` is assigned by the service."""

    modifiers = ModifiersField()

    class Meta:
        model = ProductModifiersGroup
        family = "B"
        fields = ["name", "description", "modifiers", "is_required", "max_selection", "disabled"]

    def create(self, validated_data):
        return services.create_modifiers_group(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_modifiers_group(group=instance, data=validated_data)


VARIANT_FIELDS = [
    "name", "product", "price", "disabled", "uuid", "local_name", "sku", "barcode", "weight", "length", "width",
    "height", "position", "default", "variant_img", "modifiers_groups", "integration_meta",
]  # fmt: skip


class VariantSerializer(ResourceSerializer):
    class Meta:
        model = Variant
        family = "D"
        aliases = {"default": "is_default"}
        fields = VARIANT_FIELDS

    def create(self, validated_data):
        return services.create_variant(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_variant(variant=instance, data=validated_data)


class NestedVariantSerializer(VariantSerializer):
    """An item of a product body's `variants[]`: `_id` names a variant of that product to update
    (absent: a new variant); `product` is implied (see the service)."""

    _id = f.StrictCharField(required=False)
    product = f.StrictCharField(required=False, allow_blank=True)

    class Meta(VariantSerializer.Meta):
        fields = [*VARIANT_FIELDS, "_id"]


class ProductSerializer(ResourceSerializer):
    """The documented product document (its variants are listed by `GET /variant?product=`).
    Create and update also take nested `variants[]` (write-only)."""

    base_price = DecimalStringField(max_digits=MONEY["max_digits"], decimal_places=MONEY["decimal_places"], min_value=0)
    variants = NestedVariantSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = Product
        family = "D"
        aliases = {"sv_measureUnit": "sv_measure_unit"}
        fields = [
            "name", "category", "active", "local_name", "sku", "sub_category", "assigned_to", "auditable",
            "barcode", "sv_tax", "sv_measureUnit", "description", "local_description", "product_img", "base_price",
            "assigned_media", "html_description", "modifiers_group", "featured", "brand", "rsp",
            "measureunit_family", "integration_meta", "teams", "position", "product_groups", "frozen_pre_sales",
            "frozen_sales", "variants",
        ]  # fmt: skip

    def create(self, validated_data):
        variants = validated_data.pop("variants", None)
        return services.create_product(tenant=self.tenant, data=validated_data, variants=variants)

    def update(self, instance, validated_data):
        variants = validated_data.pop("variants", None)
        return services.update_product(product=instance, data=validated_data, variants=variants)
