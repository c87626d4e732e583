"""Invoices, returns and voids: the one place they are issued and corrected.

`issue_invoice` is the single entry point that creates an invoice (the API, the admin, imports and
proforma conversions all come through it; the money side of the next issue hooks in there):

* a plain invoice: items resolved and priced (sales/services/invoice_lines.py), totals computed
  (invoice_maths.py); a client-sent `total` that disagrees is a 422; `serial` drawn from the
  (rep, warehouse) `sales` counter when absent (finance.services.serials.next_serial, in this
  transaction, so a refused invoice gives its number back), unique per tenant (409 naming the
  invoice that has it); stock taken out of the warehouse (the ledger's post_movements; 422
  `insufficient_stock` when short, unless the tenant's `allow_negative_stock`).
* a return (`returned_from`): the items go back into the warehouse, priced and taxed as on the
  invoice they come from (a line's unit defaults to the invoice line's, its discount to the
  invoice line's pro rata); per variant, no more than was sold minus what earlier returns took
  back (422). The invoice is locked first, so two returns racing are counted one after the other.
  Its serial comes from the `return` counter.
* a conversion (`proforma_reference`): the proforma is locked; only an `open` one converts (409
  otherwise: a second conversion). Items default to the proforma's lines at the proforma's prices;
  the reservation becomes the invoice's movements in one ledger call (consume_reservation).

Money (finance/services/invoice_money.py): the client's account is locked first, before any
document or inventory row; an invoice posts −total to the client ledger (422 past the client's
credit limits), a return +total, a void the reversal (409 when payments are allocated to it).

`dueDate`: taken as sent; when absent, the issue date plus the client's payment term (none when
the client has no term).

Changes after issue (`update_invoice`): `notes`, `integration_meta`, `dueDate` change freely;
the issued substance (items, totals, parties, serial, links, payment status) never does: a PUT that
sends a different value is a 409 naming the field (a void or a return is how an invoice is
corrected). `is_void: true` voids: the invoice's movements are reversed once (its row is locked
and the flag checked in the same transaction; a second void changes nothing). An invoice with
returns that are not void cannot be voided (409: void the returns first), and a void invoice
cannot be un-voided (409).

Locks: the client's account first, then the document rows (the proforma or the returned invoice),
then the ledger locks its inventory rows in (warehouse, variant) order: one order everywhere, so no
deadlock.
"""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from core.models.base import now_ms
from finance.services import invoice_money
from sales.models import Invoice, InvoiceItem, Proforma

from . import documents
from .invoice_lines import ItemInput, price_line, read_items, refuse, resolve_lines
from .invoice_maths import compute_totals, money, total_disagrees

STOCK_INVOICE = "invoice"
STOCK_RETURN = "return_invoice"
STOCK_VOID = "invoice_void"

# Fields an issued invoice keeps for ever (a PUT may repeat them, never change them).
FIXED = ("serial", "client", "rep", "warehouse", "total", "status", "returned_from", "proforma_reference")


# Issuing -------------------------------------------------------------------------------------------
@transaction.atomic
def issue_invoice(*, tenant, data: dict) -> Invoice:
    """Issue an invoice, a return or a proforma's conversion (see the module's docstring).
    `data` holds resolved references (`client`, `rep`, `warehouse`, `returned_from`,
    `proforma_reference`) and the raw `items` list of the body."""
    data = dict(data)
    status = data.pop("status", None)
    if status not in (None, Invoice.Status.UNPAID):
        raise ValidationError({"status": ["An invoice is issued unpaid; payments change its status."]})
    if data.get("returned_from") is not None and data.get("proforma_reference") is not None:
        raise ValidationError({"returned_from": ["A return cannot also convert a proforma."]})
    account = invoice_money.lock_client_of(tenant=tenant, owner=_owner_of_client(data))
    if data.get("due_date") is None and data.get("returned_from") is None:
        data["due_date"] = invoice_money.default_due_date(
            tenant=tenant, account=account, issued_at=data.get("issue_date")
        )
    if data.get("returned_from") is not None:
        invoice = _issue_return(tenant=tenant, data=data)
    elif data.get("proforma_reference") is not None:
        invoice = _convert_proforma(tenant=tenant, data=data)
    else:
        invoice = _issue_plain(tenant=tenant, data=data)
    invoice_money.invoice_issued(tenant=tenant, invoice=invoice, account=account)
    return invoice


