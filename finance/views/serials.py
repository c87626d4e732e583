"""`/safe-invoice-serial-counter` and its `POST /next` (a literal segment, routed before `/{id}`)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import ResourceViewSet
from finance.models import InvoiceSerialCounter
from finance.serializers import serials as s
from finance.services import serials as services


class InvoiceSerialCounterViewSet(ResourceViewSet):
    queryset = InvoiceSerialCounter.objects.all()
    serializer_class = s.InvoiceSerialCounterSerializer
    natural_key = ("rep", "warehouse", "invoice_type")
    search_fields = ["prefix", "suffix"]
    filter_fields = ["rep", "warehouse", "invoice_type"]
    operations = {"list", "create", "retrieve", "update", "destroy"}
    openapi_notes = {
        "create": (
            "There is one counter per rep, warehouse and invoice type: a second one answers 409 with the existing "
            "counter's `_id` in `details`. `current_serial` (the last number issued) defaults to 0, `pad_length` "
            "to 6."
        ),
        "partial_update": (
            "`current_serial` may be raised (numbers are skipped) but never lowered: a lower value answers 422, "
            "since the numbers in between were already issued. `rep`, `warehouse` and `invoice_type` cannot be "
            "changed (422)."
        ),
        "destroy": "A counter that has issued numbers (`current_serial` above 0) cannot be deleted (409).",
        "next": (
            "Consumes the next number of the counter of this rep, warehouse and invoice type and answers it: "
            "`next_serial` and `formatted_serial` (`prefix` + the number zero-padded to `pad_length` digits + "
            "`suffix`, e.g. `INV-2024-001001`). The first call for a rep, warehouse and type creates the counter "
            "at 0, so it answers 1. Every call consumes a number, and concurrent calls never get the same one. "
            "A rep or warehouse that is not the caller's answers 422 naming it."
        ),
    }

    def perform_destroy(self, instance):
        services.delete_counter(counter=instance)

    @extend_schema(
        request=s.NextSerialSerializer,
        responses=inline_serializer(
            "NextSerialEnvelope", {"success": serializers.BooleanField(), "data": s.NextSerialAnswerSerializer()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="next")
    def next(self, request, *args, **kwargs):
        body = s.NextSerialSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        number, formatted = services.next_serial(
            tenant=self.tenant,
            rep_id=body.validated_data["rep"],
            warehouse_id=body.validated_data["warehouse"],
            invoice_type=body.validated_data["invoice_type"],
        )
        return Response({"success": True, "data": {"next_serial": number, "formatted_serial": formatted}})


def register(router) -> None:
    router.register("safe-invoice-serial-counter", InvoiceSerialCounterViewSet)
