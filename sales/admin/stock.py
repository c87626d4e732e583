"""Admin of the stock: the inventory (a read-only list), adjustments, receipts and transfers.

Documents are written through sales/services/stock_documents.py, as the API writes them: a new
document and its lines are created by one service call (the lines inline), status changes are
actions (receive, send, complete, cancel) calling the same transition functions, and computed
fields (totals, transfer numbers, statuses, what moved) are read-only. A refusal of the service
(short stock, a refused transition, a bad line) is shown as an error message and nothing is saved.
No document is deleted: a wrong one is corrected by another (or cancelled).
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from rest_framework.exceptions import APIException

from core.admin.base import TenantScopedAdmin, user_tenant
from core.admin.scoping import ScopedChoicesMixin
from core.api.exceptions import flatten_errors, summary
from sales.models import (
    Inventory,
    InventoryAdjustment,
    InventoryAdjustmentItem,
    ReceivingMaterial,
    ReceivingMaterialItem,
    Transfer,
    TransferItem,
)
from sales.services import stock_documents as services


def error_text(exc: APIException) -> str:
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        return summary(flatten_errors(detail))
    return str(detail)


@admin.register(Inventory)
class InventoryAdmin(TenantScopedAdmin):
    list_display = ("variant", "warehouse", "quantity", "reserved_quantity", "available")
    list_filter = ("warehouse", "product")
    search_fields = ("variant__name", "variant__sku", "product__name", "warehouse__name")
    list_select_related = ("variant", "warehouse")
    fields = ("warehouse", "product", "variant", "quantity", "reserved_quantity", "available", "cost", "updated_at")
    readonly_fields = fields

    @admin.display(description="available")
    def available(self, obj):
        return obj.quantity - obj.reserved_quantity

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request) -> bool:
        # A file can only be checked against the rows (the import creates and changes none:
        # the inventory resource has no create or update).
        return self.has_view_permission(request)


class LineInline(ScopedChoicesMixin, admin.TabularInline):
    extra = 1
    autocomplete_fields = ("variant",)
    ordering = ("position",)

    def has_change_permission(self, request, obj=None):
        return obj is None or getattr(obj, "status", "pending") == "pending"

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class StockDocumentAdmin(TenantScopedAdmin):
    """Saves the document and its lines in one service call (see the module doc)."""

    header_fields: tuple = ()
    line_fields: tuple = ()
    create_service = None
    update_service = None

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request) -> bool:
        # Imported documents are created through the same services (they move stock too).
        return self.has_add_permission(request)

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        # Nothing is written here: save_related writes the document and its lines together.

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        data = {name: form.cleaned_data[name] for name in self.header_fields if name in form.changed_data or not change}
        lines_changed = any(formset.has_changed() for formset in formsets)
        if not change or lines_changed:
            data["items"] = [
                {
                    name: line.cleaned_data.get(name)
                    for name in self.line_fields
                    if line.cleaned_data.get(name) is not None
                }
                for formset in formsets
                for line in formset.forms
                if line.cleaned_data and not line.cleaned_data.get("DELETE")
            ]
        for formset in formsets:  # the change message reads what formset.save() would have recorded
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            if change:
                saved = type(self).update_service(obj, data)
            else:
                saved = type(self).create_service(obj.tenant, data)
        except APIException as exc:
            request._stock_error = error_text(exc)
            return
        obj.pk, obj._state.adding = saved.pk, False

    def _refused(self, request, obj):
        message = getattr(request, "_stock_error", None)
        if message is None:
            return None
        self.message_user(request, f"Not saved: {message}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused(request, obj) or super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if obj.pk is None or getattr(request, "_stock_error", None):
            return None
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(request, "_stock_error", None):
            return None
        return super().log_change(request, obj, message)

    def _transition(self, request, queryset, change, status):
        done = 0
        for document in queryset:
            try:
                change(document, status)
                done += 1
            except APIException as exc:
                self.message_user(request, f"{document}: {error_text(exc)}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} document(s) now {status.replace('_', ' ')}.", messages.SUCCESS)


# adjustments ---------------------------------------------------------------------------------------------
class AdjustmentLineInline(LineInline):
    model = InventoryAdjustmentItem
    fields = ("variant", "measureunit", "adjustment_quantity", "reason", "quantity")
    readonly_fields = ("quantity",)
    autocomplete_fields = ("variant",)

    def has_change_permission(self, request, obj=None):
        return obj is None  # immutable once created


@admin.register(InventoryAdjustment)
class InventoryAdjustmentAdmin(StockDocumentAdmin):
    list_display = ("__str__", "warehouse", "rep", "status", "created_at")
    list_filter = ("warehouse", "status")
    search_fields = ("notes", "warehouse__name")
    list_select_related = ("warehouse", "rep")
    autocomplete_fields = ("warehouse", "rep")
    fields = ("warehouse", "rep", "notes", "status")
    readonly_fields = ("status",)
    inlines = (AdjustmentLineInline,)
    header_fields = ("warehouse", "rep", "notes")
    line_fields = ("variant", "measureunit", "adjustment_quantity", "reason")

    @staticmethod
    def create_service(tenant, data):
        return services.create_adjustment(tenant=tenant, data=data)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


# receipts ------------------------------------------------------------------------------------------------
class ReceiptLineInline(LineInline):
    model = ReceivingMaterialItem
    fields = ("variant", "measureunit", "expected_quantity", "received_quantity", "unit_cost", "total_cost")
    readonly_fields = ("total_cost",)


@admin.register(ReceivingMaterial)
class ReceivingMaterialAdmin(StockDocumentAdmin):
    list_display = ("__str__", "warehouse", "supplier", "status", "total_amount")
    list_filter = ("status", "warehouse", "supplier")
    search_fields = ("receipt_number", "notes", "supplier__name")
    list_select_related = ("warehouse", "supplier")
    autocomplete_fields = ("warehouse", "supplier", "rep")
    fields = (
        "receipt_number", "warehouse", "supplier", "rep", "receipt_date", "notes", "status", "total_amount",
        "received_at", "integration_meta",
    )  # fmt: skip
    readonly_fields = ("status", "total_amount", "received_at")
    inlines = (ReceiptLineInline,)
    actions = ("receive", "cancel")
    header_fields = ("receipt_number", "warehouse", "supplier", "rep", "receipt_date", "notes", "integration_meta")
    line_fields = ("variant", "measureunit", "expected_quantity", "received_quantity", "unit_cost")

    @staticmethod
    def create_service(tenant, data):
        return services.create_receipt(tenant=tenant, data=data)

    @staticmethod
    def update_service(receipt, data):
        return services.update_receipt(receipt=receipt, data=data)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != ReceivingMaterial.Status.PENDING:
            readonly += ["warehouse", "supplier"]
        return readonly

    @admin.action(description="Receive: put the stock in")
    def receive(self, request, queryset):
        self._transition(
            request, queryset, lambda d, s: services.change_receipt_status(receipt=d, status=s), "received"
        )

    @admin.action(description="Cancel (a received receipt takes its stock out again)")
    def cancel(self, request, queryset):
        self._transition(
            request, queryset, lambda d, s: services.change_receipt_status(receipt=d, status=s), "cancelled"
        )


# transfers -------------------------------------------------------------------------------------------------
class TransferLineInline(LineInline):
    model = TransferItem
    fields = ("variant", "measureunit", "requested_quantity", "sent_quantity", "received_quantity", "unit_cost")


@admin.register(Transfer)
class TransferAdmin(StockDocumentAdmin):
    list_display = ("__str__", "from_warehouse", "to_warehouse", "status", "total_value")
    list_filter = ("status", "from_warehouse", "to_warehouse")
    search_fields = ("transfer_number", "reason", "notes")
    list_select_related = ("from_warehouse", "to_warehouse")
    autocomplete_fields = ("from_warehouse", "to_warehouse", "rep")
    fields = (
        "transfer_number", "from_warehouse", "to_warehouse", "rep", "expected_date", "reason", "notes", "status",
        "transfer_date", "completed_date", "total_value", "integration_meta",
    )  # fmt: skip
    readonly_fields = ("transfer_number", "status", "transfer_date", "completed_date", "total_value")
    title_field = "transfer_number"
    inlines = (TransferLineInline,)
    actions = ("send", "complete", "cancel")
    header_fields = ("from_warehouse", "to_warehouse", "rep", "expected_date", "reason", "notes", "integration_meta")
    line_fields = ("variant", "measureunit", "requested_quantity", "sent_quantity", "received_quantity", "unit_cost")

    @staticmethod
    def create_service(tenant, data):
        return services.create_transfer(tenant=tenant, data=data)

    @staticmethod
    def update_service(transfer, data):
        return services.update_transfer(transfer=transfer, data=data)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Transfer.Status.PENDING:
            readonly += ["from_warehouse", "to_warehouse"]
        return readonly

    @admin.action(description="Send: take the stock out of the source (in transit)")
    def send(self, request, queryset):
        self._transition(
            request, queryset, lambda d, s: services.change_transfer_status(transfer=d, status=s), "in_transit"
        )

    @admin.action(description="Complete: put the received stock into the destination")
    def complete(self, request, queryset):
        self._transition(
            request, queryset, lambda d, s: services.change_transfer_status(transfer=d, status=s), "completed"
        )

    @admin.action(description="Cancel (in transit: the stock goes back to the source)")
    def cancel(self, request, queryset):
        self._transition(
            request, queryset, lambda d, s: services.change_transfer_status(transfer=d, status=s), "cancelled"
        )