def _owner_of_client(data: dict):
    """The row naming the client whose account the document moves: the returned invoice, else the
    sent client, else the converted proforma (a document's client never changes)."""
    if data.get("returned_from") is not None:
        return data["returned_from"]
    if data.get("client") is not None:
        return data["client"]
    return data.get("proforma_reference")


def _issue_plain(*, tenant, data: dict) -> Invoice:
    _require(data, "client", "warehouse")
    lines = resolve_lines(tenant=tenant, client=data["client"], items=read_items(data.get("items")))
    invoice = _save(tenant=tenant, data=data, lines=lines, kind=Invoice.Kind.INVOICE, counter="sales")
    documents.post_stock(
        tenant=tenant,
        lines=[(invoice.warehouse_id, line.variant.pk, -line.amounts.base_unit_qty) for line in lines],
        document_type=STOCK_INVOICE,
        document_id=invoice.pk,
        known=documents.known_of(lines, invoice.warehouse),
    )
    return invoice


def _require(data: dict, *names):
    missing = [name for name in names if data.get(name) is None]
    if missing:
        raise ValidationError({name: ["This field is required."] for name in missing})


def _save(*, tenant, data: dict, lines, kind: str, counter: str, extra: dict | None = None) -> Invoice:
    totals = compute_totals([line.amounts for line in lines])
    if total_disagrees(sent=data.get("total"), computed=totals.total):
        raise refuse("total", f"Sent {data['total']}, but the items total {totals.total}.", "total_mismatch")
    invoice = Invoice(
        tenant=tenant,
        kind=kind,
        client=data["client"],
        rep=data.get("rep"),
        warehouse=data["warehouse"],
        due_date=data.get("due_date"),
        notes=data.get("notes", ""),
        integration_meta=data.get("integration_meta") or {},
        subtotal=totals.subtotal,
        discount_amount=totals.discount_amount,
        tax_amount=totals.tax_amount,
        total=totals.total,
        **(extra or {}),
    )
    if data.get("issue_date") is not None:
        invoice.issue_date = data["issue_date"]
    documents.insert_document(
        tenant=tenant, document=invoice, serial=data.get("serial"), rep=data.get("rep"),
        warehouse=data["warehouse"], invoice_type=counter,
    )  # fmt: skip
    rows = InvoiceItem.objects.bulk_create([InvoiceItem(invoice=invoice, **line.columns()) for line in lines])
    documents.keep_lines(invoice, rows, lines)
    return invoice


# Returns -------------------------------------------------------------------------------------------
def returnable(*, invoice: Invoice) -> dict:
    """variant id -> base units sold on `invoice` and not yet returned (returns not void)."""
    left: dict = defaultdict(Decimal)
    for variant_id, qty in InvoiceItem.objects.filter(invoice=invoice).values_list("variant_id", "base_unit_qty"):
        left[variant_id] += qty
    returned = InvoiceItem.objects.filter(invoice__returned_from=invoice, invoice__is_void=False).values_list(
        "variant_id", "base_unit_qty"
    )
    for variant_id, qty in returned:
        left[variant_id] -= qty
    return dict(left)


