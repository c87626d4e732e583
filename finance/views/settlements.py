"""`/settlement` and `/adjust-account` (family D): create, list and get; never changed or deleted (405)."""

import datetime as dt

from drf_spectacular.utils import extend_schema

from core.api.viewsets import ResourceViewSet
from finance.models import AccountAdjustment, Settlement
from finance.serializers import settlements as s

from .checks import DAY, OpenApiParameter, OpenApiTypes, parse_instant

CLIENT = "clients.serializers.client.ClientSerializer"
REP = "sales.serializers.organisation.RepSerializer"


def date_params(what: str) -> list:
    return [
        OpenApiParameter(
            "from_date", OpenApiTypes.STR, OpenApiParameter.QUERY,
            description=f"{what} on or after this day or moment (`YYYY-MM-DD`, ISO 8601 or epoch milliseconds).",
        ),
        OpenApiParameter(
            "to_date", OpenApiTypes.STR, OpenApiParameter.QUERY,
            description=f"{what} on or before this day (the whole day, for `YYYY-MM-DD`) or moment.",
        ),
    ]  # fmt: skip


def bounds(params, column: str) -> dict:
    lookups = {}
    if params.get("from_date"):
        lookups[f"{column}__gte"] = parse_instant("from_date", params["from_date"])
    if params.get("to_date"):
        raw = params["to_date"].strip()
        bound = parse_instant("to_date", raw)
        if DAY.match(raw):
            lookups[f"{column}__lt"] = bound + dt.timedelta(days=1)
        else:
            lookups[f"{column}__lte"] = bound
    return lookups


class SettlementViewSet(ResourceViewSet):
    queryset = Settlement.objects.all()
    serializer_class = s.SettlementSerializer
    operations = {"list", "create", "retrieve"}
    search_fields = ["notes"]
    filter_fields = ["client", "rep", "status"]
    populate = {"client": CLIENT, "rep": REP}
    openapi_errors = {
        "post": {
            "422": "An invoice or payment is another client's (or void), an invoice amount exceeds its open balance, "
            "a payment amount exceeds its unallocated remainder, or the two sides' totals differ (`details` names "
            "the document or the side).",
        },
    }
    openapi_notes = {
        "list": "`from_date` and `to_date` bound `settlementDate`, both inclusive.",
        "create": (
            "Applies the payments' unallocated remainders to the client's open invoices: Σ `invoices[].amount` "
            "must equal Σ `payments[].amount`, which becomes `totalAmount`. The invoices' `paymentsData` and "
            "the payments' `consumption` change; the client's balance does not (the payments were credited when "
            "recorded). The settlement is `completed` at once and never changes."
        ),
    }

    def get_queryset(self):
        queryset = super().get_queryset().select_related("tenant").prefetch_related("allocations")
        if self.action == "list":
            found = bounds(self.request.query_params, "settlement_date")
            if found:
                queryset = queryset.filter(**found)
        return queryset

    def document(self, instance) -> dict:
        if not getattr(instance, "_prefetched_objects_cache", {}).get("allocations"):
            instance = self.get_queryset().get(pk=instance.pk)
        return super().document(instance)

    @extend_schema(parameters=date_params("Settlements made"))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class AccountAdjustmentViewSet(ResourceViewSet):
    queryset = AccountAdjustment.objects.all()
    serializer_class = s.AccountAdjustmentSerializer
    operations = {"list", "create", "retrieve"}
    search_fields = ["reason", "reference", "description"]
    filter_fields = ["client", "rep", "type"]
    populate = {"client": CLIENT, "rep": REP}
    openapi_notes = {
        "list": "`from_date` and `to_date` bound `adjustmentDate`, both inclusive.",
        "create": (
            "`type` credit raises the client's balance by `amount`, debit lowers it. `previousBalance` and "
            "`newBalance` are the client's balance just before and after, at that moment. An adjustment never "
            "changes afterwards."
        ),
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            found = bounds(self.request.query_params, "adjustment_date")
            if found:
                queryset = queryset.filter(**found)
        return queryset

    @extend_schema(parameters=date_params("Adjustments dated"))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


def register(router) -> None:
    router.register("settlement", SettlementViewSet)
    router.register("adjust-account", AccountAdjustmentViewSet)
