"""The stock ledger service: the only code that writes `Inventory` (the projection `GET /inventory` reads).

Every stock change is a document's: `post_movements` appends one `StockMovement` per line and
updates the projection rows in the same transaction; `reserve` / `release` append
`StockReservation` entries and move `reserved_quantity`; `consume_reservation` turns a
reservation into another document's movements in one transaction.

Locking (why concurrent documents neither deadlock nor lose an update): each call first inserts the
projection rows it needs (`INSERT … ON CONFLICT DO NOTHING`, keys sorted), then locks them all with
one `SELECT … FOR UPDATE ORDER BY warehouse_id, variant_id`, and only then reads and writes them.
Every caller takes its locks in that one order, so two documents touching the same rows queue
instead of deadlocking, and each reads the quantity the previous one wrote.

Rules:
* Quantities are signed, in base units (a line in a measure unit is converted by the caller:
  `qty × factor`). Zero lines move nothing and are dropped.
* Negative stock: a document whose lines take a row's `available` (quantity − reserved) below zero
  is refused with `InsufficientStock` (422), naming the variant, the warehouse, what is available
  and what was asked, unless negative stock is allowed (`allow_negative`, or when None the
  tenant's `allow_negative_stock` setting). The check is per row on the document's net effect:
  a row the document does not take anything out of is never refused.
* Moving-average cost: an inbound line with a `unit_cost` sets
  `cost = (max(old_qty, 0) × old_cost + q × unit_cost) / (max(old_qty, 0) + q)` (stock below zero
  has no cost to average with). Outbound lines, and inbound lines without a cost, leave the cost
  as it is and are recorded at the row's current cost.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet, Sum, sql
from django.db.models.constants import OnConflict
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from core.models import Setting, Tenant
from core.models.base import now_ms
from sales.models import Inventory, StockMovement, StockReservation, Variant, Warehouse

ZERO = Decimal(0)
QUANTUM = Decimal("0.000001")  # the six decimals of quantities and costs

Key = tuple[uuid.UUID, uuid.UUID]  # (warehouse_id, variant_id)


@dataclass(frozen=True)
class StockLine:
    warehouse_id: uuid.UUID
    variant_id: uuid.UUID
    quantity: Decimal  # signed, in BASE units (+ in, - out)
    unit_cost: Decimal | None = None  # inbound cost per base unit; None = the row's current average cost


class InsufficientStock(APIException):
    """422: a document would take stock below zero. `details` has one entry per short row
    (variant, warehouse, available, requested); the message names the first."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "insufficient_stock"
    default_detail = "Not enough stock."

    def __init__(self, shortages: list[dict], *, path: str = "items"):
        self.shortages = shortages
        first = shortages[0]
        message = (
            f"Not enough stock of {first['variant_name']} ({first['variant']}) in {first['warehouse_name']} "
            f"({first['warehouse']}): available {_plain(first['available'])}, requested {_plain(first['requested'])}."
        )
        if len(shortages) > 1:
            message += f" And {len(shortages) - 1} more line(s) short."
        super().__init__(message, "insufficient_stock")
        self.details = [
            {
                "path": path,
                "message": (
                    f"Not enough stock of {s['variant_name']} in {s['warehouse_name']}: "
                    f"available {_plain(s['available'])}, requested {_plain(s['requested'])}."
                ),
                "code": "insufficient_stock",
                "variant": str(s["variant"]),
                "variant_name": s["variant_name"],
                "warehouse": str(s["warehouse"]),
                "warehouse_name": s["warehouse_name"],
                "available": float(s["available"]),
                "requested": float(s["requested"]),
            }
            for s in shortages
        ]
        # The first short row, for callers that rebuild their own message.
        self.variant_id, self.warehouse_id = first["variant"], first["warehouse"]
        self.available, self.requested = first["available"], first["requested"]


def _plain(value: Decimal) -> str:
    """A quantity without trailing zeros (12.000000 → 12)."""
    text = format(value.normalize(), "f")
    return text


def _q(value) -> Decimal:
    return Decimal(value).quantize(QUANTUM, rounding=ROUND_HALF_UP)


