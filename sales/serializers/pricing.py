"""Documents of the pricing resources: tax, measure units and families, price lists and their
items (family D), must-stock lists and their products (family E). Writes go through
sales/services/pricing.py, which keeps the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import ResourceSerializer
from sales.models import MeasureUnit, MeasureUnitFamily, Msl, MslProduct, PriceList, PriceListItem, Tax
from sales.services import pricing as services


class TaxSerializer(ResourceSerializer):
    """`rate` is a percentage (15 means 15 %), 0 to 100."""

    class Meta:
        model = Tax
        family = "D"
        fields = ["name", "rate", "type", "disabled", "integration_meta"]

    def create(self, validated_data):
        return services.create_tax(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_tax(tax=instance, data=validated_data)


class MeasureUnitSerializer(ResourceSerializer):
    """`factor` is how many base units (the `parent`) one of this unit holds."""

    class Meta:
        model = MeasureUnit
        family = "D"
        fields = ["name", "factor", "local_name", "parent", "disabled", "integration_meta"]

    def create(self, validated_data):
        return services.create_measure_unit(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_measure_unit(unit=instance, data=validated_data)


class MeasureUnitFamilySerializer(ResourceSerializer):
    class Meta:
        model = MeasureUnitFamily
        family = "D"
        fields = ["name", "local_name", "measureunits", "disabled", "integration_meta"]

    def create(self, validated_data):
        return services.create_measure_unit_family(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_measure_unit_family(family=instance, data=validated_data)


class PriceListSerializer(ResourceSerializer):
    """`createdby` ({_id, name} of the caller) is set by the server and read-only."""

    class Meta:
        model = PriceList
        family = "D"
        fields = ["name", "createdby", "disabled", "integration_meta"]

    def create(self, validated_data):
        return services.create_price_list(tenant=self.tenant, data=validated_data, actor=self.actor)

    def update(self, instance, validated_data):
        return services.update_price_list(price_list=instance, data=validated_data)


class PriceListItemSerializer(ResourceSerializer):
    class Meta:
        model = PriceListItem
        family = "D"
        fields = ["product_id", "variant_id", "pricelist_id", "price", "disabled", "integration_meta"]
        aliases = {"product_id": "product", "variant_id": "variant", "pricelist_id": "pricelist"}

    def create(self, validated_data):
        return services.create_price_list_item(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_price_list_item(item=instance, data=validated_data)


class MslSerializer(ResourceSerializer):
    class Meta:
        model = Msl
        family = "E"
        fields = ["name", "client", "rep", "startDate", "endDate", "disabled"]
        aliases = {"startDate": "start_date", "endDate": "end_date"}

    def create(self, validated_data):
        return services.create_msl(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_msl(msl=instance, data=validated_data)


@extend_schema_field({"type": "number", "readOnly": True, "description": "Derived from the client's invoices."})
class AchievedQuantityField(serializers.Field):
    """`achievedQuantity`: derived (services.msl_achieved_quantity), never stored or written.
    Lists read it as a column of the page query (services.msl_achieved_quantity_expression)."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return float(services.msl_achieved_quantity(msl_product=instance))

    def describe(self, name, model):
        from core.api.registry import OTHER, FieldInfo

        # Kind OTHER, not NUMBER: the from_X/to_X range parameters take any NUMBER field as a
        # column, and this one is computed (no column to compare).
        return FieldInfo(
            name,
            OTHER,
            None,
            filterable=False,
            sortable=False,
            value_key="_achieved_quantity",
            annotation=services.msl_achieved_quantity_expression(),
            convert=float,
        )


class MslProductSerializer(ResourceSerializer):
    """`product` may be left out when `variant` is given (it is the variant's product)."""

    achievedQuantity = AchievedQuantityField()

    class Meta:
        model = MslProduct
        family = "E"
        fields = ["msl", "product", "variant", "targetQuantity", "achievedQuantity", "disabled"]
        aliases = {"targetQuantity": "target_quantity"}
        extra_kwargs = {"product": {"required": False}}

    def create(self, validated_data):
        return services.create_msl_product(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_msl_product(line=instance, data=validated_data)