def _issue_return(*, tenant, data: dict) -> Invoice:
    original = Invoice.objects.select_for_update().get(pk=data["returned_from"].pk)
    if original.tenant_id != tenant.pk:
        raise ValidationError({"returned_from": [f"Not found: {original.pk}."]})
    if original.kind != Invoice.Kind.INVOICE:
        raise ValidationError({"returned_from": ["A return is made from an invoice, not from another return."]})
    if original.is_void:
        raise Conflict(f"Invoice {original.serial} is void: nothing on it can be returned.")
    data.setdefault("client", None)
    if data["client"] is None:
        data["client"] = original.client
    elif data["client"].pk != original.client_id:
        raise ValidationError({"client": [f"A return is for the invoice's client ({original.client_id})."]})
    if data.get("warehouse") is None:
        data["warehouse"] = original.warehouse
    if data.get("rep") is None:
        data["rep"] = original.rep
    items = read_items(data.get("items"))
    sold = {}
    for line in original.lines.select_related("variant", "measure_unit", "product"):
        sold.setdefault(line.variant_id, line)  # the first line of a variant prices its returns
    left = returnable(invoice=original)
    asked: dict = defaultdict(Decimal)
    lines = []
    for item in items:
        source = sold.get(item.variant_id)
        if source is None:
            raise ValidationError({"items": {item.index: {"variant": [f"Not on invoice {original.serial}."]}}})
        unit = source.measure_unit
        if item.measureunit_id is not None and item.measureunit_id != (unit.pk if unit else None):
            from .invoice_lines import load_units

            unit = load_units(tenant=tenant, ids=[item.measureunit_id]).get(item.measureunit_id)
            if unit is None:
                raise ValidationError({"items": {item.index: {"measureunit": [f"Not found: {item.measureunit_id}."]}}})
        factor = unit.factor if unit is not None else Decimal(1)
        base = item.qty * factor
        asked[item.variant_id] += base
        if asked[item.variant_id] > left.get(item.variant_id, Decimal(0)):
            raise refuse(
                f"items[{item.index}].qty",
                f"Returns {asked[item.variant_id].normalize()} base units of variant {item.variant_id}, but only "
                f"{left.get(item.variant_id, Decimal(0)).normalize()} of the {source.base_unit_qty.normalize()} sold on "
                f"invoice {original.serial} are not returned yet.",
                "over_return",
            )
        if item.discount_value is None and source.discount_value:
            item.discount_value = money(source.discount_value * base / source.base_unit_qty)
        lines.append(
            price_line(
                item=item, variant=source.variant, unit=unit, listed_price=source.listed_price,
                tax_id=source.tax_id, tax_rate=source.tax_rate, tax_type=source.tax_type,
            )
        )  # fmt: skip
    _attach_reasons(tenant=tenant, items=items, lines=lines)
    invoice = _save(
        tenant=tenant, data=data, lines=lines, kind=Invoice.Kind.RETURN, counter="return",
        extra={"returned_from": original},
    )  # fmt: skip
    documents.post_stock(
        tenant=tenant,
        lines=[(invoice.warehouse_id, line.variant.pk, line.amounts.base_unit_qty) for line in lines],
        document_type=STOCK_RETURN,
        document_id=invoice.pk,
    )
    return invoice


def _attach_reasons(*, tenant, items: list[ItemInput], lines) -> None:
    from sales.models import ReturnReason

    ids = {i.return_reason_id for i in items if i.return_reason_id}
    if not ids:
        return
    found = {r.pk: r for r in ReturnReason.objects.filter(tenant=tenant, pk__in=ids)}
    for item, line in zip(items, lines, strict=True):
        if item.return_reason_id is not None:
            if item.return_reason_id not in found:
                raise ValidationError(
                    {"items": {item.index: {"return_reason": [f"Not found: {item.return_reason_id}."]}}}
                )
            line.return_reason = found[item.return_reason_id]


