"""`/payments` (family E): list, create, get, update; never deleted (405)."""

from core.api.viewsets import ResourceViewSet
from finance.models import Payment
from finance.serializers import payments as s


class PaymentViewSet(ResourceViewSet):
    queryset = Payment.objects.all()
    serializer_class = s.PaymentSerializer
    operations = {"list", "create", "retrieve", "update"}
    search_fields = ["reference", "description", "payment_method"]
    filter_fields = ["client", "rep", "paymentMethod", "reference"]
    populate = {
        "client": "clients.serializers.client.ClientSerializer",
        "rep": "sales.serializers.organisation.RepSerializer",
    }
    openapi_errors = {
        "post": {
            "422": "A named invoice is another client's, void or a return, an amount exceeds the invoice's open "
            "balance, or the invoices take more than the payment's `amount` (`details` names the item).",
        },
        "put": {
            "409": "`client`, `amount` or `date` change on a payment already allocated to invoices, or `invoices` "
            "differs from the allocations made (`details` names the field).",
        },
    }
    openapi_errors["patch"] = openapi_errors["put"]
    openapi_notes = {
        "create": (
            "Records money a client paid: `amount` above 0, credited to the client's balance at once. It pays "
            "the invoices `invoices` names (each amount at most the invoice's open balance), or else the "
            "client's open invoices oldest first. What is left is the client's credit (`consumption.remainder`) "
            "until a settlement matches it with invoices; an invoice issued later does not take it by itself."
        ),
        "update": (
            "`rep`, `paymentMethod`, `reference`, `description` and `integration_meta` change freely. `client`, "
            "`amount` and `date` change only while nothing is allocated (409 afterwards). A payment is never "
            "deleted."
        ),
    }

    def get_queryset(self):
        return super().get_queryset().prefetch_related("allocations")

    def document(self, instance) -> dict:
        if not getattr(instance, "_prefetched_objects_cache", {}).get("allocations"):
            instance = self.get_queryset().get(pk=instance.pk)
        return super().document(instance)


def register(router) -> None:
    router.register("payments", PaymentViewSet)
