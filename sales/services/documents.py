"""What invoices, returns and proformas share: serials, stored lines read back, and the calls into
the stock ledger (sales/services/stock.py, which owns the movements and the projection).

Stock lines are `(warehouse_id, variant_id, signed base-unit quantity)`; lines of the same
(warehouse, variant) are merged before the ledger is called, which sorts and locks the rows.
"""

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict

from .invoice_lines import ItemInput, ResolvedLine, price_line


# Serials -------------------------------------------------------------------------------------------
def raise_if_serial_taken(*, tenant, model, serial: str, exclude=None) -> None:
    taken = model.objects.filter(tenant=tenant, serial=serial)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    owner = taken.values_list("pk", flat=True).first()
    if owner is not None:
        noun = model._meta.verbose_name
        message = f"A {noun} with serial '{serial}' already exists ({owner}); serials are unique."
        raise Conflict(message, details=[{"path": "serial", "message": message, "code": "unique", "_id": str(owner)}])


TYPE_PREFIXES = {"sales": "INV", "return": "RET", "proforma": "PRO"}
MAX_SKIPS = 20


def default_prefix(*, rep_id, warehouse_id, invoice_type: str) -> str:
    """The prefix of a counter an invoice creates on first use: the type, then the last six hex
    digits of the rep's and the warehouse's ids (`INV-3F9A2C-7B1D0E-`), so the counters of two
    reps, or of a rep's sales and returns, do not issue the same serials (serials are unique per
    tenant; a counter created through the API keeps the prefix it was given)."""
    return f"{TYPE_PREFIXES[invoice_type]}-{rep_id.hex[-6:].upper()}-{warehouse_id.hex[-6:].upper()}-"


def _ensure_counter(*, tenant, rep, warehouse, invoice_type: str) -> None:
    from finance.services.serials import create_counter, find_counter

    if find_counter(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type=invoice_type):
        return
    prefix = default_prefix(rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type=invoice_type)
    with contextlib.suppress(Conflict):  # created meanwhile by a concurrent first use
        create_counter(
            tenant=tenant, data={"rep": rep, "warehouse": warehouse, "invoice_type": invoice_type, "prefix": prefix}
        )


def take_serial(*, tenant, model, serial, rep, warehouse, invoice_type: str) -> str:
    """The serial a new document is issued under: the one sent (409 when taken), else the next
    number of the (rep, warehouse, invoice_type) counter, drawn inside the caller's transaction
    (created with `default_prefix` on first use). A drawn serial that a document already has
    (typed by hand, or from a counter whose prefix repeats another's) is skipped, up to MAX_SKIPS
    times; then a 409 names the document that has it."""
    if serial not in (None, ""):
        raise_if_serial_taken(tenant=tenant, model=model, serial=serial)
        return serial
    if rep is None:
        raise ValidationError({"rep": ["Required when no serial is sent: the serial is drawn from the rep's counter."]})
    from finance.services.serials import next_serial

    _ensure_counter(tenant=tenant, rep=rep, warehouse=warehouse, invoice_type=invoice_type)
    for _ in range(MAX_SKIPS):
        _, formatted = next_serial(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type=invoice_type)
        if not model.objects.filter(tenant=tenant, serial=formatted).exists():
            return formatted
    raise_if_serial_taken(tenant=tenant, model=model, serial=formatted)
    return formatted


# Stored lines ---------------------------------------------------------------------------------------
def lines_of(document) -> list[ResolvedLine]:
    """A document's stored lines as priced lines (a conversion copies its proforma's lines at the
    proforma's prices)."""
    out = []
    for line in document.lines.select_related("variant", "measure_unit").order_by("position"):
        item = ItemInput(
            index=line.position, variant_id=line.variant_id, qty=line.qty, discount_value=line.discount_value,
            note=line.note,
        )  # fmt: skip
        out.append(
            price_line(
                item=item, variant=line.variant, unit=line.measure_unit, listed_price=line.listed_price,
                tax_id=line.tax_id, tax_rate=line.tax_rate, tax_type=line.tax_type,
            )
        )  # fmt: skip
    return out


# The ledger ----------------------------------------------------------------------------------------
def _stock_lines(lines: Iterable[tuple], *, cost=None):
    from sales.services.stock import StockLine

    merged: dict = defaultdict(Decimal)
    for warehouse_id, variant_id, qty in lines:
        merged[(warehouse_id, variant_id)] += qty
    return [
        StockLine(warehouse_id=w, variant_id=v, quantity=q, unit_cost=cost)
        for (w, v), q in sorted(merged.items())
        if q != 0
    ]


def post_stock(*, tenant, lines, document_type: str, document_id: uuid.UUID) -> None:
    from sales.services import stock

    stock_lines = _stock_lines(lines)
    if stock_lines:
        stock.post_movements(tenant=tenant, lines=stock_lines, document_type=document_type, document_id=document_id)


def reverse_stock(*, tenant, document_type: str, document_id: uuid.UUID, into_document_type: str) -> None:
    """Post the opposite of every movement of a document (at the cost each left with), as
    movements of `into_document_type` under the same document id."""
    from sales.services import stock

    moves = stock.movements_of(tenant=tenant, document_type=document_type, document_id=document_id)
    lines = [
        stock.StockLine(
            warehouse_id=m.warehouse_id,
            variant_id=m.variant_id,
            quantity=-m.quantity,
            unit_cost=m.unit_cost if m.quantity < 0 else None,
        )
        for m in moves
    ]
    lines.sort(key=lambda line: (line.warehouse_id, line.variant_id))
    if lines:
        stock.post_movements(tenant=tenant, lines=lines, document_type=into_document_type, document_id=document_id)


def reserve(*, tenant, lines, document_type: str, document_id: uuid.UUID) -> None:
    from sales.services import stock

    stock_lines = _stock_lines(lines)
    if stock_lines:
        stock.reserve(tenant=tenant, lines=stock_lines, document_type=document_type, document_id=document_id)


def release(*, tenant, document_type: str, document_id: uuid.UUID) -> None:
    from sales.services import stock

    stock.release(tenant=tenant, document_type=document_type, document_id=document_id)


def consume_reservation(*, tenant, proforma, invoice, lines, document_type: str) -> None:
    from sales.services import stock

    stock.consume_reservation(
        tenant=tenant,
        document_type="proforma",
        document_id=proforma.pk,
        into_document_type=document_type,
        into_document_id=invoice.pk,
        lines=_stock_lines(lines),
    )
