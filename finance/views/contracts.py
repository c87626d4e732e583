"""`/contract` (family E) and `/contract-installment` (family B) with `POST /{id}/pay` and
`GET /overdue` (a literal segment, routed before `/{id}`)."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.envelopes import Page
from core.api.listing import QueryError, parse_int
from core.api.viewsets import ResourceViewSet
from finance.models import Contract, ContractInstallment
from finance.serializers import contracts as s
from finance.services import contracts as services
from finance.services import installment_payments

TRANSITION = "A status change the state table refuses (`details` names the current and requested state)."
RULE = "A schedule rule is broken (`details` names the field: the sum, a due date, a number)."


class ContractViewSet(ResourceViewSet):
    queryset = Contract.objects.all()
    serializer_class = s.ContractSerializer
    search_fields = ["title", "terms"]
    filter_fields = ["client", "status", "currency", "type"]
    operations = {"list", "create", "retrieve", "update", "destroy"}
    openapi_notes = {
        "create": (
            "`installments[]` become the contract's installments, numbered 1..n in their order (an "
            "`installment_number`, when given, must be its position). Their amounts must add up to `totalAmount` "
            "and each `due_date` must lie within `startDate`..`endDate` (both days included); `endDate` cannot be "
            "before `startDate`: else 422 naming the field (`installments[2].due_date`). A contract starts "
            "`active`; `type` (e.g. maintenance) is an addition to the documented fields."
        ),
        "partial_update": (
            '`{"status": "cancelled"}` cancels the contract and its pending installments (paying one afterwards '
            "is 409). A contract becomes `completed` by itself when none of its installments is pending any more "
            "and one was paid; asking for `completed`, or for any change out of `completed` or `cancelled`, is "
            "409 naming both states. `installments[]` replaces the schedule (same rules as on create) while no "
            "money was paid on it (409 afterwards); a new `totalAmount` or period must still hold the existing "
            "schedule (422). Once money was paid the client cannot change (409)."
        ),
        "destroy": "A contract with money paid on its installments cannot be deleted (409): cancel it instead.",
    }

    @property
    def openapi_errors(self):
        if self.action == "create":
            return {"post": {"422": RULE}}
        if self.action == "partial_update":
            return {m: {"409": TRANSITION, "422": RULE} for m in ("put", "patch")}
        if self.action == "destroy":
            return {"delete": {"409": "Money was paid on the contract's installments."}}
        return {}

    def get_queryset(self):
        rows = services.with_api_status(
            ContractInstallment.objects.select_related("tenant").order_by("installment_number")
        )
        return super().get_queryset().prefetch_related(Prefetch("installments", queryset=rows))

    def perform_destroy(self, instance):
        services.delete_contract(contract=instance)


OVERDUE_DAYS = OpenApiParameter(
    "days_overdue",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Only installments overdue by at least this many days (today − due_date), from 0.",
)
DUE_RANGE = [
    OpenApiParameter(
        "due_date_from", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="Due on or after this day."
    ),
    OpenApiParameter(
        "due_date_to", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="Due on or before this day."
    ),
]


class OverdueInstallmentSerializer(s.ContractInstallmentSerializer):
    days_overdue = serializers.SerializerMethodField()

    class Meta(s.ContractInstallmentSerializer.Meta):
        fields = [*s.ContractInstallmentSerializer.Meta.fields, "days_overdue"]

    def get_days_overdue(self, obj) -> int:
        return services.days_overdue(obj, on=self.context["today"])


class ContractInstallmentViewSet(ResourceViewSet):
    queryset = ContractInstallment.objects.all()
    serializer_class = s.ContractInstallmentSerializer
    natural_key = ("contract", "installment_number")
    search_fields = ["notes", "payment_reference"]
    filter_fields = ["contract", "status", "installment_number", "payment_method"]
    operations = {"list", "create", "retrieve", "update", "destroy"}
    default_ordering = ("due_date",)
    openapi_notes = {
        "list": (
            "`status=overdue` lists the pending installments past `due_date` + `grace_period_days`, the same rows "
            "as `/overdue`; `status=pending` those still within it. `due_date_from` and `due_date_to` bound the "
            "due date, both days included."
        ),
        "create": (
            "Appends the next installment to a contract: `installment_number` must be the contract's count + 1, "
            "`due_date` within the contract's period, and the schedule may not add up to more than the contract's "
            "`totalAmount` (422 naming the field). `currency` defaults to the contract's. An installment starts "
            "`pending`."
        ),
        "partial_update": (
            '`{"status": "cancelled"}` cancels a pending (or overdue) installment; `paid` comes only from `/pay`; '
            "a paid or cancelled installment keeps its money fields and dates (409). An `amount` may not fall "
            "below what was paid nor take the schedule past `totalAmount` (422). `contract` and "
            "`installment_number` cannot change."
        ),
        "destroy": (
            "Only the last pending installment without payments can be deleted (409 otherwise), so the numbers "
            "stay 1..n; cancel the others."
        ),
        "pay": (
            "Records a payment on the installment. The amount due is `amount` − `discount_applied`, plus "
            "`late_fee` when `payment_date` is past `due_date` + `grace_period_days` (a `payment_date` after today is 422). A "
            "partial payment is appended to `payment_history` and added to `payment_amount`; the status stays "
            "pending (or overdue) until the amount due is covered, then becomes `paid` with `payment_date`, "
            "`payment_method` and `payment_reference`. Paying more than is still due is 422 (nothing recorded); "
            "paying a paid or cancelled installment is 409. Each payment is also a payment of the contract's "
            "client (listed in `/payments`, moving the client's balance). When no installment of the contract is "
            "pending any more, the contract becomes `completed`."
        ),
        "overdue": (
            "Installments overdue today (pending, today past `due_date` + `grace_period_days`), most overdue first. "
            "`days_overdue` = today − `due_date` in days (the grace days count); the `days_overdue` parameter is a "
            "minimum."
        ),
    }

    @property
    def openapi_errors(self):
        if self.action == "pay":
            return {
                "post": {
                    "404": "No such installment in the caller's company.",
                    "409": "The installment is paid or cancelled.",
                    "422": "`payment_amount` is more than is still due, or the contract has no client.",
                }
            }
        if self.action == "create":
            return {"post": {"409": "The contract is completed or cancelled.", "422": RULE}}
        if self.action == "partial_update":
            return {m: {"409": TRANSITION, "422": RULE} for m in ("put", "patch")}
        if self.action == "destroy":
            return {"delete": {"409": "Not the last installment, or not pending, or has payments."}}
        if self.action == "overdue":
            return {"get": {"400": "A query parameter is invalid (`page`, `per_page` or `days_overdue`)."}}
        return {}

    def get_queryset(self):
        return services.with_api_status(super().get_queryset().select_related("tenant"))

    def list_filters(self, params):
        from datetime import date

        out = []
        for name, lookup in (("due_date_from", "due_date__gte"), ("due_date_to", "due_date__lte")):
            raw = params.get(name)
            if raw:
                try:
                    out.append(_q(**{lookup: date.fromisoformat(raw.strip())}))
                except ValueError:
                    raise QueryError(name, "expected a date (YYYY-MM-DD)") from None
        return out

    @extend_schema(parameters=DUE_RANGE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_installment(installment=instance)

    @extend_schema(
        request=s.PaySerializer,
        responses=inline_serializer(
            "ContractInstallmentPaid",
            {"success": serializers.BooleanField(), "data": s.ContractInstallmentSerializer()},
        ),
    )
    @action(detail=True, methods=["post"], url_path="pay")
    def pay(self, request, *args, **kwargs):
        installment = self.get_object()
        body = s.PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = installment_payments.pay_installment(
            tenant=self.tenant,
            installment_id=installment.pk,
            payment_date=data["payment_date"],
            payment_amount=data["payment_amount"],
            payment_method=data.get("payment_method", ""),
            payment_reference=data.get("payment_reference", ""),
            notes=data.get("notes", ""),
        )
        return Response({"success": True, "data": self.document(self.get_queryset().get(pk=row.pk))})

    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page number, from 1."),
            OpenApiParameter(
                "per_page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Rows per page (1-100)."
            ),
            OVERDUE_DAYS,
        ],
        responses=inline_serializer(
            "OverdueInstallmentPage",
            {
                "success": serializers.BooleanField(),
                "data": OverdueInstallmentSerializer(many=True),
                "paging": inline_serializer(
                    "OverduePaging",
                    {
                        "total": serializers.IntegerField(),
                        "page": serializers.IntegerField(),
                        "per_page": serializers.IntegerField(),
                        "pages": serializers.IntegerField(),
                    },
                ),
            },
        ),
    )
    @action(detail=False, methods=["get"], url_path="overdue")
    def overdue(self, request, *args, **kwargs):
        params = request.query_params
        page = parse_int("page", params.get("page", 1), minimum=1)
        per_page = parse_int("per_page", params.get("per_page", 25), minimum=1)
        if per_page > 100:
            raise QueryError("per_page", "must be at most 100")
        min_days = parse_int("days_overdue", params.get("days_overdue", 0), minimum=0)
        today = services.today()
        if min_days > 100_000:
            return self._overdue_page([], 0, page, per_page)
        rows = services.overdue_installments(tenant=self.tenant, min_days=min_days, on=today)
        total = rows.count()
        offset = (page - 1) * per_page
        items = list(rows[offset : offset + per_page]) if offset < total else []
        context = {**self.get_serializer_context(), "today": today}
        docs = OverdueInstallmentSerializer(items, many=True, context=context).data
        return self._overdue_page(docs, total, page, per_page)

    def _overdue_page(self, docs, total, page, per_page):
        body = self.family().list_body(
            Page(items=docs, total=total, page=page, per_page=per_page, offset=(page - 1) * per_page), self.request
        )
        return Response(body)


def _q(**kwargs):
    from django.db.models import Q

    return Q(**kwargs)


def register(router) -> None:
    router.register("contract", ContractViewSet)
    router.register("contract-installment", ContractInstallmentViewSet)
