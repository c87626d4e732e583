"""factory-boy factories of the pricing models (tax, measure units and families, price lists and
items, MSLs and their lines). Each takes `tenant=`; related rows are made in the same tenant.

Rows of the other sales groups' models (products, variants, reps) are made by the small
helpers below with plain `objects.create`, so these factories only need those models' required
fields."""

from decimal import Decimal
from itertools import count

import factory

from sales import models as sm

_serial = count(1)


def make_product(tenant, **kwargs) -> sm.Product:
    n = next(_serial)
    if "category" not in kwargs:
        kwargs["category"] = sm.ProductCategory.objects.create(tenant=tenant, name=f"Pricing category {n}")
    return sm.Product.objects.create(tenant=tenant, name=kwargs.pop("name", f"Product {n}"), **kwargs)


def make_variant(tenant, product=None, **kwargs) -> sm.Variant:
    n = next(_serial)
    kwargs.setdefault("price", Decimal("1.00"))
    product = product or make_product(tenant)
    return sm.Variant.objects.create(tenant=tenant, product=product, name=kwargs.pop("name", f"Variant {n}"), **kwargs)


def make_rep(tenant, **kwargs) -> sm.Rep:
    n = next(_serial)
    kwargs.setdefault("email", f"rep{n}@example.test")
    kwargs.setdefault("role", "rep")
    return sm.Rep.objects.create(tenant=tenant, name=kwargs.pop("name", f"Rep {n}"), **kwargs)


class TaxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Tax

    name = factory.Sequence(lambda n: f"VAT {n}")
    rate = Decimal("15")
    type = "additive"


class MeasureUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.MeasureUnit

    name = factory.Sequence(lambda n: f"Unit {n}")
    factor = Decimal("1")


class MeasureUnitFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.MeasureUnitFamily
        skip_postgeneration_save = True  # the units are links, not a change of the row

    name = factory.Sequence(lambda n: f"Family {n}")

    @factory.post_generation
    def measureunits(self, create, extracted, **kwargs):
        if create and extracted:
            self.measureunits.set(extracted)


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.PriceList

    name = factory.Sequence(lambda n: f"Price list {n}")
    createdby = factory.LazyFunction(lambda: {"_id": None, "name": "factory"})


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.PriceListItem

    pricelist = factory.SubFactory(PriceListFactory, tenant=factory.SelfAttribute("..tenant"))
    variant = factory.LazyAttribute(lambda o: make_variant(o.tenant))
    product = factory.LazyAttribute(lambda o: o.variant.product)
    price = Decimal("9.99")


class MslFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Msl

    name = factory.Sequence(lambda n: f"MSL {n}")


class MslProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.MslProduct

    msl = factory.SubFactory(MslFactory, tenant=factory.SelfAttribute("..tenant"))
    variant = factory.LazyAttribute(lambda o: make_variant(o.tenant))
    product = factory.LazyAttribute(lambda o: o.variant.product)
    target_quantity = Decimal("10")
