"""Admin of the platform resources: settings, media, media storage, custom statuses and lists.

Writes go through the same services as the API (setting keys unique per tenant, media-storage
uploads fixed once stored, list items only in their tenant's lists).
"""

from django import forms
from django.contrib import admin

from core import services
from core.models import CustomList, CustomListItem, CustomStatus, Media, MediaStorage, Setting

from .base import TenantScopedAdmin, user_tenant
from .layout import short_text


def _changed(form, change, exclude=("tenant",)) -> dict:
    """The cleaned values to write: all of them on add, only the changed ones on change."""
    return {
        key: value
        for key, value in form.cleaned_data.items()
        if key not in exclude and (not change or key in form.changed_data)
    }


def _adopt(obj, saved) -> None:
    """Make the admin's object the saved row (the admin logs and redirects with it)."""
    obj.pk, obj.version, obj.tenant_id, obj.updated_at = saved.pk, saved.version, saved.tenant_id, saved.updated_at
    obj._state.adding = False


class SettingAdminForm(forms.ModelForm):
    class Meta:
        model = Setting
        fields = "__all__"  # noqa: DJ007  (the admin decides what is shown)

    def clean(self):
        cleaned = super().clean()
        tenant = self.instance.tenant if self.instance.tenant_id else cleaned.get("tenant")
        key = cleaned.get("key")
        if tenant is not None and key:
            taken = Setting.objects.filter(tenant=tenant, key=key)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("key", f"A setting with key '{key}' already exists.")
        return cleaned


@admin.register(Setting)
class SettingAdmin(TenantScopedAdmin):
    """Settings are seeded per tenant: staff edit them; only superusers add or delete rows."""

    form = SettingAdminForm
    list_display = ("key", "category", short_text("value"), short_text("description"), "updated_at")
    list_filter = ("category",)
    search_fields = ("key", "description")
    ordering = ("key",)

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        saved = services.update_setting(setting=Setting.objects.get(pk=obj.pk), data=_changed(form, change))
        _adopt(obj, saved)


@admin.register(Media)
class MediaAdmin(TenantScopedAdmin):
    list_display = ("name", "document_type", "parent_document_type", "disabled", "updated_at")
    list_filter = ("document_type", "parent_document_type", "disabled")
    search_fields = ("name", "description", "url", "parent_document_key")


@admin.register(MediaStorage)
class MediaStorageAdmin(TenantScopedAdmin):
    """url, mime type and size describe the stored file: set on add, read-only afterwards."""

    list_display = ("filename", "mime_type", "size", "entity_type", "is_public")
    list_filter = ("is_public", "category", "entity_type", "mime_type")
    search_fields = ("filename", "description", "entity_id", "url")

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "uploaded_by"]
        if obj is not None:
            readonly += services.MEDIA_STORAGE_CREATE_ONLY.keys()
        return list(dict.fromkeys(readonly))

    def save_model(self, request, obj, form, change):
        data = _changed(form, change)
        if change:
            saved = services.update_media_storage(item=MediaStorage.objects.get(pk=obj.pk), data=data)
        else:
            saved = services.create_media_storage(
                tenant=obj.tenant if obj.tenant_id else user_tenant(request),
                data=data,
                uploaded_by=request.user.get_username(),
            )
        _adopt(obj, saved)


class CustomStatusAdminForm(forms.ModelForm):
    class Meta:
        model = CustomStatus
        fields = "__all__"  # noqa: DJ007  (the admin decides what is shown)

    def clean_color(self):
        color = self.cleaned_data.get("color", "")
        services.validate_hex_color(color)
        return color


@admin.register(CustomStatus)
class CustomStatusAdmin(TenantScopedAdmin):
    form = CustomStatusAdminForm
    list_display = ("name", "entity", "color", "disabled", "updated_at")
    list_filter = ("entity", "disabled")
    search_fields = ("name", "entity")


@admin.register(CustomList)
class CustomListAdmin(TenantScopedAdmin):
    # Deleting a list with items: the admin's confirmation page names the protecting items.
    list_display = ("name", "entity", short_text("description"), "disabled", "updated_at")
    list_filter = ("entity", "disabled")
    search_fields = ("name", "description", "entity")


@admin.register(CustomListItem)
class CustomListItemAdmin(TenantScopedAdmin):
    list_display = ("name", "value", "custom_list", "disabled", "updated_at")
    list_filter = ("disabled", ("custom_list", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "value", "custom_list__name")
    autocomplete_fields = ("custom_list",)
    list_select_related = ("custom_list",)

    def save_model(self, request, obj, form, change):
        data = _changed(form, change)
        if change:
            saved = services.update_custom_list_item(item=CustomListItem.objects.get(pk=obj.pk), data=data)
        else:
            tenant = obj.tenant if obj.tenant_id else user_tenant(request)
            saved = services.create_custom_list_item(tenant=tenant, data=data)
        _adopt(obj, saved)
