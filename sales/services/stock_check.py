"""The stock ledger's checker for `manage.py check_ledgers` (registered as `stock` in SalesConfig.ready).

For every inventory row, and for every (warehouse, variant) that has entries but no row, it
recomputes `quantity` = Σ movements and `reserved_quantity` = Σ reservations and yields each
stored value that disagrees. `fix=True` rewrites the row (created when missing) under the row
lock the ledger's writers take, with the sums recomputed after the lock is held, so a document
posting meanwhile is neither lost nor counted twice. The moving-average `cost` is not checked:
it depends on the order of the receipts, not only on their sum.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.ledgers import Difference
from core.models import Tenant
from sales.models import Inventory, StockMovement, StockReservation
from sales.models.stock import QUANTITY

LEDGER = "stock"
ZERO = Decimal(0)


def _sum_of(model) -> Coalesce:
    entries = (
        model.objects.filter(tenant=OuterRef("tenant"), warehouse=OuterRef("warehouse"), variant=OuterRef("variant"))
        .order_by()
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(entries), Value(ZERO), output_field=DecimalField(**QUANTITY))


def _orphans(model, scope) -> set[tuple]:
    """(tenant_id, warehouse_id, variant_id) of entries that have no inventory row."""
    row = Inventory.objects.filter(
        tenant=OuterRef("tenant"), warehouse=OuterRef("warehouse"), variant=OuterRef("variant")
    )
    return set(
        model.objects.filter(**scope)
        .filter(~Exists(row))
        .values_list("tenant_id", "warehouse_id", "variant_id")
        .distinct()
        .order_by()
    )


def _sums(*, tenant_id, warehouse_id, variant_id) -> tuple[Decimal, Decimal]:
    where = {"tenant_id": tenant_id, "warehouse_id": warehouse_id, "variant_id": variant_id}
    moved = StockMovement.objects.filter(**where).aggregate(total=Sum("quantity"))["total"] or ZERO
    reserved = StockReservation.objects.filter(**where).aggregate(total=Sum("quantity"))["total"] or ZERO
    return moved, reserved


@transaction.atomic
def _fix(*, tenant_id, warehouse_id, variant_id) -> None:
    from sales.models import Variant
    from sales.services.stock import _lock_rows

    tenant = Tenant.objects.get(pk=tenant_id)
    product_id = Variant.objects.filter(pk=variant_id).values_list("product_id", flat=True).get()
    rows = _lock_rows(tenant=tenant, keys={(warehouse_id, variant_id)}, products={variant_id: product_id})
    row = rows[(warehouse_id, variant_id)]
    row.quantity, row.reserved_quantity = _sums(tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id=variant_id)
    row.save(update_fields=["quantity", "reserved_quantity"])


def check_stock_ledger(*, tenant: Tenant | None = None, fix: bool = False) -> Iterator[Difference]:
    scope = {} if tenant is None else {"tenant": tenant}
    namespaces = dict(Tenant.objects.values_list("pk", "namespace"))
    rows = (
        Inventory.objects.filter(**scope)
        .annotate(expected_quantity=_sum_of(StockMovement), expected_reserved=_sum_of(StockReservation))
        .values_list(
            "tenant_id", "warehouse_id", "variant_id", "quantity", "reserved_quantity",
            "expected_quantity", "expected_reserved",
        )
        .order_by("tenant_id", "warehouse_id", "variant_id")
    )  # fmt: skip
    wrong = []
    for tenant_id, warehouse_id, variant_id, quantity, reserved, expected_quantity, expected_reserved in rows.iterator(
        chunk_size=5000
    ):
        key = (tenant_id, warehouse_id, variant_id)
        label = f"warehouse {warehouse_id} variant {variant_id}"
        found = False
        if quantity != expected_quantity:
            found = True
            yield Difference(LEDGER, namespaces[tenant_id], label, "quantity", quantity, expected_quantity)
        if reserved != expected_reserved:
            found = True
            yield Difference(LEDGER, namespaces[tenant_id], label, "reserved_quantity", reserved, expected_reserved)
        if found:
            wrong.append(key)
    for key in sorted(_orphans(StockMovement, scope) | _orphans(StockReservation, scope)):
        tenant_id, warehouse_id, variant_id = key
        moved, held = _sums(tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id=variant_id)
        label = f"warehouse {warehouse_id} variant {variant_id}"
        yield Difference(LEDGER, namespaces[tenant_id], label, "row", "missing", f"quantity {moved}, reserved {held}")
        wrong.append(key)
    if fix:
        for tenant_id, warehouse_id, variant_id in wrong:
            _fix(tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id=variant_id)
