"""Admin of invoices (and returns) and proformas: lines inline and every computed value read-only;
state changes as actions going through the same services as the API (void, convert into an invoice,
cancel), and "Download PDF". Documents are issued through the API (or the services), not added
here, and never deleted; only `notes` (and integration_meta) change in the form."""

from django.contrib import admin, messages
from rest_framework.exceptions import APIException

from core.admin.base import TenantScopedAdmin
from core.pdf import download_pdf_action
from sales.models import Invoice, InvoiceItem, Proforma, ProformaItem
from sales.services import invoices as invoice_services
from sales.services import proformas as proforma_services

LINE_FIELDS = (
    "position", "variant", "product", "measure_unit", "qty", "base_unit_qty", "price", "gross", "discount_value",
    "tax_rate", "tax_type", "tax_amount", "line_total", "note",
)  # fmt: skip
HEADER = ("serial", "client", "rep", "warehouse", "issue_date", "subtotal", "discount_amount", "tax_amount", "total")


class ReadOnlyLines(admin.TabularInline):
    extra = 0
    can_delete = False
    fields = LINE_FIELDS
    readonly_fields = LINE_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvoiceItemInline(ReadOnlyLines):
    model = InvoiceItem


class ProformaItemInline(ReadOnlyLines):
    model = ProformaItem


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


@admin.register(Invoice)
class InvoiceAdmin(TenantScopedAdmin):
    list_display = ("serial", "kind", "client", "total", "is_void")
    list_filter = ("kind", "status", "is_void")
    search_fields = ("serial", "client__name")
    list_select_related = ("client", "warehouse")
    inlines = [InvoiceItemInline]
    fields = (
        *HEADER,
        "kind",
        "status",
        "due_date",
        "is_void",
        "voided_at",
        "returned_from",
        "proforma_reference",
        "notes",
    )
    readonly_fields = (
        *HEADER, "kind", "status", "due_date", "is_void", "voided_at", "returned_from", "proforma_reference",
    )  # fmt: skip
    actions = ["void", download_pdf_action("invoice")]

    def has_add_permission(self, request):
        return False

    def has_import_permission(self, request) -> bool:
        # Imported rows are issued through the same service as the API's (stock moves).
        return self.has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Void (put the stock back)")
    def void(self, request, queryset):
        _run(self, request, queryset, lambda row: invoice_services.void_invoice(invoice=row), "invoice(s) voided")

    def save_model(self, request, obj, form, change):
        invoice_services.update_invoice(invoice=obj, data={name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(Proforma)
class ProformaAdmin(TenantScopedAdmin):
    list_display = ("serial", "client", "total", "status", "issue_date")
    list_filter = ("status",)
    search_fields = ("serial", "client__name")
    list_select_related = ("client", "warehouse")
    inlines = [ProformaItemInline]
    fields = (*HEADER, "status", "valid_until", "notes")
    readonly_fields = (*HEADER, "status")
    actions = ["convert", "cancel", download_pdf_action("proforma")]

    def has_add_permission(self, request):
        return False

    def has_import_permission(self, request) -> bool:
        # Imported rows are issued through the same service as the API's (stock moves).
        return self.has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Convert into an invoice (consumes the reservation)")
    def convert(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda row: invoice_services.issue_invoice(tenant=row.tenant, data={"proforma_reference": row}),
            "proforma(s) converted",
        )

    @admin.action(description="Cancel (release the reservation)")
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda row: proforma_services.cancel_proforma(proforma=row),
            "proforma(s) cancelled",
        )

    def save_model(self, request, obj, form, change):
        proforma_services.update_proforma(
            proforma=obj, data={name: form.cleaned_data[name] for name in form.changed_data}
        )
