"""Tax, measure units and their families, price lists and their items, must-stock lists (MSL).

The rules (rate range, base units, one price per variant and list, dates in order) live in
sales/services/pricing.py; the models' `clean()` asks the same checks, so the admin's forms
show the errors the API gives.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import TenantModel
from core.uniqueness import unique_name

# Money as the client documents have it; quantities and factors allow fractions of a unit.
MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


class Tax(TenantModel):
    """A tax applied to product lines. `rate` is a percentage (15 means 15 %)."""

    class Type(models.TextChoices):
        INCLUSIVE = "inclusive", "Inclusive (prices include the tax)"
        ADDITIVE = "additive", "Additive (added on top of prices)"
        NOT_APPLICABLE = "N/A", "Not applicable"

    name = models.CharField(max_length=200)
    rate = models.DecimalField(
        max_digits=7, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    type = models.CharField(max_length=16, choices=Type.choices)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "taxes"
        constraints = [unique_name("tax")]

    def clean(self):
        super().clean()
        from sales.services.pricing import raise_for_admin, tax_errors

        raise_for_admin(tax_errors(self))


class MeasureUnit(TenantModel):
    """A unit of measure. A base unit has no parent; a derived unit names its base unit as
    `parent` and how many base units it holds as `factor` (a box of 12: factor 12)."""

    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    factor = models.DecimalField(max_digits=18, decimal_places=6)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived_units")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("measureunit")]

    def clean(self):
        super().clean()
        from sales.services.pricing import measure_unit_errors, raise_for_admin

        raise_for_admin(measure_unit_errors(self))


class MeasureUnitFamily(TenantModel):
    """A set of units that convert into each other (weight: kg, g, ton)."""

    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    measureunits = models.ManyToManyField(MeasureUnit, blank=True, related_name="families")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "measure unit families"
        constraints = [unique_name("measureunitfamily")]


class PriceList(TenantModel):
    """A named set of prices per variant. `createdby` is the caller who created it."""

    name = models.CharField(max_length=200)
    createdby = models.JSONField(default=dict, blank=True, editable=False)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        pass


class PriceListItem(TenantModel):
    """The price of one variant in one price list."""

    # PROTECT: deleting a price list that still has items is a conflict (409 naming them),
    # never a silent loss of prices.
    pricelist = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="items")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="price_list_items")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="price_list_items")
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["pricelist", "variant"], name="pricelistitem_one_price_per_variant")
        ]

    def __str__(self):
        return f"{self.pricelist}: {self.variant}"

    def clean(self):
        super().clean()
        from sales.services.pricing import price_list_item_errors, raise_for_admin

        raise_for_admin(price_list_item_errors(self))


class Msl(TenantModel):
    """A must-stock list: products a client should carry over a period, optionally per rep."""

    name = models.CharField(max_length=200)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="must_stock_lists"
    )
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name = "MSL"

    def clean(self):
        super().clean()
        from sales.services.pricing import msl_errors, raise_for_admin

        raise_for_admin(msl_errors(self))


class MslProduct(TenantModel):
    """One line of an MSL: a product (or one of its variants) and the quantity targeted.
    The lines belong to their list: deleting the MSL deletes them."""

    msl = models.ForeignKey(Msl, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("sales.Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_quantity = models.DecimalField(**QUANTITY, default=0, validators=[MinValueValidator(0)])
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name = "MSL product"

    def __str__(self):
        return f"{self.msl}: {self.variant or self.product}"

    def clean(self):
        super().clean()
        from sales.services.pricing import msl_product_errors, raise_for_admin

        raise_for_admin(msl_product_errors(self))
