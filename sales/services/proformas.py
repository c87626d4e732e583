"""Proformas (quotes, sales orders): the invoice maths, no stock movement, a reservation.

* Create: items resolved and priced as an invoice's (frozen products refused, 422), a sent `total`
  that disagrees is a 422, `serial` from the (rep, warehouse) `proforma` counter when absent
  (unique per tenant, 409). The quantities are reserved in the warehouse (`reservedQuantity`; a
  422 `insufficient_stock` when not available, unless negative stock is allowed).
* States: `open` → `converted` (only through `POST /fullinvoices` with `proforma_reference`,
  sales/services/invoices.py) or `open` → `cancelled` (`PUT {"status": "cancelled"}`, which
  releases the reservation). `converted` and `cancelled` are terminal. Any other change of
  `status` is a 409 naming the current and the requested state (TRANSITIONS is the one table).
* Items, totals, parties and serial never change after create (409 naming the field); `notes`,
  `integration_meta` and `validUntil` do while the proforma is open.
"""

from django.db import transaction
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from sales.models import Proforma, ProformaItem

from . import documents
from .invoice_lines import read_items, refuse, resolve_lines
from .invoice_maths import compute_totals, total_disagrees

RESERVATION = "proforma"
OPEN, CONVERTED, CANCELLED = Proforma.Status.OPEN, Proforma.Status.CONVERTED, Proforma.Status.CANCELLED
# The allowed changes of `status` through an update (conversion is the invoice's POST).
TRANSITIONS = {OPEN: {CANCELLED}, CONVERTED: set(), CANCELLED: set()}
FIXED = ("serial", "client", "rep", "warehouse", "total")
REFERENCES = ("client", "rep", "warehouse")


@transaction.atomic
def create_proforma(*, tenant, data: dict) -> Proforma:
    data = dict(data)
    status = data.pop("status", None)
    if status not in (None, OPEN):
        raise ValidationError({"status": ["A proforma is created open."]})
    missing = [name for name in ("client", "warehouse") if data.get(name) is None]
    if missing:
        raise ValidationError({name: ["This field is required."] for name in missing})
    lines = resolve_lines(tenant=tenant, client=data["client"], items=read_items(data.get("items")))
    totals = compute_totals([line.amounts for line in lines])
    if total_disagrees(sent=data.get("total"), computed=totals.total):
        raise refuse("total", f"Sent {data['total']}, but the items total {totals.total}.", "total_mismatch")
    proforma = Proforma(
        tenant=tenant,
        client=data["client"],
        rep=data.get("rep"),
        warehouse=data["warehouse"],
        valid_until=data.get("valid_until"),
        notes=data.get("notes", ""),
        integration_meta=data.get("integration_meta") or {},
        subtotal=totals.subtotal,
        discount_amount=totals.discount_amount,
        tax_amount=totals.tax_amount,
        total=totals.total,
    )
    if data.get("id") is not None:  # an import keeps the file's id
        proforma.pk = data["id"]
    documents.insert_document(
        tenant=tenant, document=proforma, serial=data.get("serial"), rep=data.get("rep"),
        warehouse=data["warehouse"], invoice_type="proforma",
    )  # fmt: skip
    rows = []
    for line in lines:
        columns = line.columns()
        columns.pop("return_reason_id", None)
        rows.append(ProformaItem(proforma=proforma, **columns))
    rows = ProformaItem.objects.bulk_create(rows)
    documents.keep_lines(proforma, rows, lines)
    documents.reserve(
        tenant=tenant,
        lines=[(proforma.warehouse_id, line.variant.pk, line.amounts.base_unit_qty) for line in lines],
        document_type=RESERVATION,
        document_id=proforma.pk,
    )
    return proforma


def _state_conflict(current: str, requested: str) -> Conflict:
    if requested == CONVERTED and current == OPEN:
        hint = " Convert it with POST /v1/fullinvoices and proforma_reference."
    else:
        hint = ""
    message = f"A proforma cannot go from {current} to {requested}.{hint}"
    return Conflict(
        message,
        details=[{"path": "status", "message": message, "code": "state", "current": current, "requested": requested}],
    )


@transaction.atomic
def update_proforma(*, proforma: Proforma, data: dict, current_items=None) -> Proforma:
    locked = Proforma.objects.select_for_update().get(pk=proforma.pk)
    data = dict(data)
    if "items" in data and data.pop("items") != current_items:
        message = "A proforma's items never change: cancel it and create another."
        raise Conflict(message, details=[{"path": "items", "message": message, "code": "immutable"}])
    for name in FIXED:
        if name not in data:
            continue
        value = data.pop(name)
        if name == "total":
            same = value is not None and not total_disagrees(sent=value, computed=locked.total)
        else:
            stored = getattr(locked, f"{name}_id" if name in REFERENCES else name)
            same = getattr(value, "pk", value) == stored
        if not same:
            message = f"A proforma's {name} never changes: cancel it and create another."
            raise Conflict(message, details=[{"path": name, "message": message, "code": "immutable"}])
    requested = data.pop("status", None)
    if requested is not None and requested != locked.status:
        if requested not in TRANSITIONS.get(locked.status, set()):
            raise _state_conflict(locked.status, requested)
    elif data and locked.status != OPEN:
        changed = [name for name, value in data.items() if getattr(locked, name) != value]
        if changed:
            raise _state_conflict(locked.status, locked.status)
    for name, value in data.items():
        setattr(locked, name, value)
    if requested == CANCELLED and locked.status == OPEN:
        locked.status = CANCELLED
        documents.release(tenant=locked.tenant, document_type=RESERVATION, document_id=locked.pk)
    locked.save()
    return locked


def cancel_proforma(*, proforma: Proforma) -> Proforma:
    """The admin's cancel action."""
    return update_proforma(proforma=proforma, data={"status": CANCELLED})
