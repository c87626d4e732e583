"""Viewsets of the sales organisation resources."""

from core.api.viewsets import ResourceViewSet
from sales.models import InventoryAdjustmentReason, Rep, ReturnReason, Route, Supplier, Team, Warehouse
from sales.serializers import organisation as s
from sales.services import organisation as services


class OrganisationViewSet(ResourceViewSet):
    # Deletes name the rows that still reference the one being deleted (409). A comment, not a
    # docstring: the schema would show a docstring on every operation of every resource.

    def perform_destroy(self, instance):
        services.delete_row(instance=instance)

    def perform_remove(self, ids):
        services.delete_rows(model=self.get_queryset().model, tenant=self.tenant, ids=ids)


class TeamViewSet(OrganisationViewSet):
    """`GET /team/{id}` also returns the team's members: `reps` (every rep of the team) and
    `admins` (those whose role is "admin"), each `{_id, name, email, username}`. Lists, create,
    update and delete answer the plain document, as documented."""

    queryset = Team.objects.all()
    serializer_class = s.TeamSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name"]

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response.data.update(services.team_members(tenant=self.tenant, team_id=response.data["_id"]))
        return response


class RepViewSet(OrganisationViewSet):
    queryset = Rep.objects.all()
    serializer_class = s.RepSerializer
    natural_key = ("email",)
    search_fields = ["name", "email", "username", "phone"]
    filter_fields = ["name", "email", "username", "phone", "role", "team_id"]
    populate = {"team_id": s.TeamSerializer}


class RouteViewSet(OrganisationViewSet):
    queryset = Route.objects.all()
    serializer_class = s.RouteSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "rep_id", "day"]
    populate = {"rep_id": s.RepSerializer}

    def get_queryset(self):
        queryset = super().get_queryset()
        # Documents rendered by the serializer (create, get, update, delete) read `clients` from
        # the prefetch; lists render them in the page query itself.
        return queryset.prefetch_related("stops") if self.action != "list" else queryset


class WarehouseViewSet(OrganisationViewSet):
    queryset = Warehouse.objects.all()
    serializer_class = s.WarehouseSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name"]


class SupplierViewSet(OrganisationViewSet):
    queryset = Supplier.objects.all()
    serializer_class = s.SupplierSerializer
    natural_key = ("name",)
    search_fields = ["name", "email", "phone"]
    filter_fields = ["name", "email", "phone"]


class ReturnReasonViewSet(OrganisationViewSet):
    queryset = ReturnReason.objects.all()
    serializer_class = s.ReturnReasonSerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name"]


class InventoryAdjustmentReasonViewSet(OrganisationViewSet):
    queryset = InventoryAdjustmentReason.objects.all()
    serializer_class = s.InventoryAdjustmentReasonSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "type"]


def register(router) -> None:
    """Register this group's routes (called by sales/urls.py, in order)."""
    router.register("rep", RepViewSet)
    router.register("team", TeamViewSet, sdk_alias="teams")
    router.register("route", RouteViewSet)
    router.register("warehouse", WarehouseViewSet)
    router.register("supplier", SupplierViewSet)
    router.register("return-reason", ReturnReasonViewSet)
    router.register("inventory-adjustment-reason", InventoryAdjustmentReasonViewSet)
