"""factory-boy factories of the sales documents (raw rows without lines, for the generic sorting
checks: real documents are issued through the services, see tests/invoice_world.py). Each takes
`tenant=`; related rows are made in the same tenant."""

import factory

from sales import models as sm
from tests.factories import ClientFactory
from tests.factories_sales_organisation import WarehouseFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Invoice

    serial = factory.Sequence(lambda n: f"F-INV-{n:06d}")
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))


class ProformaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Proforma

    serial = factory.Sequence(lambda n: f"F-PRO-{n:06d}")
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
