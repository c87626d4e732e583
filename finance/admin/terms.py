"""Admin of the payment terms. Writes go through finance/services/terms.py; the form shows the
service's `discount_days ≤ days` rule on the field, and a term that clients still name shows as
protected on the delete page (the API answers 409)."""

from django import forms
from django.contrib import admin

from core.admin.base import TenantScopedAdmin, user_tenant
from finance.models import PaymentTerm
from finance.services import terms as services

FIELDS = ["tenant", "name", "description", "days", "discount_percentage", "discount_days", "is_active"]


class PaymentTermForm(forms.ModelForm):
    class Meta:
        model = PaymentTerm
        fields = [*FIELDS, "integration_meta"]

    def clean(self):
        cleaned = super().clean()
        days, discount_days = cleaned.get("days"), cleaned.get("discount_days")
        if days is not None and discount_days is not None:
            error = services.discount_days_error(days=days, discount_days=discount_days)
            if error:
                self.add_error("discount_days", error)
        return cleaned

    def validate_constraints(self):  # the rule above says it on the field, not as a form error
        pass


@admin.register(PaymentTerm)
class PaymentTermAdmin(TenantScopedAdmin):
    form = PaymentTermForm
    list_display = ("name", "days", "discount_percentage", "discount_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "description")

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in FIELDS[1:]} | {"integration_meta": obj.integration_meta}
        if change:
            saved = services.update_term(term=obj, data=data)
            obj.version, obj.updated_at = saved.version, saved.updated_at
            return
        tenant = obj.tenant if obj.tenant_id else user_tenant(request)
        saved = services.create_term(tenant=tenant, data=data)
        obj.pk, obj.tenant, obj._state.adding = saved.pk, tenant, False

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for term in objs:
            count = services.clients_naming(term).count()
            if count:
                protected.append(f"{term}: named by {count} client(s) as their payment term")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.delete_term(term=obj)

    def delete_queryset(self, request, queryset):
        for term in queryset:
            services.delete_term(term=term)
