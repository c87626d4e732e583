from clients.models import Tag
from clients.serializers import people as s
from core.api.viewsets import ResourceViewSet


class TagViewSet(ResourceViewSet):
    queryset = Tag.objects.all()
    serializer_class = s.TagSerializer
    search_fields = ["name"]
    filter_fields = ["name"]
