"""factory-boy factories of the sales catalogue. Each takes `tenant=`; related rows are made in
the same tenant."""

import decimal

import factory

from sales import models as sm


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ProductCategory

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductSubCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ProductSubCategory

    name = factory.Sequence(lambda n: f"Sub-category {n}")
    parent = factory.SubFactory(ProductCategoryFactory, tenant=factory.SelfAttribute("..tenant"))


class ProductBrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ProductBrand

    name = factory.Sequence(lambda n: f"Brand {n}")


class ProductGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ProductGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class ProductModifiersGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ProductModifiersGroup

    name = factory.Sequence(lambda n: f"Modifiers {n}")
    modifiers = factory.LazyFunction(
        lambda: [
            {"_id": "7b0c8f1e-0000-4000-8000-000000000001", "name": "Large", "price_adjustment": 1.5, "description": ""}
        ]
    )


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"P-{n:05d}")
    category = factory.SubFactory(ProductCategoryFactory, tenant=factory.SelfAttribute("..tenant"))
    base_price = decimal.Decimal("9.5")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Variant

    name = factory.Sequence(lambda n: f"Variant {n}")
    sku = factory.Sequence(lambda n: f"V-{n:05d}")
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    price = decimal.Decimal("12.250")
