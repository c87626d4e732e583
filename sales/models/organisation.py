"""The sales organisation: reps, teams, routes, warehouses, suppliers and reason lists.
(Stub: the organisation helper replaces these with the documented fields.)"""

from django.db import models

from core.models import TenantModel


class Team(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class Rep(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class Route(TenantModel):
    name = models.CharField(max_length=200)
    rep = models.ForeignKey(Rep, on_delete=models.PROTECT, related_name="routes")

    class Meta(TenantModel.Meta):
        pass


class RouteClient(models.Model):
    """A client on a route, in visiting order (the route's `clients[]`)."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="route_stops")
    priority = models.PositiveIntegerField(default=0)


class Warehouse(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class Supplier(TenantModel):
    name = models.CharField(max_length=200, blank=True, default="")

    class Meta(TenantModel.Meta):
        pass


class ReturnReason(TenantModel):
    name = models.CharField(max_length=200)

    class Meta(TenantModel.Meta):
        pass


class InventoryAdjustmentReason(TenantModel):
    name = models.CharField(max_length=200, blank=True, default="")

    class Meta(TenantModel.Meta):
        pass
