"""factory-boy factories of the finance models. Each takes `tenant=`; related rows are made in
the same tenant."""

import factory

from finance import models as fm
from tests.factories_sales_organisation import RepFactory, WarehouseFactory


class InvoiceSerialCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.InvoiceSerialCounter

    rep = factory.SubFactory(RepFactory, tenant=factory.SelfAttribute("..tenant"))
    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    invoice_type = "sales"
    prefix = factory.Sequence(lambda n: f"S{n}-")


class PaymentTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.PaymentTerm

    name = factory.Sequence(lambda n: f"Net {n}")
    days = 30
    discount_percentage = 2
    discount_days = factory.LazyAttribute(lambda o: min(10, o.days))
