"""What invoices, returns and proformas share: serials, stored lines read back, and the calls into
the stock ledger (sales/services/stock.py, which owns the movements and the projection).

Stock lines are `(warehouse_id, variant_id, signed base-unit quantity)`; lines of the same
(warehouse, variant) are merged before the ledger is called, which sorts and locks the rows.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connections, router
from django.db.models import sql
from django.db.models.constants import OnConflict
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from sales.models import Variant

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


def insert_document(*, tenant, document, serial, rep, warehouse, invoice_type: str) -> None:
    """INSERT a new document under its serial: the one sent (409 when taken), else the next number
    of the (rep, warehouse, invoice_type) counter, drawn inside the caller's transaction (created
    with `default_prefix` on first use, so a refused document gives its number back). A drawn
    serial that a document already has (typed by hand, or from a counter whose prefix repeats
    another's) is skipped, up to MAX_SKIPS times; then a 409 names the document that has it.

    One statement per try: the row is inserted `ON CONFLICT DO NOTHING` and a taken serial shows
    as no row inserted (no look-up first, no savepoint to recover from a unique violation)."""
    model = type(document)
    if serial not in (None, ""):
        document.serial = serial
        if not _insert_unless_taken(document):
            raise_if_serial_taken(tenant=tenant, model=model, serial=serial)
            raise Conflict(f"The {model._meta.verbose_name} could not be stored (a unique value is taken).")
        return
    if rep is None:
        raise ValidationError({"rep": ["Required when no serial is sent: the serial is drawn from the rep's counter."]})
    from finance.services.serials import next_serial

    prefix = default_prefix(rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type=invoice_type)
    for _ in range(MAX_SKIPS):
        _, document.serial = next_serial(
            tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type=invoice_type, prefix=prefix
        )
        if _insert_unless_taken(document):
            return
    raise_if_serial_taken(tenant=tenant, model=model, serial=document.serial)
    raise Conflict(f"The {model._meta.verbose_name} could not be stored (a unique value is taken).")


def _insert_unless_taken(document) -> bool:
    """INSERT … ON CONFLICT DO NOTHING of a new row whose primary key is already set (a UUID):
    True when it was inserted, False when a unique value (the serial) is taken. Model.save()'s
    INSERT, without its savepoint (the document services send no save signals)."""
    model = type(document)
    using = router.db_for_write(model)
    query = sql.InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(model._meta.concrete_fields, [document])
    inserted = 0
    with connections[using].cursor() as cursor:
        for statement, params in query.get_compiler(using=using).as_sql():
            cursor.execute(statement, params)
            inserted += cursor.rowcount
    if inserted == 1:
        document._state.adding, document._state.db = False, using
    return inserted == 1


def keep_lines(document, rows: list, lines: list[ResolvedLine]) -> None:
    """Hand the stored `rows` (just bulk-created, in position order) to the document as its
    prefetched `lines`, with their variant, product and unit from `lines` (what was resolved),
    so the answer is rendered from memory rather than read back. Left out (the answer reads the
    lines back) when a row has no id yet or a variant came without its product."""
    product = Variant._meta.get_field("product")
    if any(row.pk is None for row in rows) or not all(product.is_cached(line.variant) for line in lines):
        return
    for row, line in zip(rows, lines, strict=True):
        row.variant = line.variant
        row.product = line.variant.product
        row.measure_unit = line.measure_unit
    related = document.lines.all()
    related._result_cache, related._prefetch_done = list(rows), True
    document._prefetched_objects_cache = {**getattr(document, "_prefetched_objects_cache", {}), "lines": related}


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


def post_stock(*, tenant, lines, document_type: str, document_id: uuid.UUID, known=None) -> None:
    """`known`: what the ledger need not read again (see stock.post_movements), e.g. from `known_of`."""
    from sales.services import stock

    stock_lines = _stock_lines(lines)
    if stock_lines:
        stock.post_movements(
            tenant=tenant, lines=stock_lines, document_type=document_type, document_id=document_id, known=known
        )


def known_of(lines: list[ResolvedLine], warehouse) -> tuple[dict, dict]:
    """The variants and the warehouse of resolved lines, as the ledger's `known` references."""
    return {line.variant.pk: (line.variant.name, line.variant.product_id) for line in lines}, {
        warehouse.pk: warehouse.name
    }


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
