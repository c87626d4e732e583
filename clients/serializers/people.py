from clients.models import Tag
from core.api.serializers import ResourceSerializer


class TagSerializer(ResourceSerializer):
    class Meta:
        model = Tag
        family = "D"
        fields = ["name", "disabled", "integration_meta"]
