"""Documents of the platform resources: settings, media, media storage, custom statuses,
custom lists and their items (ENDPOINTS.md `## core`)."""

from rest_framework import serializers

from core import services
from core.api.serializers import ResourceSerializer
from core.models import CustomList, CustomListItem, CustomStatus, Media, MediaStorage, Setting


class SettingSerializer(ResourceSerializer):
    """`/settings` (family E). Rows are seeded per tenant; the API reads and updates them only.
    `value` is any JSON value (number, string, boolean, object, list or null)."""

    value = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Setting
        family = "E"
        fields = ["key", "value", "category", "description"]

    def update(self, instance, validated_data):
        return services.update_setting(setting=instance, data=validated_data)


class MediaSerializer(ResourceSerializer):
    """`/media` (family D): a file attached to any document (`parent_document_type` +
    `parent_document_key`). Required on create: name, url, document_type."""

    class Meta:
        model = Media
        family = "D"
        fields = [
            "name",
            "description",
            "url",
            "document_type",
            "parent_document_type",
            "parent_document_key",
            "disabled",
            "integration_meta",
        ]


class MediaStorageSerializer(ResourceSerializer):
    """`/media-storage` (family D without page URLs).

    Required on create: filename, url, mimeType, size (bytes, an integer >= 0).
    `uploadedBy` is the caller (the API key's name, else its id), set by the server and
    read-only. url, mimeType and size are create-only (the documented PUT body omits them):
    on update, sending the stored value back is accepted, sending a different one is a 400
    naming the field (never a silent drop).
    """

    class Meta:
        model = MediaStorage
        family = "D-"
        aliases = {
            "mimeType": "mime_type",
            "entityType": "entity_type",
            "entityId": "entity_id",
            "uploadedBy": "uploaded_by",
            "isPublic": "is_public",
            "thumbnailUrl": "thumbnail_url",
        }
        fields = [
            "filename",
            "url",
            "mimeType",
            "size",
            "category",
            "entityType",
            "entityId",
            "uploadedBy",
            "isPublic",
            "thumbnailUrl",
            "metadata",
            "tags",
            "description",
            "integration_meta",
        ]
        extra_kwargs = {"size": {"min_value": 0}}

    def create(self, validated_data):
        actor = self.actor or {}
        uploaded_by = actor.get("name") or actor.get("_id") or ""
        return services.create_media_storage(tenant=self.tenant, data=validated_data, uploaded_by=uploaded_by)

    def update(self, instance, validated_data):
        return services.update_media_storage(item=instance, data=validated_data)


class CustomStatusSerializer(ResourceSerializer):
    """`/custom-status` (family E). `name` is required on create (a nameless status cannot be
    shown or picked); `color` is `#RGB`/`#RRGGBB` when given."""

    class Meta:
        model = CustomStatus
        family = "E"
        fields = ["name", "color", "entity", "disabled"]
        extra_kwargs = {"color": {"validators": [services.validate_hex_color]}}


class CustomListSerializer(ResourceSerializer):
    """`/custom-list` (family E). `name` is required on create. Deleting a list that still has
    items is a 409 naming them."""

    class Meta:
        model = CustomList
        family = "E"
        fields = ["name", "description", "entity", "disabled"]


class CustomListItemSerializer(ResourceSerializer):
    """`/custom-list-item` (family E). `name` and `customList` (one of the caller's lists) are
    required on create; another tenant's list id is "not found" (400)."""

    class Meta:
        model = CustomListItem
        family = "E"
        aliases = {"customList": "custom_list"}
        fields = ["name", "value", "customList", "disabled"]

    def create(self, validated_data):
        return services.create_custom_list_item(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_custom_list_item(item=instance, data=validated_data)
