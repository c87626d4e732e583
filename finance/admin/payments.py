"""Admin of payments (allocations inline), settlements and account adjustments. Every write goes
through the same services as the API: a payment added here is allocated to the client's open
invoices oldest first and credited to its ledger; an adjustment posts to the ledger. Settlements
are made through the API (they name both sides) and shown read-only. Nothing is deleted; the money
fields of a payment, and every field of a settlement or adjustment, are read-only once saved."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from rest_framework.exceptions import APIException

from core.admin.base import TenantScopedAdmin, user_tenant
from finance.models import AccountAdjustment, Payment, PaymentAllocation, Settlement
from finance.services import payments as payment_services
from finance.services import settlements as settlement_services

PAYMENT_FIELDS = ["client", "rep", "amount", "payment_method", "reference", "description", "date", "integration_meta"]
MONEY_FIELDS = ("client", "amount", "date")
ADJUSTMENT_FIELDS = [
    "client", "rep", "type", "amount", "reason", "reference", "description", "adjustment_date", "integration_meta",
]  # fmt: skip


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    fields = ("invoice", "payment", "amount", "settlement", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentAllocationInline(AllocationInline):
    fk_name = "payment"


class SettlementAllocationInline(AllocationInline):
    fk_name = "settlement"


class ServiceForm(forms.ModelForm):
    """The service checks the values (in save_model); uniqueness is not the form's business."""

    def validate_unique(self):
        pass


class RefusalsAsMessages:
    """A service's refusal (4xx) is shown as a message on the form's page, nothing saved (the
    admin's transaction is rolled back before it is caught here)."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except APIException as exc:
            self.message_user(request, f"Not saved: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class PaymentForm(ServiceForm):
    class Meta:
        model = Payment
        fields = ["tenant", *PAYMENT_FIELDS]


@admin.register(Payment)
class PaymentAdmin(RefusalsAsMessages, TenantScopedAdmin):
    form = PaymentForm
    list_display = ("date", "client", "amount", "allocated", "reference")
    search_fields = ("reference", "description", "client__name")
    autocomplete_fields = ("client", "rep")
    list_select_related = ("client",)
    date_hierarchy = "date"
    inlines = [PaymentAllocationInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [name for name in ("tenant", *MONEY_FIELDS) if name not in fields]
        return [*fields, "allocated"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in PAYMENT_FIELDS if name in form.cleaned_data}
        if change:
            data = {name: value for name, value in data.items() if name in form.changed_data}
            saved = payment_services.update_payment(payment=Payment.objects.get(pk=obj.pk), data=data)
        else:
            tenant = obj.tenant if obj.tenant_id else user_tenant(request)
            saved = payment_services.create_payment(tenant=tenant, data=data)
        obj.pk, obj.tenant_id, obj.version, obj._state.adding = saved.pk, saved.tenant_id, saved.version, False


@admin.register(Settlement)
class SettlementAdmin(TenantScopedAdmin):
    list_display = ("settlement_date", "client", "total_amount", "status")
    list_filter = ("status",)
    search_fields = ("notes", "client__name")
    list_select_related = ("client",)
    date_hierarchy = "settlement_date"
    inlines = [SettlementAllocationInline]
    fields = ("tenant", "client", "rep", "total_amount", "status", "settlement_date", "notes", "integration_meta")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # made through the API (it names both sides); immutable

    def has_import_permission(self, request) -> bool:
        # Imported rows are made by the same service as the API's (both sides checked).
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class AdjustmentForm(ServiceForm):
    class Meta:
        model = AccountAdjustment
        fields = ["tenant", *ADJUSTMENT_FIELDS]


@admin.register(AccountAdjustment)
class AccountAdjustmentAdmin(RefusalsAsMessages, TenantScopedAdmin):
    form = AdjustmentForm
    list_display = ("adjustment_date", "client", "type", "amount", "new_balance")
    list_filter = ("type",)
    search_fields = ("reason", "reference", "client__name")
    autocomplete_fields = ("client", "rep")
    list_select_related = ("client",)
    date_hierarchy = "adjustment_date"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # immutable once created
            fields += [name for name in ("tenant", *ADJUSTMENT_FIELDS) if name not in fields]
        return [*fields, "previous_balance", "new_balance", "approved_by", "approval_date"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable
        tenant = obj.tenant if obj.tenant_id else user_tenant(request)
        data = {name: form.cleaned_data.get(name) for name in ADJUSTMENT_FIELDS}
        saved = settlement_services.adjust_account(tenant=tenant, data=data)
        obj.pk, obj.tenant_id, obj._state.adding = saved.pk, saved.tenant_id, False
