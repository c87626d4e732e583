"""The admin every resource is registered with.

Staff users see and edit only their tenant's rows (references offered and autocompleted from
that tenant too); superusers see every tenant (core/admin/scoping.py). Writes and deletes go
through the same services as the API, so the rules hold whichever door a change comes through.
"""

from django import forms
from django.contrib import admin
from django.db import models

from core import services

from .dataio import DataImportExportMixin
from .layout import SERVER_FIELDS, FormLayoutMixin
from .scoping import (
    ScopedChoicesMixin,
    SuperuserOnlyAdminMixin,
    TenantScopedAdminMixin,
    user_tenant,
)

__all__ = [
    "DefaultingJSONField",
    "ScopedChoicesMixin",
    "SuperuserOnlyAdminMixin",
    "TenantScopedAdmin",
    "TenantScopedAdminMixin",
    "user_tenant",
]


class DefaultingJSONField(forms.JSONField):
    """A JSON form field that gives back the column's default ({} or []) when left empty: the
    JSON columns are NOT NULL, and Django's field would turn an empty textarea into None."""

    def __init__(self, *args, default=dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def to_python(self, value):
        result = super().to_python(value)
        return self.default() if result is None else result


class TenantScopedAdmin(TenantScopedAdminMixin, FormLayoutMixin, DataImportExportMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # an exact count per page view is what makes big tables slow
    date_hierarchy = None

    def get_ordering(self, request):
        # The changelist falls back to -pk by itself; the autocomplete view does not, and pages
        # an unordered queryset (the same row on two pages, another on none).
        return super().get_ordering(request) or ("-pk",)

    def get_readonly_fields(self, request, obj=None):
        return list(dict.fromkeys([*super().get_readonly_fields(request, obj), *SERVER_FIELDS]))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField) and not db_field.null and db_field.has_default():
            kwargs.setdefault("form_class", DefaultingJSONField)
            kwargs.setdefault("default", db_field.get_default)
            kwargs.setdefault("required", False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Writes through the services ------------------------------------------------------------
    def delete_model(self, request, obj):
        services.delete_row(instance=obj)

    def delete_queryset(self, request, queryset):
        services.delete_queryset(queryset=queryset)
