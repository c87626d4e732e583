"""Tax, measure units and families, price lists and their items, must-stock lists (MSL).
(Stub: the pricing helper replaces these with the documented fields.)"""

from django.db import models

from core.models import TenantModel


class Tax(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "taxes"


class MeasureUnit(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class MeasureUnitFamily(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "measure unit families"


class PriceList(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class PriceListItem(TenantModel):
    pricelist = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        pass


class Msl(TenantModel):
    name = models.CharField(max_length=200, blank=True, default="")

    class Meta(TenantModel.Meta):
        verbose_name = "MSL"


class MslProduct(TenantModel):
    msl = models.ForeignKey(Msl, on_delete=models.CASCADE, related_name="products")

    class Meta(TenantModel.Meta):
        verbose_name = "MSL product"