# Settings -----------------------------------------------------------------------------------------------
def allow_negative_stock(*, tenant: Tenant) -> bool:
    """The tenant's `allow_negative_stock` setting (seeded false; missing = false)."""
    value = Setting.objects.filter(tenant=tenant, key="allow_negative_stock").values_list("value", flat=True).first()
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


# Locking ------------------------------------------------------------------------------------------------
def _references(*, tenant: Tenant, keys: Iterable[Key], known: tuple[dict, dict] | None = None) -> tuple[dict, dict]:
    """The variants ({id: (name, product_id)}) and warehouses ({id: name}) of `keys`, all the
    tenant's: one that is not is a ValidationError naming `variant` or `warehouse`. `known`: the
    same two maps as the caller already read them from the tenant's rows; only the rest is read."""
    keys = list(keys)
    variant_ids = {v for _, v in keys}
    warehouse_ids = {w for w, _ in keys}
    known_variants, known_warehouses = known or ({}, {})
    variants = {pk: known_variants[pk] for pk in variant_ids if pk in known_variants}
    if len(variants) < len(variant_ids):
        rows = Variant.objects.filter(tenant=tenant, pk__in=variant_ids - set(variants))
        variants.update(
            (pk, (name, product_id)) for pk, name, product_id in rows.values_list("pk", "name", "product_id")
        )
    missing = sorted(str(pk) for pk in variant_ids if pk not in variants)
    if missing:
        raise ValidationError({"variant": [f"Not found: {', '.join(missing)}."]})
    warehouses = {pk: known_warehouses[pk] for pk in warehouse_ids if pk in known_warehouses}
    if len(warehouses) < len(warehouse_ids):
        rows = Warehouse.objects.filter(tenant=tenant, pk__in=warehouse_ids - set(warehouses))
        warehouses.update(rows.values_list("pk", "name"))
    missing = sorted(str(pk) for pk in warehouse_ids if pk not in warehouses)
    if missing:
        raise ValidationError({"warehouse": [f"Not found: {', '.join(missing)}."]})
    return variants, warehouses


def _lock_rows(*, tenant: Tenant, keys: set[Key], products: dict[uuid.UUID, uuid.UUID]) -> dict[Key, Inventory]:
    """The projection rows of `keys`, created when missing, locked in (warehouse, variant) order.
    `products` maps each variant to its product (for rows created here)."""
    if not keys:
        return {}
    ordered = sorted(keys)
    missing = [Inventory(tenant=tenant, warehouse_id=w, variant_id=v, product_id=products[v]) for w, v in ordered]
    connection = connections[router.db_for_write(Inventory)]
    if connection.vendor != "postgresql":
        Inventory.objects.bulk_create(missing, ignore_conflicts=True)
    by_warehouse: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for w, v in ordered:
        by_warehouse[w].append(v)
    where = Q()
    for w, variants in by_warehouse.items():
        where |= Q(warehouse_id=w, variant_id__in=variants)
    names = ("id", "tenant_id", "warehouse_id", "variant_id", "product_id", "quantity", "reserved_quantity", "cost")
    rows = Inventory.objects.select_for_update().filter(where, tenant=tenant).order_by("warehouse_id", "variant_id")
    if connection.vendor != "postgresql":
        return {(row.warehouse_id, row.variant_id): row for row in rows.only(*names)}
    # PostgreSQL: the missing rows' INSERT and the locking SELECT in one round trip (two statements,
    # run in this order: the SELECT sees and locks the rows just created).
    insert = sql.InsertQuery(Inventory, on_conflict=OnConflict.IGNORE)
    insert.insert_values(Inventory._meta.concrete_fields, missing)
    statements = [*insert.get_compiler(connection=connection).as_sql()]
    statements.append(rows.values_list(*names).query.get_compiler(connection=connection).as_sql())
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(connection.ops.compose_sql(text, params) for text, params in statements))
        cursor.nextset()
        found = [Inventory.from_db(connection.alias, names, values) for values in cursor.fetchall()]
    return {(row.warehouse_id, row.variant_id): row for row in found}


