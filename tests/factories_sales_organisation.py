"""factory-boy factories of the sales organisation models. Each takes `tenant=`; related rows
are made in the same tenant."""

import factory
from django.contrib.auth.hashers import make_password

from sales import models as sm
from sales.services.organisation import REP_PERMISSION_FLAGS, REP_SETTINGS_DEFAULTS
from tests.factories import ClientFactory

REP_PASSWORD = "factory-password"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Team

    name = factory.Sequence(lambda n: f"Team {n}")


class RepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Rep

    name = factory.Sequence(lambda n: f"Rep {n}")
    email = factory.Sequence(lambda n: f"rep{n}@example.test")
    username = factory.Sequence(lambda n: f"rep{n}")
    role = "rep"
    password = factory.LazyFunction(lambda: make_password(REP_PASSWORD))
    permissions = factory.LazyFunction(lambda: dict.fromkeys(REP_PERMISSION_FLAGS, False))
    settings = factory.LazyFunction(lambda: dict(REP_SETTINGS_DEFAULTS))


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Route

    name = factory.Sequence(lambda n: f"Route {n}")
    rep = factory.SubFactory(RepFactory, tenant=factory.SelfAttribute("..tenant"))
    day = "mon"


class RouteClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.RouteClient

    route = factory.SubFactory(RouteFactory)
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..route.tenant"))
    priority = factory.Sequence(lambda n: n + 1)
    position = factory.Sequence(lambda n: n)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Warehouse

    name = factory.Sequence(lambda n: f"Warehouse {n}")
    location = factory.LazyFunction(lambda: {"type": "Point", "coordinates": [35.93, 31.95]})


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"supplier{n}@example.test")
    address = factory.LazyFunction(lambda: {"city": "Amman"})


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ReturnReason

    name = factory.Sequence(lambda n: f"Return reason {n}")


class InventoryAdjustmentReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.InventoryAdjustmentReason

    name = factory.Sequence(lambda n: f"Adjustment reason {n}")
    type = "increase"