# Conversion of a proforma --------------------------------------------------------------------------
def _convert_proforma(*, tenant, data: dict) -> Invoice:
    proforma = Proforma.objects.select_for_update().get(pk=data["proforma_reference"].pk)
    if proforma.tenant_id != tenant.pk:
        raise ValidationError({"proforma_reference": [f"Not found: {proforma.pk}."]})
    if proforma.status != Proforma.Status.OPEN:
        raise Conflict(
            f"Proforma {proforma.serial} is {proforma.status}: only an open proforma converts into an invoice "
            "(requested: converted).",
            details=[{"path": "proforma_reference", "message": f"current state: {proforma.status}", "code": "state"}],
        )
    for name in ("client", "warehouse"):
        given = data.get(name)
        if given is None:
            data[name] = getattr(proforma, name)
        elif given.pk != getattr(proforma, f"{name}_id"):
            raise ValidationError({name: [f"The proforma's {name} is {getattr(proforma, f'{name}_id')}."]})
    if data.get("rep") is None:
        data["rep"] = proforma.rep
    if data.get("items") is None:
        lines = documents.lines_of(proforma)
    else:
        lines = resolve_lines(tenant=tenant, client=data["client"], items=read_items(data["items"]))
    invoice = _save(
        tenant=tenant, data=data, lines=lines, kind=Invoice.Kind.INVOICE, counter="sales",
        extra={"proforma_reference": proforma},
    )  # fmt: skip
    proforma.status = Proforma.Status.CONVERTED
    proforma.save(update_fields=["status"])
    documents.consume_reservation(
        tenant=tenant,
        proforma=proforma,
        invoice=invoice,
        lines=[(invoice.warehouse_id, line.variant.pk, -line.amounts.base_unit_qty) for line in lines],
        document_type=STOCK_INVOICE,
    )
    return invoice


# Changes after issue -------------------------------------------------------------------------------
@transaction.atomic
def update_invoice(*, invoice: Invoice, data: dict, current_items=None) -> Invoice:
    """Notes, integration_meta, dueDate; `is_void`; anything else must repeat the stored value
    (409 naming the field). `current_items`: the items as the API shows them, to compare a sent
    `items` with (an echo of the document is accepted)."""
    # Voiding moves the client's money: its account is locked before the invoice (one lock order).
    account = invoice_money.lock_client_of(tenant=invoice.tenant, owner=invoice) if data.get("is_void") else None
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    data = dict(data)
    if "items" in data and data.pop("items") != current_items:
        raise Conflict(
            "An invoice's items never change after issue: void it or issue a return.",
            details=[{"path": "items", "message": "cannot change after issue", "code": "immutable"}],
        )
    for name in FIXED:
        if name not in data:
            continue
        value = data.pop(name)
        stored = getattr(
            locked,
            f"{name}_id" if name in ("client", "rep", "warehouse", "returned_from", "proforma_reference") else name,
        )
        given = getattr(value, "pk", value)
        if name == "total":
            same = value is not None and not total_disagrees(sent=value, computed=locked.total)
        else:
            same = given == stored
        if not same:
            message = (
                "Payments change an invoice's status."
                if name == "status"
                else f"An invoice's {name} never changes after issue: void it or issue a return."
            )
            raise Conflict(message, details=[{"path": name, "message": message, "code": "immutable"}])
    void = data.pop("is_void", None)
    if void is False and locked.is_void:
        raise Conflict(
            "The invoice is void (current state: void, requested: not void); a void cannot be undone.",
            details=[{"path": "is_void", "message": "a void cannot be undone", "code": "state"}],
        )
    for name, value in data.items():
        setattr(locked, name, value)
    if void and not locked.is_void:
        _void(locked, account=account)
    locked.save()
    return locked


def _void(invoice: Invoice, *, account) -> None:
    open_returns = list(invoice.returns.filter(is_void=False).values_list("serial", flat=True)[:5])
    if open_returns:
        raise Conflict(
            f"Invoice {invoice.serial} has returns ({', '.join(open_returns)}): void them first "
            "(current state: issued with returns, requested: void).",
            details=[{"path": "is_void", "message": "void the returns first", "code": "state"}],
        )
    document_type = STOCK_RETURN if invoice.kind == Invoice.Kind.RETURN else STOCK_INVOICE
    documents.reverse_stock(
        tenant=invoice.tenant,
        document_type=document_type,
        document_id=invoice.pk,
        into_document_type=STOCK_VOID,
    )
    invoice.is_void = True
    invoice.voided_at = now_ms()
    invoice_money.invoice_voided(tenant=invoice.tenant, invoice=invoice, account=account)


@transaction.atomic
def void_invoice(*, invoice: Invoice) -> Invoice:
    """Void (the admin's action): reverses the stock once."""
    return update_invoice(invoice=invoice, data={"is_void": True})
