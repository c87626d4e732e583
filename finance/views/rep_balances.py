"""`GET /rep-balance-summary` (family G, a read-only list): per requested rep, the outstanding of
the non-void invoices it created, with `totals.total_balances` over every row (not only the page)."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.api.cost import QueryCost
from core.api.deadline import bounded_query
from core.api.envelopes import FAMILIES, Page, list_schema
from core.api.listing import QueryError, get_list, parse_bool, parse_int
from core.api.registry import ResourceFields
from core.api.throttling import expensive_query_slot
from core.ids import parse_uuid
from finance.services import rep_balances


class RepBalanceSerializer(serializers.Serializer):
    """One row (documented fields only)."""

    _id = serializers.CharField(help_text="The rep's id.")
    rep = serializers.JSONField(help_text='The rep\'s id, or its document with `populatedKeys=["rep"]`.')
    rep_name = serializers.CharField()
    total_outstanding_balance_of_invoices_created_by_rep = serializers.FloatField(
        help_text="Σ over the rep's non-void invoices of total − paid − returned, each at least 0."
    )


ROW = RepBalanceSerializer
PARAMETERS = [
    OpenApiParameter(
        "rep",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        required=True,
        description="A rep id, or several (`rep=a&rep=b`, `rep[]=a`, or a JSON array).",
    ),
    OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page number, from 1."),
    OpenApiParameter("per_page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Rows per page (1-100, 20)."),
    OpenApiParameter(
        "disabled",
        OpenApiTypes.BOOL,
        OpenApiParameter.QUERY,
        description="`false` (the default) leaves disabled reps out; `true` lists only disabled reps.",
    ),
    OpenApiParameter(
        "populatedKeys", OpenApiTypes.STR, OpenApiParameter.QUERY, description='`["rep"]`: the rep\'s document.'
    ),
]


def _answer(auto_schema):
    doc = auto_schema.resolve_serializer(ROW, "response").ref
    schema = list_schema(FAMILIES["G"], doc)
    schema["properties"]["totals"] = {
        "type": "object",
        "properties": {"total_balances": {"type": "number", "description": "Σ of every row's outstanding."}},
    }
    return {"200": {"content": {"application/json": {"schema": schema}}, "description": "One page."}}


class RepBalanceSummaryViewSet(viewsets.GenericViewSet):
    operations = {"list"}
    resource_name = "rep-balance-summary"
    openapi_responses = {"get": _answer}
    openapi_errors = {
        "get": {
            "400": "`rep` is missing or not an id, a paging parameter is invalid, or the report ran too long.",
            "429": "Too many reports (expensive queries) from the caller's company in a short time; retry after "
            "`Retry-After` seconds.",
        }
    }

    @classmethod
    def family(cls):
        return FAMILIES["G"]

    def get_serializer_class(self):
        return RepBalanceSerializer

    @extend_schema(
        parameters=PARAMETERS,
        summary="Outstanding balances of reps' invoices",
        description=(
            "For each requested rep of the caller's company: the outstanding of the invoices it created that are "
            "not void (each invoice's total less what was paid on it by payments and settlements and less its "
            "returns, never below 0). `totals.total_balances` is the sum over every row, not only this page. "
            "Rows are sorted by rep name; unknown ids are left out."
        ),
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        raw = get_list(params, "rep")
        if not raw:
            raise QueryError("rep", "required: one rep id or several")
        ids = []
        for value in raw:
            pk = parse_uuid(str(value).strip()) if isinstance(value, str) else None
            if pk is None:
                raise QueryError("rep", f"not an id: {str(value)[:100]}")
            ids.append(pk)
        page = parse_int("page", params.get("page", 1), minimum=1)
        per_page = parse_int("per_page", params.get("per_page", 20), minimum=1)
        if per_page > 100:
            raise QueryError("per_page", "must be at most 100")
        disabled = parse_bool("disabled", params["disabled"]) if "disabled" in params else False
        populate = get_list(params, "populatedKeys") or []
        if any(key != "rep" for key in populate):
            raise QueryError("populatedKeys", "allowed: ['rep']")
        tenant = request.user.tenant
        cost = QueryCost()
        cost.expensive = True  # a report over every invoice of the reps: within the company's limits
        with expensive_query_slot(request, cost), bounded_query("rep"):
            return self._answer(request, tenant, ids, page, per_page, disabled, populate)

    def _answer(self, request, tenant, ids, page, per_page, disabled, populate):
        from sales.models import Rep

        reps = list(
            Rep.objects.filter(tenant=tenant, pk__in=ids[:1000], disabled=disabled)
            .order_by("name", "pk")
            .values_list("pk", "name")
        )
        balances = rep_balances.outstanding_by_rep(tenant=tenant, rep_ids=[pk for pk, _ in reps])
        offset = (page - 1) * per_page
        rows = [
            {
                "_id": str(pk),
                "rep": str(pk),
                "rep_name": name,
                "total_outstanding_balance_of_invoices_created_by_rep": float(balances.get(pk, Decimal(0))),
            }
            for pk, name in reps[offset : offset + per_page]
        ]
        if populate and rows:
            from sales.serializers.organisation import RepSerializer

            queryset = Rep.objects.filter(tenant=tenant, pk__in=[row["rep"] for row in rows])
            if ResourceFields.of(RepSerializer).fast:
                docs = ResourceFields.of(RepSerializer).render_rows(queryset, tenant)
            else:
                docs = RepSerializer(queryset, many=True, context={"tenant": tenant, "request": request}).data
            found = {doc["_id"]: doc for doc in docs}
            for row in rows:
                row["rep"] = found.get(row["rep"], row["rep"])
        total = sum(balances.values(), Decimal(0))
        body = self.family().list_body(
            Page(
                items=rows,
                total=len(reps),
                page=page,
                per_page=per_page,
                offset=offset,
                extra={"totals": {"total_balances": float(total)}, "options": {"include_documents_count": True}},
            ),
            request,
        )
        return Response(body)


def register(router) -> None:
    router.register("rep-balance-summary", RepBalanceSummaryViewSet, basename="rep-balance-summary")