def _save_rows(rows: Iterable[Inventory], entries: Sequence[StockMovement] = ()) -> None:
    """Append `entries` (movements) and write the locked projection `rows` back. On PostgreSQL in
    one round trip: the movements' INSERT and one `UPDATE … FROM unnest(…)` of the rows (Django's
    bulk_update builds a CASE per column and row: more Python than the rest of the ledger)."""
    rows = list(rows)
    now = now_ms()
    for row in rows:
        row.updated_at = now
    connection = connections[router.db_for_write(Inventory)]
    if connection.vendor != "postgresql":
        if entries:
            StockMovement.objects.bulk_create(entries)
        if rows:
            Inventory.objects.bulk_update(rows, ["quantity", "reserved_quantity", "cost", "updated_at"])
        return
    statements = []
    if entries:
        query = sql.InsertQuery(StockMovement)
        query.insert_values(StockMovement._meta.concrete_fields, entries)
        statements += query.get_compiler(connection=connection).as_sql()
    if rows:
        columns = [[row.pk for row in rows], [row.quantity for row in rows]]
        columns += [[row.reserved_quantity for row in rows], [row.cost for row in rows]]
        statements.append((_UPDATE_ROWS.format(table=Inventory._meta.db_table), [now, *columns]))
    if statements:
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(connection.ops.compose_sql(text, params) for text, params in statements))
    for entry in entries:
        entry._state.adding, entry._state.db = False, connection.alias


_UPDATE_ROWS = (
    'UPDATE "{table}" AS i SET quantity = v.quantity, reserved_quantity = v.reserved_quantity, cost = v.cost, '
    "updated_at = %s FROM unnest(%s::uuid[], %s::numeric[], %s::numeric[], %s::numeric[]) "
    "AS v(id, quantity, reserved_quantity, cost) WHERE i.id = v.id"
)


def _merge(lines: Sequence[StockLine]) -> list[StockLine]:
    """Lines with a non-zero quantity, quantities rounded to six decimals, keys checked."""
    out = []
    for line in lines:
        if not isinstance(line.warehouse_id, uuid.UUID) or not isinstance(line.variant_id, uuid.UUID):
            raise ValidationError({"items": ["Each line needs a warehouse and a variant."]})
        quantity = _q(line.quantity)
        if quantity == 0:
            continue
        unit_cost = None if line.unit_cost is None else _q(line.unit_cost)
        if unit_cost is not None and unit_cost < 0:
            raise ValidationError({"unit_cost": ["Must not be negative."]})
        out.append(StockLine(line.warehouse_id, line.variant_id, quantity, unit_cost))
    return out


def _own_reservations(*, tenant, document_type: str, document_id, keys: Iterable[Key] | None = None) -> dict:
    """What (document_type, document_id) still holds reserved, per (warehouse, variant)."""
    qs = StockReservation.objects.filter(tenant=tenant, document_type=document_type, document_id=document_id)
    held = {}
    for w, v, total in qs.values_list("warehouse_id", "variant_id").annotate(total=Sum("quantity")).order_by():
        if total:
            held[(w, v)] = total
    if keys is not None:
        keys = set(keys)
        held = {k: q for k, q in held.items() if k in keys}
    return held


