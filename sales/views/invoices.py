"""`/fullinvoices` and `/proforma` (family E): list, create, get, update; no delete (405)."""

from django.db.models import Prefetch

from core.api.viewsets import ResourceViewSet
from sales.models import Invoice, InvoiceItem, Proforma, ProformaItem
from sales.serializers import invoices as s
from sales.services.invoice_lines import LINE_RELATED

CLIENT = "clients.serializers.client.ClientSerializer"
REP = "sales.serializers.organisation.RepSerializer"
WAREHOUSE = "sales.serializers.organisation.WarehouseSerializer"

STOCK_422 = (
    "The request cannot be carried out (`details` names the field): the sent `total` (or an item's `price`) "
    "disagrees with the server's, a product is frozen for sales, the warehouse has not enough available stock "
    "(`insufficient_stock`, naming the variant, the warehouse, what is available and what was asked; unless "
    "the company allows negative stock), or a return takes back more than was sold and not yet returned."
)


class DocumentViewSet(ResourceViewSet):
    def document(self, instance) -> dict:
        # A document just written answers with its lines loaded in one query (not three per line).
        if not getattr(instance, "_prefetched_objects_cache", {}).get("lines"):
            instance = self.get_queryset().get(pk=instance.pk)
        return super().document(instance)


class InvoiceViewSet(DocumentViewSet):
    queryset = Invoice.objects.all()
    serializer_class = s.InvoiceSerializer
    operations = {"list", "create", "retrieve", "update"}
    natural_key = ("serial",)
    search_fields = ["serial", "notes"]
    filter_fields = ["serial", "client", "rep", "warehouse", "status", "is_void", "returned_from", "proforma_reference"]
    populate = {"client": CLIENT, "rep": REP, "warehouse": WAREHOUSE}
    openapi_errors = {
        "post": {
            "409": "`serial` is taken (the invoice that has it is named), or `proforma_reference` names a proforma "
            "that is no longer open (already converted, or cancelled), or the invoice a return comes from is void.",
            "422": STOCK_422,
        },
        "put": {
            "409": "The body changes what an issued invoice keeps for ever (items, totals, parties, serial, status): "
            "`details` names the field; or it un-voids a void invoice, or voids an invoice whose returns are not void.",
            "422": STOCK_422,
        },
    }
    openapi_errors["patch"] = openapi_errors["put"]
    openapi_notes = {
        "create": (
            "Issues an invoice: the server prices every item (the client's price list, else the variant's price, "
            "times the unit's factor), taxes it (the product's tax: additive, inclusive or N/A) and totals it, "
            "rounding each line half-up to 2 places; `total` = Σ `line_total`. `serial` is drawn from the rep's "
            "sales counter for the warehouse when not sent. The items' base-unit quantities leave the warehouse's "
            "stock. With `returned_from` it is a return: the items come back into stock at the invoice's prices. "
            "With `proforma_reference` it converts the proforma (items default to the proforma's): its reservation "
            "becomes this invoice's stock movement."
        ),
        "partial_update": (
            "Changes `notes`, `integration_meta` and `dueDate`. `is_void: true` voids the invoice and puts its stock "
            "back, once. Other fields may be sent only with their current value (an echo of the document)."
        ),
    }

    def get_queryset(self):
        lines = InvoiceItem.objects.select_related(*LINE_RELATED).order_by("position")
        # paymentsData: the allocations and the returns not void, one query each for a whole page.
        allocations = Invoice.allocations.rel.related_model.objects.order_by("created_at", "id")
        returns = Invoice.objects.filter(is_void=False).only("id", "tenant_id", "returned_from_id", "total", "is_void")
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("lines", queryset=lines),
                Prefetch("allocations", queryset=allocations),
                Prefetch("returns", queryset=returns),
            )
        )


class ProformaViewSet(DocumentViewSet):
    queryset = Proforma.objects.all()
    serializer_class = s.ProformaSerializer
    operations = {"list", "create", "retrieve", "update"}
    natural_key = ("serial",)
    search_fields = ["serial", "notes"]
    filter_fields = ["serial", "client", "rep", "warehouse", "status"]
    populate = {"client": CLIENT, "rep": REP, "warehouse": WAREHOUSE}
    openapi_errors = {
        "post": {"409": "`serial` is taken (the proforma that has it is named).", "422": STOCK_422},
        "put": {
            "409": "A change of `status` other than open → cancelled (the message names the current and the requested "
            "state), or a change of what a proforma keeps (items, totals, parties, serial)."
        },
    }
    openapi_errors["patch"] = openapi_errors["put"]
    openapi_notes = {
        "create": (
            "Creates an open proforma, priced and totalled as an invoice is. It moves no stock but reserves its "
            "quantities in the warehouse (`reservedQuantity` of `/inventory`) until it is converted into an invoice "
            "(`POST /fullinvoices` with `proforma_reference`) or cancelled."
        ),
        "partial_update": (
            '`{"status": "cancelled"}` cancels an open proforma and releases its reservation. `notes`, '
            "`integration_meta` and `validUntil` change while it is open."
        ),
    }

    def get_queryset(self):
        lines = ProformaItem.objects.select_related(*LINE_RELATED).order_by("position")
        return super().get_queryset().prefetch_related(Prefetch("lines", queryset=lines))


def register(router) -> None:
    router.register("fullinvoices", InvoiceViewSet)
    router.register("proforma", ProformaViewSet)
