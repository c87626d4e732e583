"""Admin of checks: added through finance/services/checks.py (unique number per bank, positive
amount, references in the tenant), then read-only and never deleted, as in the API."""

from django import forms
from django.contrib import admin

from core.admin.base import TenantScopedAdmin, user_tenant
from finance.models import Check
from finance.services import checks as services

FIELDS = [
    "client", "rep", "bank", "check_number", "amount", "account_number", "issue_date", "due_date", "notes",
    "integration_meta",
]  # fmt: skip
# Form field names of the service's public names.
FORM_NAMES = {"checkNumber": "check_number", "dueDate": "due_date", "issueDate": "issue_date"}


class CheckForm(forms.ModelForm):
    class Meta:
        model = Check
        fields = ["tenant", *FIELDS]

    def clean(self):
        cleaned = super().clean()
        if not self.instance._state.adding:
            return cleaned  # read-only: nothing to check
        tenant = cleaned.get("tenant") or (self.instance.tenant if self.instance.tenant_id else None)
        if tenant is None or self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in FIELDS}
        for name, message in services.check_errors(tenant=tenant, data=data).items():
            self.add_error(FORM_NAMES.get(name, name), message)
        if not self.errors:
            existing = services.find_duplicate(
                tenant=tenant, bank_id=cleaned["bank"].pk, check_number=cleaned["check_number"].strip()
            )
            if existing is not None:
                self.add_error("check_number", f"This bank's check {existing.check_number} is already recorded.")
        return cleaned

    def validate_unique(self):  # checked above within the tenant (and by the service)
        pass


@admin.register(Check)
class CheckAdmin(TenantScopedAdmin):
    form = CheckForm
    title_field = "check_number"
    list_display = ("check_number", "bank", "client", "amount", "due_date")
    list_filter = ("status",)
    search_fields = ("check_number", "account_number", "client__name", "bank__name")
    autocomplete_fields = ("client", "rep", "bank")
    list_select_related = ("client", "bank")
    date_hierarchy = "due_date"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # immutable once created
            fields += [name for name in ("tenant", *FIELDS) if name not in fields]
        return [*fields, "status", "cleared_date"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable
        tenant = obj.tenant if obj.tenant_id else user_tenant(request)
        data = {name: form.cleaned_data.get(name) for name in FIELDS}
        saved = services.create_check(tenant=tenant, data=data)
        obj.pk, obj.tenant, obj._state.adding = saved.pk, tenant, False
