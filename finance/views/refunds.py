"""`/refund` (family D): create, list, get and update; never deleted (405)."""

from core.api.viewsets import ResourceViewSet
from finance.models import Refund
from finance.serializers import refunds as s

TRANSITION = "The status change is not in the refund's state table (`details` names the current and requested state)."


class RefundViewSet(ResourceViewSet):
    queryset = Refund.objects.all()
    serializer_class = s.RefundSerializer
    search_fields = ["reason", "reference", "notes"]
    filter_fields = ["client", "rep", "invoice", "status", "refundMethod"]
    operations = {"list", "create", "retrieve", "update"}
    populate = {
        "client": "clients.serializers.client.ClientSerializer",
        "rep": "sales.serializers.organisation.RepSerializer",
    }
    openapi_notes = {
        "create": (
            "A refund starts `pending`. `client`, `rep` and `invoice` are ids of the caller's rows; the invoice "
            "must be the client's and neither void nor a return. Against an invoice, `amount` cannot exceed what "
            "was paid on it less its other refunds that are not rejected (422 naming `amount`). Nothing moves "
            "the client's balance until the refund is processed."
        ),
        "partial_update": (
            "`status`: pending → approved or rejected, approved → processed; rejected and processed are final. "
            "Any other change is 409 naming the current and requested state. Processing sets `processedAt` and "
            "lowers the client's balance by `amount`, once. `client`, `rep`, `invoice`, `amount` and `reason` "
            "cannot change (422); `processedAt` is set by the server."
        ),
    }

    @property
    def openapi_errors(self):
        if self.action == "create":
            return {"post": {"422": "Over the refundable amount, or an invoice of another client, void or a return."}}
        if self.action == "partial_update":
            return {m: {"409": TRANSITION, "422": "A field that cannot change."} for m in ("put", "patch")}
        return {}


def register(router) -> None:
    router.register("refund", RefundViewSet)
