"""The stock ledger: append-only movements and reservations, and the inventory projection.

* `StockMovement`: one signed quantity (base units) of one variant in one warehouse, caused by one
  document (`document_type`, `document_id`). Append-only: a wrong movement is corrected by a new
  document, never edited or deleted (saving an existing one, or deleting one, raises).
* `StockReservation`: append-only signed entries; their sum per (warehouse, variant) is the
  projection's `reserved_quantity` (a proforma reserves +q, its conversion or cancellation -q).
* `Inventory`: the projection `GET /inventory` reads, one row per (tenant, warehouse, variant):
  `quantity` = Σ movements, `reserved_quantity` = Σ reservations, `cost` the moving average.
  Only sales/services/stock.py writes it, in the same transaction as the entries, under row locks
  taken in (warehouse_id, variant_id) order. `check_ledgers` recomputes it from the entries.
"""

from django.db import models

from core.models import TenantModel
from core.models.base import TenantQuerySet

# Quantities are in base units: a sale of 3 boxes of 12 is 36. Six decimals hold any
# quantity × measure-unit factor (the factor has six).
QUANTITY = {"max_digits": 20, "decimal_places": 6}
# Costs carry more decimals than prices: a moving average divides.
COST = {"max_digits": 20, "decimal_places": 6}


class AppendOnlyError(Exception):
    """A ledger entry was about to be changed or deleted: entries are corrected by new documents."""


class AppendOnlyQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: they cannot be deleted.")


class AppendOnlyModel(TenantModel):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta(TenantModel.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: they cannot be deleted.")


class StockMovement(AppendOnlyModel):
    """A signed quantity in base units (+ in, − out) of a variant in a warehouse, and the document
    that moved it. `unit_cost` is the cost per base unit it moved at."""

    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="stock_movements")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="stock_movements")
    quantity = models.DecimalField(**QUANTITY)
    unit_cost = models.DecimalField(**COST, default=0)
    document_type = models.CharField(max_length=32)
    document_id = models.UUIDField()

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "warehouse", "variant"], name="stockmovement_row_idx"),
            models.Index(fields=["tenant", "document_type", "document_id"], name="stockmovement_doc_idx"),
        ]

    def __str__(self):
        return f"{self.quantity:+} · {self.document_type} {self.document_id}"


class StockReservation(AppendOnlyModel):
    """A signed reserved quantity in base units of a variant in a warehouse, held by a document."""

    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="stock_reservations")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="stock_reservations")
    quantity = models.DecimalField(**QUANTITY)
    document_type = models.CharField(max_length=32)
    document_id = models.UUIDField()

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "warehouse", "variant"], name="stockreservation_row_idx"),
            models.Index(fields=["tenant", "document_type", "document_id"], name="stockreservation_doc_idx"),
        ]

    def __str__(self):
        return f"{self.quantity:+} reserved · {self.document_type} {self.document_id}"


class Inventory(TenantModel):
    """What a warehouse holds of a variant (`GET /inventory`). `available` = quantity − reserved."""

    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="inventory")
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="inventory")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="inventory")
    quantity = models.DecimalField(**QUANTITY, default=0)
    reserved_quantity = models.DecimalField(**QUANTITY, default=0)
    cost = models.DecimalField(**COST, default=0, help_text="Moving-average cost per base unit.")

    class Meta(TenantModel.Meta):
        verbose_name = "inventory row"
        verbose_name_plural = "inventory"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "warehouse", "variant"], name="inventory_unique_row"),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            # `GET /inventory?warehouse=` pages in `_id` order.
            models.Index(fields=["tenant", "warehouse", "id"], name="inventory_warehouse_idx"),
            models.Index(fields=["tenant", "product", "id"], name="inventory_product_idx"),
            models.Index(fields=["tenant", "variant", "id"], name="inventory_variant_idx"),
        ]

    def __str__(self):
        return f"{self.variant_id} @ {self.warehouse_id}: {self.quantity}"

    @property
    def available_quantity(self):
        return self.quantity - self.reserved_quantity
