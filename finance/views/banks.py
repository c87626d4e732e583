"""`/banks` and `/bankslists` (family E)."""

from core.api.viewsets import ResourceViewSet
from finance.models import Bank, BankList
from finance.serializers import banks as s


class BankViewSet(ResourceViewSet):
    queryset = Bank.objects.all()
    serializer_class = s.BankSerializer
    natural_key = ("name",)
    search_fields = ["name", "code", "country"]
    filter_fields = ["name", "code", "country"]
    operations = {"list", "create", "retrieve", "update", "destroy"}
    openapi_notes = {
        "create": (
            "Bank names are unique in the company, whatever their case: a name another bank has answers 409 "
            "with that bank's `_id` in `details`. Checks name their bank by this id, or by this name."
        ),
        "destroy": (
            "A bank that checks were drawn on cannot be deleted (409); disable it instead. Bank lists that "
            "included it drop it."
        ),
    }


class BankListViewSet(ResourceViewSet):
    queryset = BankList.objects.all()
    serializer_class = s.BankListSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "banks"]
    populate = {"banks": s.BankSerializer}
    operations = {"list", "create", "retrieve", "update", "destroy"}
    openapi_notes = {
        "create": "`banks` lists ids of the company's banks (`/banks`); an id listed twice counts once.",
    }


def register(router) -> None:
    router.register("banks", BankViewSet)
    router.register("bankslists", BankListViewSet)
