"""`/checks` (family D): create, list and get only; a check is never changed or deleted (405)."""

import datetime as dt
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from core.api.listing import parse_instant
from core.api.viewsets import ResourceViewSet
from finance.models import Check
from finance.serializers import checks as s

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_RANGE = [
    OpenApiParameter(
        "from_date",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Checks due on or after this day or moment (`YYYY-MM-DD`, ISO 8601 or epoch milliseconds).",
    ),
    OpenApiParameter(
        "to_date",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Checks due on or before this day (the whole day, for `YYYY-MM-DD`) or moment.",
    ),
]


def due_bounds(params) -> dict:
    """`from_date`/`to_date` as lookups on the due date; a bare day as `to_date` includes it whole."""
    lookups = {}
    if params.get("from_date"):
        lookups["due_date__gte"] = parse_instant("from_date", params["from_date"])
    if params.get("to_date"):
        raw = params["to_date"].strip()
        bound = parse_instant("to_date", raw)
        if DAY.match(raw):
            lookups["due_date__lt"] = bound + dt.timedelta(days=1)
        else:
            lookups["due_date__lte"] = bound
    return lookups


class CheckViewSet(ResourceViewSet):
    queryset = Check.objects.all()
    serializer_class = s.CheckSerializer
    natural_key = ("bank", "checkNumber")
    search_fields = ["check_number", "account_number", "notes"]
    filter_fields = ["client", "rep", "checkNumber", "status", "bank"]
    operations = {"list", "create", "retrieve"}
    populate = {
        "client": "clients.serializers.client.ClientSerializer",
        "rep": "sales.serializers.organisation.RepSerializer",
        "bank": "finance.serializers.banks.BankSerializer",
    }
    openapi_notes = {
        "list": (
            "`from_date` and `to_date` bound the due date (`dueDate`), both inclusive; the other filters are "
            "equalities (`client`, `rep`, `bank`, `checkNumber`, `status`)."
        ),
        "create": (
            "`client`, `rep` and `bank` are ids of the caller's rows; `bank` may also be the bank's name (any "
            "case). A check number is unique per bank: a second check with the same number on the same bank "
            "answers 409 with the existing check's `_id` in `details`. `amount` must be above 0 and `dueDate` "
            "cannot be before `issueDate`. A check starts `pending` and is never changed afterwards: there is "
            "no update or delete."
        ),
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            bounds = due_bounds(self.request.query_params)
            if bounds:
                queryset = queryset.filter(**bounds)
        return queryset

    @extend_schema(parameters=DATE_RANGE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


def register(router) -> None:
    router.register("checks", CheckViewSet)