# Core steps (callers hold the locks) --------------------------------------------------------------------
def _apply_movements(
    *,
    tenant: Tenant,
    rows: dict[Key, Inventory],
    lines: list[StockLine],
    names: tuple[dict, dict],
    document_type: str,
    document_id: uuid.UUID,
    allow_negative: bool | None,
    covered: dict[Key, Decimal],
) -> list[StockMovement]:
    """The movements of `lines` (not written yet), `rows` (locked) updated. `covered`: per row, a
    reservation of this document that the check does not count against it."""
    variants, warehouses = names
    net: dict[Key, Decimal] = defaultdict(Decimal)
    movements = []
    for line in lines:
        key = (line.warehouse_id, line.variant_id)
        row = rows[key]
        net[key] += line.quantity
        unit_cost = row.cost if line.unit_cost is None else line.unit_cost
        if line.quantity > 0 and line.unit_cost is not None:
            base = max(row.quantity, ZERO)
            total = base + line.quantity
            row.cost = _q((base * row.cost + line.quantity * line.unit_cost) / total)
        row.quantity += line.quantity
        movements.append(
            StockMovement(
                tenant=tenant,
                warehouse_id=line.warehouse_id,
                variant_id=line.variant_id,
                product_id=variants[line.variant_id][1],
                quantity=line.quantity,
                unit_cost=unit_cost,
                document_type=document_type,
                document_id=document_id,
            )
        )
    shortages = []
    for key in sorted(net):
        if net[key] >= 0:
            continue
        row = rows[key]
        available = row.quantity - (row.reserved_quantity - covered.get(key, ZERO))
        if available < 0:
            shortages.append(
                {
                    "variant": key[1],
                    "variant_name": variants[key[1]][0],
                    "warehouse": key[0],
                    "warehouse_name": warehouses[key[0]],
                    "available": available - net[key],  # before this document
                    "requested": -net[key],
                }
            )
    if shortages:
        if allow_negative is None:
            allow_negative = allow_negative_stock(tenant=tenant)
        if not allow_negative:
            raise InsufficientStock(shortages)
    return movements  # written by the caller's _save_rows, with the rows


def _apply_release(*, tenant, rows: dict[Key, Inventory], held: dict[Key, Decimal], document_type, document_id):
    entries = []
    for key in sorted(held):
        quantity = held[key]
        rows[key].reserved_quantity -= quantity
        entries.append(
            StockReservation(
                tenant=tenant,
                warehouse_id=key[0],
                variant_id=key[1],
                quantity=-quantity,
                document_type=document_type,
                document_id=document_id,
            )
        )
    StockReservation.objects.bulk_create(entries)


def _products_of(variants: dict) -> dict:
    return {pk: product_id for pk, (_, product_id) in variants.items()}


def _products_of_keys(*, tenant, keys: Iterable[Key]) -> dict:
    variant_ids = {v for _, v in keys}
    return dict(Variant.objects.filter(tenant=tenant, pk__in=variant_ids).values_list("pk", "product_id"))


# The interface --------------------------------------------------------------------------------------------
@transaction.atomic
def post_movements(
    *,
    tenant: Tenant,
    lines: Sequence[StockLine],
    document_type: str,
    document_id: uuid.UUID,
    allow_negative: bool | None = None,
    use_reservation: bool = False,
    known: tuple[dict, dict] | None = None,
) -> list[StockMovement]:
    """Append one movement per non-zero line and update the projection rows (see the module doc).
    `use_reservation=True`: outbound quantities are covered by this document's own reservation
    (the check is against quantity − (reserved − this document's reservation)); the reservation
    itself is left as it is (`consume_reservation` releases and posts in one go).
    `known`: `({variant_id: (name, product_id)}, {warehouse_id: name})` of rows the caller has
    already read as the tenant's (an invoice resolved its items), so they are not read again."""
    lines = _merge(lines)
    if not lines:
        return []
    keys = {(line.warehouse_id, line.variant_id) for line in lines}
    variants, warehouses = _references(tenant=tenant, keys=keys, known=known)
    rows = _lock_rows(tenant=tenant, keys=keys, products=_products_of(variants))
    covered = {}
    if use_reservation:
        covered = _own_reservations(tenant=tenant, document_type=document_type, document_id=document_id, keys=keys)
    movements = _apply_movements(
        tenant=tenant,
        rows=rows,
        lines=lines,
        names=(variants, warehouses),
        document_type=document_type,
        document_id=document_id,
        allow_negative=allow_negative,
        covered=covered,
    )
    _save_rows((rows[key] for key in sorted(keys)), movements)
    return movements


