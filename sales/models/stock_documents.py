"""The stock documents: inventory adjustments, receipts (receiving material) and transfers.

Stock moves only through these (and the sales documents): each posts its movements through
sales/services/stock.py. Their rules (status machines, computed totals, what may change when)
live in sales/services/stock_documents.py. Lines belong to their document (CASCADE, which only a
tenant's removal exercises: the documents themselves cannot be deleted).

Quantities on lines are in the line's measure unit (`measureunit`, a factor of base units; none
means the base unit); the ledger receives `quantity × factor`. Costs are per line unit.
"""

from django.db import models

from core.models import TenantModel
from sales.models.catalogue import MONEY
from sales.models.stock import COST, QUANTITY


class InventoryAdjustment(TenantModel):
    """`/adjust-inventory`: immutable once created; its lines moved the stock when it was created."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        PROCESSING = "processing"
        REJECTED = "rejected"
        PROCESSED = "processed"

    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="adjustments")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments")
    notes = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSED, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "inventory adjustment"
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "warehouse", "id"], name="adjustment_warehouse_idx"),
        ]

    def __str__(self):
        return f"Adjustment {self.pk} · {self.warehouse}"


class InventoryAdjustmentItem(models.Model):
    """`adjustmentQuantity` as sent; `quantity` the signed base-unit quantity that moved
    (its sign from the reason's type, else from `adjustmentQuantity`)."""

    adjustment = models.ForeignKey(InventoryAdjustment, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="+")
    measureunit = models.ForeignKey(
        "sales.MeasureUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjustment_quantity = models.DecimalField(**QUANTITY)
    quantity = models.DecimalField(**QUANTITY, help_text="Signed, in base units: what moved.")
    reason = models.ForeignKey(
        "sales.InventoryAdjustmentReason", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("adjustment", "position")

    def __str__(self):
        return f"{self.variant} {self.quantity:+}"


class ReceivingMaterial(TenantModel):
    """`/receiving-material`: goods received from a supplier. pending → received puts the stock
    in (once); received → cancelled takes it out again (only while it is still there)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="receipts")
    supplier = models.ForeignKey("sales.Supplier", on_delete=models.PROTECT, related_name="receipts")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="receipts")
    receipt_number = models.CharField(max_length=100, blank=True, default="")
    receipt_date = models.DateTimeField(null=True, blank=True)
    total_amount = models.DecimalField(**MONEY, default=0, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    received_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        verbose_name = "receipt (receiving material)"
        verbose_name_plural = "receipts (receiving material)"
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "warehouse", "id"], name="receipt_warehouse_idx"),
            models.Index(fields=["tenant", "supplier", "id"], name="receipt_supplier_idx"),
        ]

    def __str__(self):
        return self.receipt_number or f"Receipt {self.pk}"


class ReceivingMaterialItem(models.Model):
    receipt = models.ForeignKey(ReceivingMaterial, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="+")
    measureunit = models.ForeignKey(
        "sales.MeasureUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected_quantity = models.DecimalField(**QUANTITY, default=0)
    received_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit_cost = models.DecimalField(**COST, default=0)
    total_cost = models.DecimalField(**MONEY, default=0, editable=False)

    class Meta:
        ordering = ("receipt", "position")

    def __str__(self):
        return f"{self.variant} × {self.received_quantity if self.received_quantity is not None else '?'}"


class Transfer(TenantModel):
    """`/transfer`: stock sent from one warehouse to another. pending → in_transit takes the sent
    quantities out of the source; in_transit → completed puts the received ones into the
    destination (the difference is transit loss); cancelling in transit returns the sent stock."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_TRANSIT = "in_transit"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    transfer_number = models.CharField(max_length=32, editable=False)
    from_warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="transfers_out")
    to_warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="transfers_in")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    transfer_date = models.DateTimeField(null=True, blank=True, editable=False)
    expected_date = models.DateTimeField(null=True, blank=True)
    completed_date = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    total_value = models.DecimalField(**MONEY, default=0, editable=False)
    reason = models.CharField(max_length=500, blank=True, default="")
    notes = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "transfer_number"], name="transfer_unique_number")]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "from_warehouse", "id"], name="transfer_from_idx"),
            models.Index(fields=["tenant", "to_warehouse", "id"], name="transfer_to_idx"),
        ]

    def __str__(self):
        return self.transfer_number or f"Transfer {self.pk}"


class TransferItem(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="+")
    measureunit = models.ForeignKey(
        "sales.MeasureUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_quantity = models.DecimalField(**QUANTITY)
    sent_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    received_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit_cost = models.DecimalField(**COST, default=0)

    class Meta:
        ordering = ("transfer", "position")

    def __str__(self):
        return f"{self.variant} × {self.requested_quantity}"

    @property
    def transit_loss(self):
        if self.sent_quantity is None or self.received_quantity is None:
            return None
        return self.sent_quantity - self.received_quantity
