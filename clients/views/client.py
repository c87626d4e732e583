from clients.models import Client
from clients.serializers.client import ClientSerializer
from core.api.viewsets import ResourceViewSet


class ClientViewSet(ResourceViewSet):
    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    search_fields = ["name", "local_name", "client_code"]
    filter_fields = ["name", "client_code", "city", "country", "state", "channel", "tags", "speciality", "status"]