@transaction.atomic
def reserve(*, tenant: Tenant, lines: Sequence[StockLine], document_type: str, document_id: uuid.UUID) -> None:
    """Reserve positive quantities for a document (a proforma): `reserved_quantity` += q. Refused
    (InsufficientStock) when a row's available quantity is less than asked, unless negative stock
    is allowed for the tenant."""
    lines = _merge(lines)
    for line in lines:
        if line.quantity < 0:
            raise ValidationError({"quantity": ["A reservation is a positive quantity."]})
    if not lines:
        return
    asked: dict[Key, Decimal] = defaultdict(Decimal)
    for line in lines:
        asked[(line.warehouse_id, line.variant_id)] += line.quantity
    variants, warehouses = _references(tenant=tenant, keys=asked)
    rows = _lock_rows(tenant=tenant, keys=set(asked), products=_products_of(variants))
    shortages = []
    for key in sorted(asked):
        row = rows[key]
        available = row.quantity - row.reserved_quantity
        if available < asked[key]:
            shortages.append(
                {
                    "variant": key[1],
                    "variant_name": variants[key[1]][0],
                    "warehouse": key[0],
                    "warehouse_name": warehouses[key[0]],
                    "available": available,
                    "requested": asked[key],
                }
            )
        row.reserved_quantity += asked[key]
    if shortages and not allow_negative_stock(tenant=tenant):
        raise InsufficientStock(shortages)
    StockReservation.objects.bulk_create(
        [
            StockReservation(
                tenant=tenant,
                warehouse_id=key[0],
                variant_id=key[1],
                quantity=asked[key],
                document_type=document_type,
                document_id=document_id,
            )
            for key in sorted(asked)
        ]
    )
    _save_rows(rows[key] for key in sorted(asked))


@transaction.atomic
def release(*, tenant: Tenant, document_type: str, document_id: uuid.UUID) -> None:
    """Release whatever the document still holds reserved. Idempotent: a second call finds nothing
    held and does nothing. The rows are locked before the held quantities are read, so two
    releases racing release once."""
    keys = set(_own_reservations(tenant=tenant, document_type=document_type, document_id=document_id))
    if not keys:
        return
    rows = _lock_rows(tenant=tenant, keys=keys, products=_products_of_keys(tenant=tenant, keys=keys))
    held = _own_reservations(tenant=tenant, document_type=document_type, document_id=document_id)
    _apply_release(tenant=tenant, rows=rows, held=held, document_type=document_type, document_id=document_id)
    _save_rows(rows[key] for key in sorted(held))


@transaction.atomic
def consume_reservation(
    *,
    tenant: Tenant,
    document_type: str,
    document_id: uuid.UUID,
    into_document_type: str,
    into_document_id: uuid.UUID,
    lines: Sequence[StockLine],
) -> list[StockMovement]:
    """Release the reservation of (document_type, document_id) and post `lines` (outbound) as the
    movements of (into_document_type, into_document_id), in one transaction, every row locked
    once in the fixed order. The released quantity is available to the new document's lines, so
    converting a proforma never fails for stock it had reserved."""
    lines = _merge(lines)
    reserved_keys = set(_own_reservations(tenant=tenant, document_type=document_type, document_id=document_id))
    line_keys = {(line.warehouse_id, line.variant_id) for line in lines}
    keys = reserved_keys | line_keys
    if not keys:
        return []
    variants, warehouses = _references(tenant=tenant, keys=keys)
    rows = _lock_rows(tenant=tenant, keys=keys, products=_products_of(variants))
    held = _own_reservations(tenant=tenant, document_type=document_type, document_id=document_id)
    _apply_release(tenant=tenant, rows=rows, held=held, document_type=document_type, document_id=document_id)
    movements = _apply_movements(
        tenant=tenant,
        rows=rows,
        lines=lines,
        names=(variants, warehouses),
        document_type=into_document_type,
        document_id=into_document_id,
        allow_negative=None,
        covered={},
    )
    _save_rows((rows[key] for key in sorted(keys)), movements)
    return movements


def movements_of(*, tenant: Tenant, document_type: str, document_id: uuid.UUID) -> QuerySet[StockMovement]:
    """The movements a document caused, oldest first."""
    return StockMovement.objects.filter(tenant=tenant, document_type=document_type, document_id=document_id).order_by(
        "id"
    )


def reserved_by(*, tenant: Tenant, document_type: str, document_id: uuid.UUID) -> dict[Key, Decimal]:
    """What a document still holds reserved, per (warehouse_id, variant_id)."""
    return _own_reservations(tenant=tenant, document_type=document_type, document_id=document_id)
