"""`GET /client/{id}/statement` (an addition to the documented API): the client's ledger entries
in a date window, with the opening and closing balances and the running balance of each entry."""

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.api import fields as f
from core.ids import parse_uuid
from finance.services.statement import MAX_PER_PAGE, client_statement

ENTRY = inline_serializer(
    "ClientStatementEntry",
    {
        "date": serializers.DateTimeField(help_text="When the business event happened."),
        "type": serializers.CharField(
            help_text="invoice, return_invoice, void_invoice, payment, adjust_account, refund…"
        ),
        "document": serializers.CharField(help_text="The document's serial or reference (its type otherwise)."),
        "document_id": serializers.CharField(),
        "amount": serializers.FloatField(help_text="Signed: + raises the balance (payments, credits, returns)."),
        "balance": serializers.FloatField(help_text="The client's balance after this entry."),
    },
)
STATEMENT = inline_serializer(
    "ClientStatement",
    {
        "client": serializers.CharField(),
        "from": serializers.DateField(allow_null=True),
        "to": serializers.DateField(allow_null=True),
        "opening_balance": serializers.FloatField(help_text="The balance at the start of `from` (0 without `from`)."),
        "closing_balance": serializers.FloatField(help_text="The balance at the end of `to` (now without `to`)."),
        "entries": ENTRY.__class__(many=True),
        "page": serializers.IntegerField(),
        "per_page": serializers.IntegerField(),
        "total": serializers.IntegerField(help_text="Entries in the window."),
    },
)
ERROR = {"$ref": "#/components/schemas/Error"}
PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="First day (inclusive)."),
    OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="Last day (inclusive)."),
    OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page number, from 1."),
    OpenApiParameter(
        "per_page", OpenApiTypes.INT, OpenApiParameter.QUERY, description=f"Entries per page (1–{MAX_PER_PAGE}, 100)."
    ),
]
SCHEMA = extend_schema(
    summary="A client's statement",
    description=(
        "The client's ledger entries from `from` to `to` (both optional and inclusive), oldest first, each "
        "with the running `balance` after it; `opening_balance` is the balance before `from`, "
        "`closing_balance` the balance at the end of `to`: the balance of a client as of a date is the "
        "`closing_balance` with `to=` that date. Invoices lower the balance, payments, credits and returns "
        "raise it."
    ),
    parameters=PARAMETERS,
    responses={
        200: STATEMENT,
        400: OpenApiResponse(
            response=ERROR, description="`from`, `to`, `page` or `per_page` is not valid (`details` names it)."
        ),
        404: OpenApiResponse(response=ERROR, description="No client of the caller has this id."),
    },
)


def _day(params, name):
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValidationError({name: ["Expected a day, YYYY-MM-DD."]}) from None


def _int(params, name, default, low, high):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ValidationError({name: ["Expected a whole number."]}) from None
    if not low <= value <= high:
        raise ValidationError({name: [f"Expected a number from {low} to {high}."]})
    return value


def statement_response(viewset, request, pk) -> Response:
    from django.apps import apps

    Client = apps.get_model("clients", "Client")
    client_pk = parse_uuid(pk)
    if client_pk is None or not Client.objects.filter(tenant=viewset.tenant, pk=client_pk).exists():
        raise NotFound()
    params = request.query_params
    date_from, date_to = _day(params, "from"), _day(params, "to")
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"from": ["Cannot be after `to`."]})
    page = _int(params, "page", 1, 1, 10**6)
    per_page = _int(params, "per_page", 100, 1, MAX_PER_PAGE)
    data = client_statement(
        tenant=viewset.tenant, client_id=client_pk, date_from=date_from, date_to=date_to, page=page, per_page=per_page
    )
    data["opening_balance"] = float(data["opening_balance"])
    data["closing_balance"] = float(data["closing_balance"])
    for entry in data["entries"]:
        entry["date"] = f.format_datetime(entry["date"])
        entry["amount"], entry["balance"] = float(entry["amount"]), float(entry["balance"])
    return Response(data)
