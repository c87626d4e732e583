"""Viewsets of the stock resources: inventory (read-only), adjust-inventory, receiving-material, transfer."""

from django.db.models import Q

from core.api.listing import equality_q, get_list, parse_bool
from core.api.viewsets import ResourceViewSet
from sales.models import Inventory, InventoryAdjustment, ReceivingMaterial, Transfer
from sales.serializers import organisation as org
from sales.serializers import stock as s

SHORT = (
    "Not enough stock: the message and `details` name the variant, the warehouse, what is available and what "
    "was asked (unless the company allows negative stock)."
)
TRANSITION = (
    "A status change the document's transition table refuses (the message names the current and the requested "
    "status), a change of lines or warehouses the current status no longer allows, or (a receipt) a "
    "cancellation after the received stock has left."
)


class InventoryViewSet(ResourceViewSet):
    queryset = Inventory.objects.all()
    serializer_class = s.InventorySerializer
    operations = {"list"}
    filter_fields = ["warehouse", "product", "variant"]
    list_parameters = [
        ("warehouse_id", "Same as `warehouse` (the SDK's name): one id or a list."),
        ("product_id", "Same as `product`: one id or a list."),
        ("variant_id", "Same as `variant`: one id or a list."),
        ("zero", "`true`: only rows whose quantity is 0; `false`: only rows whose quantity is not 0."),
    ]
    populate = {"warehouse": org.WarehouseSerializer}
    openapi_notes = {
        "list": (
            "Stock per warehouse and variant. Read-only: stock moves only through documents (receipts, transfers, "
            "adjustments, invoices), so `quantity` is always the sum of its movements. Quantities are in base "
            "units; `availableQuantity` = `quantity` − `reservedQuantity` (what open proformas hold). Filter by "
            "`warehouse`/`warehouse_id`, `product`/`product_id`, `variant`/`variant_id` (one id or a list), "
            "`zero=true|false` and `from_updatedAt`/`from_lastUpdated`."
        ),
    }

    def list_filters(self, params):
        registry = self.registry()
        for alias, name in (("warehouse_id", "warehouse"), ("product_id", "product"), ("variant_id", "variant")):
            values = get_list(params, alias)
            if values is not None:
                yield equality_q(registry.get(name), alias, values)
        if "zero" in params:
            zero = parse_bool("zero", params["zero"])
            yield Q(quantity=0) if zero else ~Q(quantity=0)


class InventoryAdjustmentViewSet(ResourceViewSet):
    queryset = InventoryAdjustment.objects.all()
    serializer_class = s.InventoryAdjustmentSerializer
    operations = {"list", "create", "retrieve"}
    filter_fields = ["warehouse", "rep", "status"]
    search_fields = ["notes"]
    openapi_errors = {"post": {"422": SHORT}}
    openapi_notes = {
        "create": (
            "Moves stock at once: each line adds or removes `adjustmentQuantity` (its sign from the reason's type, "
            "increase or decrease, else its own sign) in the warehouse. Taking stock below zero answers 422 naming "
            "the variant, the warehouse, what is available and what was asked, unless the company's setting "
            "`allow_negative_stock` is on. Adjustments are immutable: correct one with another."
        ),
    }

    def get_queryset(self):
        return super().get_queryset().select_related("tenant").prefetch_related("items")


class ReceivingMaterialViewSet(ResourceViewSet):
    queryset = ReceivingMaterial.objects.all()
    serializer_class = s.ReceivingMaterialSerializer
    operations = {"list", "create", "retrieve", "update"}
    filter_fields = ["warehouse", "supplier", "rep", "status", "receiptNumber"]
    search_fields = ["receipt_number", "notes"]
    openapi_errors = {"put": {"409": TRANSITION}, "patch": {"409": TRANSITION}}
    openapi_notes = {
        "create": (
            "A pending receipt: `items[].totalCost` = receivedQuantity × unitCost and `totalAmount` = Σ totalCost "
            "are computed. Stock moves when it becomes `received`."
        ),
        "partial_update": (
            "`status`: pending → received puts the received quantities into the warehouse (once) and updates the "
            "moving-average cost; pending → cancelled; received → cancelled takes the stock out again and answers "
            "409 when it has already left. Any other change of status answers 409 naming the current and the "
            "requested status. Lines and warehouse change only while pending (409 after)."
        ),
    }

    def get_queryset(self):
        return super().get_queryset().select_related("tenant").prefetch_related("items")


class TransferViewSet(ResourceViewSet):
    queryset = Transfer.objects.all()
    serializer_class = s.TransferSerializer
    operations = {"list", "create", "retrieve", "update"}
    filter_fields = ["fromWarehouse", "toWarehouse", "rep", "status", "transferNumber"]
    search_fields = ["transfer_number", "reason", "notes"]
    openapi_errors = {
        "post": {
            "422": f"The source and destination are the same warehouse, or (created in transit) {SHORT[0].lower()}{SHORT[1:]}"
        },
        "put": {"409": TRANSITION, "422": SHORT},
        "patch": {"409": TRANSITION, "422": SHORT},
    }
    list_parameters = [
        ("from_date", "Transfers dated at or after (epoch milliseconds or ISO 8601)."),
        ("to_date", "Transfers dated at or before (epoch milliseconds or ISO 8601)."),
    ]
    openapi_notes = {
        "create": (
            "A pending transfer with a generated, unique `transferNumber`. `fromWarehouse` and `toWarehouse` must "
            "differ (422). `totalValue` = Σ quantity × unitCost is computed."
        ),
        "partial_update": (
            "`status`: pending → in_transit takes the sent quantities (default: requested) out of fromWarehouse "
            "(422 when short); in_transit → completed puts the received quantities (default: sent) into "
            "toWarehouse, the difference being the line's `transitLoss`; pending → cancelled changes nothing; "
            "in_transit → cancelled returns the sent stock. completed and cancelled are final (409)."
        ),
    }

    def get_queryset(self):
        return super().get_queryset().select_related("tenant").prefetch_related("items")

    def list_filters(self, params):
        from core.api.listing import parse_instant

        for key, lookup in (("from_date", "gte"), ("to_date", "lte")):
            if key in params:
                yield Q(**{f"transfer_date__{lookup}": parse_instant(key, params[key])})


def register(router) -> None:
    router.register("inventory", InventoryViewSet)
    router.register("adjust-inventory", InventoryAdjustmentViewSet)
    router.register("receiving-material", ReceivingMaterialViewSet)
    router.register("transfer", TransferViewSet)
