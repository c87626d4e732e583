"""The admin every resource is registered with.

Staff users see and edit only their tenant's rows (references offered and autocompleted from
that tenant too); superusers see every tenant. Writes and deletes go through the same services
as the API, so the rules hold whichever door a change comes through.
"""

from django import forms
from django.contrib import admin
from django.db import models

from core import services
from core.models import TenantModel

from .dataio import DataImportExportMixin

SERVER_FIELDS = ("id", "created_at", "updated_at", "version")


def user_tenant(request):
    return getattr(request.user, "tenant", None)


class DefaultingJSONField(forms.JSONField):
    """A JSON form field that gives back the column's default ({} or []) when left empty: the
    JSON columns are NOT NULL, and Django's field would turn an empty textarea into None."""

    def __init__(self, *args, default=dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def to_python(self, value):
        result = super().to_python(value)
        return self.default() if result is None else result


class TenantScopedAdmin(DataImportExportMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # an exact count per page view is what makes big tables slow
    date_hierarchy = None

    def get_ordering(self, request):
        # The changelist falls back to -pk by itself; the autocomplete view does not, and pages
        # an unordered queryset (the same row on two pages, another on none).
        return super().get_ordering(request) or ("-pk",)

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.is_superuser and "tenant" not in display:
            display.append("tenant")
        return display

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and "tenant" not in filters:
            filters.append("tenant")
        return filters

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), *SERVER_FIELDS]
        if obj is not None:
            readonly.append("tenant")  # a row never moves between tenants
        return list(dict.fromkeys(readonly))

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("tenant")  # set from the staff user's tenant
        return exclude

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        tenant = user_tenant(request)
        return queryset.filter(tenant=tenant) if tenant else queryset.none()

    def _scope_related(self, db_field, request, kwargs):
        model = db_field.related_model
        if issubclass(model, TenantModel) and not request.user.is_superuser:
            kwargs["queryset"] = model.objects.filter(tenant=user_tenant(request))
        return kwargs

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField) and not db_field.null and db_field.has_default():
            kwargs.setdefault("form_class", DefaultingJSONField)
            kwargs.setdefault("default", db_field.get_default)
            kwargs.setdefault("required", False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._scope_related(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scope_related(db_field, request, kwargs))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        tenant = user_tenant(request)
        if obj is None and tenant is not None and not request.user.is_superuser:
            # The model's clean() checks references against the tenant: give it one to check.
            original_init = form.__init__

            def __init__(self, *args, **kw):
                original_init(self, *args, **kw)
                self.instance.tenant = tenant

            form.__init__ = __init__
        return form

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (request.user.is_superuser or user_tenant(request) is not None)

    # Writes through the services ------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.delete_row(instance=obj)

    def delete_queryset(self, request, queryset):
        services.delete_queryset(queryset=queryset)
