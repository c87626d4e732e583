"""Catalogue: products, their variants, categories and sub-categories, brands, product groups and
modifier groups (SEMANTICS.md §2.2, §3.9).

Rules kept here (the services keep the rest): one default variant per product (a partial unique
constraint); references to master data are PROTECT, so deleting a category, brand, product, tax or
measure unit still in use is a 409 naming what uses it; many-to-many links (sub-categories,
groups, modifier groups, reps, teams, media) are pulled when their target is deleted.
"""

from django.core.validators import MinValueValidator
from django.db import models

from core.models import TenantModel
from core.uniqueness import unique_name

# Prices carry three decimals: the region's currencies (JOD, KWD, BHD, OMR) have fils.
MONEY = {"max_digits": 14, "decimal_places": 3}
NOT_NEGATIVE = [MinValueValidator(0)]


class ProductCategory(TenantModel):
    class Type(models.TextChoices):
        MAIN = "main"

    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.MAIN)
    photo = models.CharField(max_length=2048, blank=True, default="")
    icon = models.CharField(max_length=2048, blank=True, default="")
    position = models.IntegerField(null=True, blank=True)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "product categories"
        indexes = [*TenantModel.Meta.indexes, models.Index(fields=["tenant", "name"], name="productcategory_name_idx")]
        constraints = [unique_name("productcategory")]


class ProductSubCategory(TenantModel):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    parent = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="sub_categories")
    photo = models.CharField(max_length=2048, blank=True, default="")
    position = models.IntegerField(null=True, blank=True)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name = "product sub-category"
        verbose_name_plural = "product sub-categories"
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "parent", "id"], name="productsubcategory_parent_idx"),
        ]


class ProductBrand(TenantModel):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("productbrand")]


class ProductGroup(TenantModel):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("productgroup")]


class ProductModifiersGroup(TenantModel):
    """Options a product or variant offers at sale time (sizes, extras). `modifiers` is a list of
    `{_id, name, price_adjustment, description}`; the `_id`s are the server's."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    modifiers = models.JSONField(default=list, blank=True)
    is_required = models.BooleanField(default=False)
    max_selection = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name = "product modifiers group"


class Product(TenantModel):
    name = models.CharField(max_length=255)
    local_name = models.CharField(max_length=255, blank=True, default="")
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="products")
    sub_category = models.ManyToManyField(ProductSubCategory, blank=True, related_name="products")
    brand = models.ForeignKey(ProductBrand, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    product_groups = models.ManyToManyField(ProductGroup, blank=True, related_name="products")
    modifiers_group = models.ManyToManyField(ProductModifiersGroup, blank=True, related_name="products")
    sv_tax = models.ForeignKey("sales.Tax", null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    sv_measure_unit = models.ForeignKey(
        "sales.MeasureUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    measureunit_family = models.ForeignKey(
        "sales.MeasureUnitFamily", null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    assigned_to = models.ManyToManyField("sales.Rep", blank=True, related_name="assigned_products")
    teams = models.ManyToManyField("sales.Team", blank=True, related_name="products")
    assigned_media = models.ManyToManyField("core.Media", blank=True, related_name="products")
    sku = models.CharField(max_length=100, blank=True, default="")
    barcode = models.CharField(max_length=100, blank=True, default="")
    description = models.TextField(blank=True, default="")
    local_description = models.TextField(blank=True, default="")
    html_description = models.TextField(blank=True, default="")
    product_img = models.CharField(max_length=2048, blank=True, default="")
    # The doc types base_price as a string: stored as a Decimal, shown as a string.
    base_price = models.DecimalField(**MONEY, null=True, blank=True, validators=NOT_NEGATIVE)
    rsp = models.DecimalField(**MONEY, null=True, blank=True, validators=NOT_NEGATIVE)  # recommended selling price
    active = models.BooleanField(default=True)
    featured = models.BooleanField(default=False)
    auditable = models.BooleanField(default=False)
    frozen_sales = models.BooleanField(default=False)
    frozen_pre_sales = models.BooleanField(default=False)
    position = models.IntegerField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "category", "id"], name="product_category_idx"),
            models.Index(fields=["tenant", "name"], name="product_name_idx"),
            models.Index(fields=["tenant", "sku"], name="product_sku_idx"),
        ]


class Variant(TenantModel):
    """What is sold and stocked: stock, price-list items and invoice lines are per variant."""

    name = models.CharField(max_length=255)
    local_name = models.CharField(max_length=255, blank=True, default="")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    price = models.DecimalField(**MONEY, validators=NOT_NEGATIVE)
    disabled = models.BooleanField(default=False)
    uuid = models.CharField(max_length=100, blank=True, default="")  # the mobile app's own key
    sku = models.CharField(max_length=100, blank=True, default="")
    barcode = models.CharField(max_length=100, blank=True, default="")
    weight = models.FloatField(null=True, blank=True, validators=NOT_NEGATIVE)
    length = models.FloatField(null=True, blank=True, validators=NOT_NEGATIVE)
    width = models.FloatField(null=True, blank=True, validators=NOT_NEGATIVE)
    height = models.FloatField(null=True, blank=True, validators=NOT_NEGATIVE)
    position = models.IntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)  # documented as `default`
    variant_img = models.CharField(max_length=2048, blank=True, default="")
    modifiers_groups = models.ManyToManyField(ProductModifiersGroup, blank=True, related_name="variants")

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            # `GET /variant?product=` and `?category=` (product ids of the category) pages.
            models.Index(fields=["tenant", "product", "id"], name="variant_product_idx"),
            # The default list hides disabled variants: its total counts the disabled ones here.
            models.Index(fields=["tenant", "disabled", "id"], name="variant_disabled_idx"),
            models.Index(fields=["tenant", "sku"], name="variant_sku_idx"),
            models.Index(fields=["tenant", "barcode"], name="variant_barcode_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_default=True), name="variant_one_default_per_product"
            ),
        ]
