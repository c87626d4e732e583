"""Admin of contracts (installments inline, read-only), installments (an "overdue" filter: the
overdue installments view; "mark paid" and "cancel" actions) and refunds (approve, reject,
process). Every write goes through the services the API uses: a form is checked by running the
service in a savepoint that is rolled back (the exact rules, the exact messages), then saved by
the same service."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from core.admin.base import TenantScopedAdmin, user_tenant
from finance.models import Contract, ContractInstallment, Refund
from finance.services import contracts as contract_services
from finance.services import installment_payments
from finance.services import refunds as refund_services


class _DryRun(Exception):
    pass


def _messages(exc: APIException) -> list[tuple[str | None, str]]:
    details = getattr(exc, "details", None)
    if details:
        return [(d.get("path") or None, d["message"]) for d in details]
    detail = exc.detail
    if isinstance(detail, dict):
        return [
            (key, " ".join(map(str, value if isinstance(value, list) else [value]))) for key, value in detail.items()
        ]
    return [(None, str(detail))]


def check_with_service(form, work, field_names: dict) -> None:
    """Run `work()` in a savepoint rolled back afterwards; its refusals become form errors (on the
    form field a public name maps to, else on the form)."""
    try:
        with transaction.atomic():
            work()
            raise _DryRun
    except _DryRun:
        return
    except APIException as exc:
        for path, message in _messages(exc):
            name = field_names.get(path, path)
            form.add_error(name if name in form.fields else None, message)


def _run(modeladmin, request, queryset, work, done: str):
    count = 0
    for row in queryset.order_by("pk"):
        try:
            work(row)
            count += 1
        except APIException as exc:
            modeladmin.message_user(request, f"{row}: {exc.detail}", messages.ERROR)
    if count:
        modeladmin.message_user(request, f"{count} {done}.", messages.SUCCESS)


# Contracts -----------------------------------------------------------------------------------
CONTRACT_FIELDS = ["title", "contract_type", "client", "start_date", "end_date", "total_amount", "currency", "terms"]
CONTRACT_NAMES = {
    "startDate": "start_date",
    "endDate": "end_date",
    "totalAmount": "total_amount",
    "type": "contract_type",
}


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["tenant", *CONTRACT_FIELDS, "integration_meta"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in self.changed_data if name in CONTRACT_FIELDS}
        if self.instance._state.adding:
            tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
            if tenant is not None:
                values = {name: cleaned.get(name) for name in CONTRACT_FIELDS}
                check_with_service(
                    self, lambda: contract_services.create_contract(tenant=tenant, data=values), CONTRACT_NAMES
                )
        elif data:
            check_with_service(
                self, lambda: contract_services.update_contract(contract=self.instance, data=data), CONTRACT_NAMES
            )
        return cleaned


class InstallmentInline(admin.TabularInline):
    model = ContractInstallment
    extra = 0
    can_delete = False
    fields = (
        "installment_number",
        "due_date",
        "amount",
        "shown_status",
        "payment_amount",
        "late_fee",
        "grace_period_days",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def shown_status(self, obj):
        return contract_services.shown_status(obj)


@admin.register(Contract)
class ContractAdmin(TenantScopedAdmin):
    form = ContractForm
    list_display = ("title", "client", "total_amount", "status", "end_date")
    list_filter = ("status",)
    search_fields = ("title", "client__name")
    autocomplete_fields = ("client",)
    list_select_related = ("client",)
    inlines = [InstallmentInline]
    readonly_fields = ("status",)
    actions = ["cancel"]

    @admin.action(description="Cancel (and its pending installments)")
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda row: contract_services.cancel_contract(contract=row),
            "contract(s) cancelled",
        )

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data.get(name) for name in form.changed_data if name != "tenant"}
            saved = contract_services.update_contract(contract=obj, data=data)
        else:
            tenant = obj.tenant if obj.tenant_id else user_tenant(request)
            values = {name: form.cleaned_data.get(name) for name in [*CONTRACT_FIELDS, "integration_meta"]}
            saved = contract_services.create_contract(tenant=tenant, data=values)
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        contract_services.delete_contract(contract=obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            contract_services.delete_contract(contract=row)


# Installments --------------------------------------------------------------------------------
INSTALLMENT_FIELDS = [
    "contract", "installment_number", "due_date", "amount", "currency", "late_fee", "discount_applied", "interest_rate",
    "grace_period_days", "auto_pay_enabled", "reminder_sent", "reminder_dates", "notes", "custom_fields",
]  # fmt: skip


class InstallmentForm(forms.ModelForm):
    class Meta:
        model = ContractInstallment
        fields = ["tenant", *INSTALLMENT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.instance._state.adding:
            contract = cleaned.get("contract")
            if contract is not None:
                values = {name: cleaned.get(name) for name in INSTALLMENT_FIELDS}
                check_with_service(
                    self, lambda: contract_services.create_installment(tenant=contract.tenant, data=values), {}
                )
        else:
            data = {
                n: cleaned.get(n) for n in self.changed_data if n not in ("tenant", "contract", "installment_number")
            }
            if data:
                check_with_service(
                    self, lambda: contract_services.update_installment(installment=self.instance, data=data), {}
                )
        return cleaned

    def validate_unique(self):  # the service numbers installments (409/422 there)
        pass


class ShownStatusFilter(admin.SimpleListFilter):
    """The status as the API shows it: `overdue` is the overdue installments view."""

    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(s, s) for s in ContractInstallment.Status.values]

    def queryset(self, request, queryset):
        if self.value():
            return contract_services.with_api_status(queryset).filter(api_status=self.value())
        return queryset


@admin.register(ContractInstallment)
class ContractInstallmentAdmin(TenantScopedAdmin):
    form = InstallmentForm
    list_display = ("__str__", "due_date", "amount", "shown_status", "overdue_days")
    list_filter = (ShownStatusFilter,)
    search_fields = ("contract__title", "notes")
    autocomplete_fields = ("contract",)
    list_select_related = ("contract",)
    readonly_fields = ("status", "payment_date", "payment_amount", "payment_method", "payment_reference",
                       "payment_history")  # fmt: skip
    actions = ["mark_paid", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["contract", "installment_number"]
        return fields

    @admin.display(description="status")
    def shown_status(self, obj):
        return contract_services.shown_status(obj)

    @admin.display(description="days overdue")
    def overdue_days(self, obj):
        if contract_services.shown_status(obj) != ContractInstallment.Status.OVERDUE:
            return ""
        return format_html("<strong>{}</strong>", contract_services.days_overdue(obj))

    @admin.action(description="Mark paid (pays what is still due, through /pay)")
    def mark_paid(self, request, queryset):
        def pay(row):
            due = contract_services.amount_due(row) - row.payment_amount
            installment_payments.pay_installment(
                tenant=row.tenant,
                installment_id=row.pk,
                payment_date=dt.date.today(),
                payment_amount=due,
                payment_method=ContractInstallment.Method.OTHER,
                notes=f"Marked paid in the admin by {request.user}",
            )

        _run(self, request, queryset, pay, "installment(s) paid")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda row: contract_services.update_installment(installment=row, data={"status": "cancelled"}),
            "installment(s) cancelled",
        )

    def save_model(self, request, obj, form, change):
        if change:
            data = {
                n: form.cleaned_data.get(n)
                for n in form.changed_data
                if n not in ("tenant", "contract", "installment_number")
            }
            saved = contract_services.update_installment(installment=obj, data=data)
        else:
            values = {name: form.cleaned_data.get(name) for name in INSTALLMENT_FIELDS}
            saved = contract_services.create_installment(tenant=values["contract"].tenant, data=values)
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        contract_services.delete_installment(installment=obj)

    def delete_queryset(self, request, queryset):
        for row in queryset.order_by("-installment_number"):
            contract_services.delete_installment(installment=row)


# Refunds -------------------------------------------------------------------------------------
REFUND_EDITABLE = ("refund_method", "reference", "notes", "integration_meta")
REFUND_FIELDS = ("client", "rep", "invoice", "amount", "reason", *REFUND_EDITABLE)


class RefundForm(forms.ModelForm):
    class Meta:
        model = Refund
        fields = ["tenant", *REFUND_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.errors or not self.instance._state.adding:
            return cleaned
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is not None:
            values = {name: cleaned.get(name) for name in REFUND_FIELDS}
            check_with_service(self, lambda: refund_services.create_refund(tenant=tenant, data=values), {})
        return cleaned


@admin.register(Refund)
class RefundAdmin(TenantScopedAdmin):
    form = RefundForm
    list_display = ("__str__", "client", "amount", "status", "processed_at")
    list_filter = ("status",)
    search_fields = ("reason", "reference", "client__name")
    autocomplete_fields = ("client", "rep", "invoice")
    list_select_related = ("client", "invoice")
    actions = ["approve", "reject", "process"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["client", "rep", "invoice", "amount", "reason"]
        return [*fields, "status", "processed_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def _transition(self, request, queryset, status, done):
        _run(self, request, queryset, lambda row: refund_services.transition(refund=row, status=status), done)

    @admin.action(description="Approve")
    def approve(self, request, queryset):
        self._transition(request, queryset, "approved", "refund(s) approved")

    @admin.action(description="Reject")
    def reject(self, request, queryset):
        self._transition(request, queryset, "rejected", "refund(s) rejected")

    @admin.action(description="Process (give the money back: lowers the client's balance)")
    def process(self, request, queryset):
        self._transition(request, queryset, "processed", "refund(s) processed")

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data.get(name) for name in form.changed_data if name in REFUND_EDITABLE}
            saved = refund_services.update_refund(refund=obj, data=data)
        else:
            tenant = obj.tenant if obj.tenant_id else user_tenant(request)
            saved = refund_services.create_refund(
                tenant=tenant, data={name: form.cleaned_data.get(name) for name in REFUND_FIELDS}
            )
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()
