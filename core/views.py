"""The home page, the health check, and the viewsets of the platform resources (settings, media, media storage,
custom statuses, custom lists and their items)."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from core import serializers as s
from core import services
from core.api.viewsets import ResourceViewSet
from core.models import CustomList, CustomListItem, CustomStatus, Media, MediaStorage, Setting


def home(request):
    """`/`: where to go from here (the admin, the API docs)."""
    return render(request, "core/home.html")


def healthz(request):
    """200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class SettingViewSet(ResourceViewSet):
    """Seeded per tenant: read and update only (POST and DELETE answer 405)."""

    queryset = Setting.objects.all()
    serializer_class = s.SettingSerializer
    natural_key = ("key",)
    operations = {"list", "retrieve", "update"}
    search_fields = ["key", "description"]
    filter_fields = ["key", "category"]


class MediaViewSet(ResourceViewSet):
    queryset = Media.objects.all()
    serializer_class = s.MediaSerializer
    search_fields = ["name", "description"]
    filter_fields = ["document_type", "parent_document_type", "parent_document_key", "disabled"]


class MediaStorageViewSet(ResourceViewSet):
    queryset = MediaStorage.objects.all()
    serializer_class = s.MediaStorageSerializer
    search_fields = ["filename", "description"]
    filter_fields = ["category", "entityType", "entityId", "isPublic", "mimeType"]


class CustomStatusViewSet(ResourceViewSet):
    queryset = CustomStatus.objects.all()
    serializer_class = s.CustomStatusSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "entity"]


class CustomListViewSet(ResourceViewSet):
    queryset = CustomList.objects.all()
    serializer_class = s.CustomListSerializer
    natural_key = ("name",)
    search_fields = ["name", "description"]
    filter_fields = ["name", "entity"]

    def perform_destroy(self, instance):
        services.delete_custom_list(custom_list=instance)


class CustomListItemViewSet(ResourceViewSet):
    queryset = CustomListItem.objects.all()
    serializer_class = s.CustomListItemSerializer
    search_fields = ["name", "value"]
    filter_fields = ["customList", "name", "value"]
    populate = {"customList": s.CustomListSerializer}
