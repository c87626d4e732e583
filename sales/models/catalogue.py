"""Catalogue: products, variants, categories, sub-categories, brands, groups, modifier groups.
(Stub: the catalogue helper replaces these with the documented fields.)"""

from django.db import models

from core.models import TenantModel


class ProductCategory(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class ProductSubCategory(TenantModel):
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="sub_categories")

    class Meta(TenantModel.Meta):
        pass


class ProductBrand(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class ProductGroup(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class ProductModifiersGroup(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class Product(TenantModel):
    name = models.CharField(max_length=255)
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="products")

    class Meta(TenantModel.Meta):
        pass


class Variant(TenantModel):
    name = models.CharField(max_length=255)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")

    class Meta(TenantModel.Meta):
        pass
