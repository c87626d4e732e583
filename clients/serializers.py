from core.api.serializers import ResourceSerializer

from .models import Tag


class TagSerializer(ResourceSerializer):
    class Meta:
        model = Tag
        family = "D"
        fields = ["name", "disabled", "integration_meta"]
