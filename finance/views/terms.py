"""`/paymentterms` (family F)."""

from core.api.viewsets import ResourceViewSet
from finance.models import PaymentTerm
from finance.serializers import terms as s
from finance.services import terms as services

DISCOUNT_ERROR = "`discount_days` exceeds `days` (`details` names `discount_days`)."
DISCOUNT_RULE = "`discount_days` greater than `days` answers 422 naming `discount_days`."


class PaymentTermViewSet(ResourceViewSet):
    queryset = PaymentTerm.objects.all()
    serializer_class = s.PaymentTermSerializer
    natural_key = ("name",)
    search_fields = ["name", "description"]
    filter_fields = ["name", "days", "is_active"]
    operations = {"list", "create", "retrieve", "update", "destroy"}
    openapi_notes = {
        "create": (
            "`days` is the net term: an invoice for a client on this term is due `days` after its date "
            "(its default `dueDate`). `discount_percentage` (0 to 100) applies when the invoice is paid within "
            f"`discount_days`, which cannot exceed `days`: {DISCOUNT_RULE} `days` and `discount_days` default to "
            "0, `is_active` to true."
        ),
        "partial_update": (
            f"{DISCOUNT_RULE} A body that sends only one of the two is checked against the stored other."
        ),
        "destroy": (
            "A payment term that clients still name as their `paymentTerm` cannot be deleted (409). Answers the "
            "deleted term in `result`."
        ),
    }

    @property
    def openapi_errors(self):
        if self.action not in ("create", "partial_update"):
            return {}
        return {method: {"422": DISCOUNT_ERROR} for method in ("post", "put", "patch")}

    def perform_destroy(self, instance):
        services.delete_term(term=instance)


def register(router) -> None:
    router.register("paymentterms", PaymentTermViewSet)
