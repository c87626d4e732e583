from core.api.viewsets import ResourceViewSet

from . import serializers as s
from .models import Tag


class TagViewSet(ResourceViewSet):
    queryset = Tag.objects.all()
    serializer_class = s.TagSerializer
    search_fields = ["name"]
    filter_fields = ["name"]
