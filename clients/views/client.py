from rest_framework.decorators import action

from clients.models import Client
from clients.serializers.client import ClientSerializer
from core.api.viewsets import ResourceViewSet
from finance.views.statement import SCHEMA as STATEMENT_SCHEMA
from finance.views.statement import statement_response

PEOPLE = "clients.serializers.people."


class ClientViewSet(ResourceViewSet):
    """`/client` (family D). Lists are the hottest path of the API: see core/api/registry.py."""

    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    natural_key = ("client_code",)
    bulk_create_service = "clients.services.client.create_clients_bulk"
    search_fields = ["name", "local_name", "client_code"]
    filter_fields = [
        "name", "client_code", "city", "state", "country", "territory", "status", "channel", "tags",
        "speciality", "contacts", "parent_client_id", "chain", "isChain", "payment_type", "sync_id", "email",
        "assigned_to", "teams", "sv_priceList",
    ]  # fmt: skip
    populate = {
        "tags": PEOPLE + "TagSerializer",
        "channel": PEOPLE + "ClientChannelSerializer",
        "contacts": PEOPLE + "ClientContactSerializer",
        "speciality": PEOPLE + "SpecialitySerializer",
        "parent_client_id": ClientSerializer,
        "chain": ClientSerializer,
        "assigned_to": "sales.serializers.organisation.RepSerializer",
        "teams": "sales.serializers.organisation.TeamSerializer",
        "sv_priceList": "sales.serializers.pricing.PriceListSerializer",
    }

    @STATEMENT_SCHEMA
    @action(detail=True, methods=["get"], url_path="statement")
    def statement(self, request, *args, **kwargs):
        """The client's statement from its ledger (finance/views/statement.py)."""
        return statement_response(self, request, kwargs.get(self.lookup_url_kwarg))
