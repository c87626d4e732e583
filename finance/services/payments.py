"""Payments and what they pay: allocations to invoices, invoice payment state, payment consumption.

* `create_payment`: `amount > 0`; the client (and rep) are the tenant's; the payment is allocated
  to the invoices the body names (`invoices: [{"invoice", "amount"}]`, each ≤ the invoice's open
  balance, Σ ≤ the payment) or else to the client's open invoices oldest first; what is left is
  unconsumed credit (`remainder`) until a settlement matches it. The client's ledger gets
  `+amount` (document type `payment`) in the same transaction.
* An invoice's `paid` = Σ of its allocations (payments and settlements); its `open balance` =
  total − paid − Σ of its returns that are not void, never below 0 (0 for a void invoice or a
  return). Its `status`: unpaid (nothing paid), paid (nothing left once returns are counted),
  partially_paid otherwise; kept on the invoice row by the writers that change it.
* Locks: the client's account first (finance.services.client_ledger), then the invoice rows (in id
  order, or oldest first when paying the oldest: the account lock already orders the writers),
  then the payment rows in id order.
"""

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict, Unprocessable
from core.ids import parse_uuid
from core.models.base import now_ms
from finance.models import Payment, PaymentAllocation

from . import client_ledger

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UNPAID, PARTIALLY_PAID, PAID = "unpaid", "partially_paid", "paid"


def _invoice_model():
    return apps.get_model("sales", "Invoice")


def unprocessable(path: str, message: str, code: str = "unprocessable") -> Unprocessable:
    error = Unprocessable(f"{path}: {message}" if path else message)
    error.details = [{"path": path, "message": message, "code": code}]
    return error


# Reading -------------------------------------------------------------------------------------------
def paid_by_invoice(*, tenant, invoice_ids) -> dict[uuid.UUID, Decimal]:
    ids = list(invoice_ids)
    if not ids:
        return {}
    rows = (
        PaymentAllocation.objects.filter(tenant=tenant, invoice_id__in=ids)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return dict(rows)


def returned_by_invoice(*, tenant, invoice_ids) -> dict[uuid.UUID, Decimal]:
    ids = list(invoice_ids)
    if not ids:
        return {}
    rows = (
        _invoice_model()
        .objects.filter(tenant=tenant, returned_from_id__in=ids, is_void=False)
        .values_list("returned_from_id")
        .annotate(total=Sum("total"))
        .order_by()
    )
    return dict(rows)


def open_balance_of(invoice, *, paid: Decimal, returned: Decimal) -> Decimal:
    if invoice.is_void or invoice.kind != "invoice":
        return ZERO
    return max(ZERO, invoice.total - paid - returned)


def status_of(invoice, *, paid: Decimal, returned: Decimal) -> str:
    if paid <= 0:
        return UNPAID
    return PAID if paid >= invoice.total - returned else PARTIALLY_PAID


def payment_state(*, tenant, invoices) -> dict[uuid.UUID, dict]:
    """invoice id -> {"invoice_value", "paid", "balance", "returned", "status"} for `invoices`
    (two queries whatever their number)."""
    invoices = list(invoices)
    ids = [i.pk for i in invoices]
    paid = paid_by_invoice(tenant=tenant, invoice_ids=ids)
    returned = returned_by_invoice(tenant=tenant, invoice_ids=ids)
    out = {}
    for invoice in invoices:
        p, r = paid.get(invoice.pk, ZERO), returned.get(invoice.pk, ZERO)
        out[invoice.pk] = {
            "invoice_value": invoice.total,
            "paid": p,
            "balance": open_balance_of(invoice, paid=p, returned=r),
            "returned": r,
            "status": status_of(invoice, paid=p, returned=r),
        }
    return out


def _load_invoice(*, tenant, invoice_id):
    pk = getattr(invoice_id, "pk", None) or parse_uuid(str(invoice_id))
    invoice = _invoice_model().objects.filter(tenant=tenant, pk=pk).first() if pk else None
    if invoice is None:
        raise ValidationError({"invoice": [f"Not found: {invoice_id}."]})
    return invoice


def invoice_paid(*, tenant, invoice_id) -> Decimal:
    """Σ of the allocations (payments and settlements) on the invoice."""
    invoice = _load_invoice(tenant=tenant, invoice_id=invoice_id)
    return paid_by_invoice(tenant=tenant, invoice_ids=[invoice.pk]).get(invoice.pk, ZERO)


def invoice_open_balance(*, tenant, invoice_id) -> Decimal:
    """What is still owed on the invoice: total − paid − returns, never below 0 (0 when void)."""
    invoice = _load_invoice(tenant=tenant, invoice_id=invoice_id)
    return payment_state(tenant=tenant, invoices=[invoice])[invoice.pk]["balance"]


def client_outstanding(*, tenant, client_id) -> Decimal:
    """Σ of the open balances of the client's invoices (credit control)."""
    invoices = list(
        _invoice_model()
        .objects.filter(tenant=tenant, client_id=client_id, kind="invoice", is_void=False)
        .exclude(status=PAID)
        .only("id", "total", "kind", "is_void")
    )
    state = payment_state(tenant=tenant, invoices=invoices)
    return sum((s["balance"] for s in state.values()), ZERO)


# Writing -------------------------------------------------------------------------------------------
def lock_invoices(*, tenant, ids) -> dict:
    rows = _invoice_model().objects.select_for_update().filter(tenant=tenant, pk__in=set(ids)).order_by("id")
    return {row.pk: row for row in rows}


def allocate(*, tenant, payment: Payment, shares: list[tuple], settlement=None) -> list[PaymentAllocation]:
    """Record `shares` [(invoice, amount)] of `payment` (the client account, the invoices and the
    payment are locked by the caller, amounts checked); moves `allocated` and the invoices' status."""
    shares = [(invoice, amount) for invoice, amount in shares if amount > 0]
    if not shares:
        return []
    payment.allocated += sum((amount for _, amount in shares), ZERO)
    if payment._state.adding:
        payment.save()
    else:
        payment.save(update_fields=["allocated"])
    rows = PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(tenant=tenant, payment=payment, invoice=invoice, amount=amount, settlement=settlement)
            for invoice, amount in shares
        ]
    )
    for row in rows:
        row._state.adding = False
    refresh_status(tenant=tenant, invoices=[invoice for invoice, _ in shares])
    return rows


def refresh_status(*, tenant, invoices) -> None:
    """Store each (locked) invoice's payment status when it changed."""
    state = payment_state(tenant=tenant, invoices=invoices)
    for invoice in invoices:
        status = state[invoice.pk]["status"]
        if invoice.status != status:
            invoice.status = status
            invoice.save(update_fields=["status"])


def _money(value, path: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({path: ["A valid number is required."]}) from None
    if not amount.is_finite():
        raise ValidationError({path: ["A valid number is required."]})
    if amount != amount.quantize(CENT):
        raise ValidationError({path: ["At most 2 decimal places."]})
    if amount <= 0:
        raise ValidationError({path: ["Must be greater than 0."]})
    if amount >= Decimal("1e12"):
        raise ValidationError({path: ["Too large."]})
    return amount.quantize(CENT)


def _when(value, path: str) -> dt.datetime:
    if value in (None, ""):
        return now_ms()
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, dt.date):
        return timezone.make_aware(dt.datetime.combine(value, dt.time.min))
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = dt.datetime.combine(day, dt.time.min)
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    raise ValidationError({path: ["A valid date-time is required."]})


def _resolve(*, tenant, model_label: str, value, path: str, required: bool):
    if value in (None, ""):
        if required:
            raise ValidationError({path: ["This field is required."]})
        return None
    model = apps.get_model(*model_label.split("."))
    if isinstance(value, model):
        if value.tenant_id != tenant.pk:
            raise ValidationError({path: [f"Not found: {value.pk}."]})
        return value
    pk = parse_uuid(str(value))
    row = model.objects.filter(tenant=tenant, pk=pk).first() if pk else None
    if row is None:
        raise ValidationError({path: [f"Not found: {value}."]})
    return row


def _named_shares(*, tenant, client, items, amount: Decimal) -> list[tuple]:
    """The body's `invoices` as [(locked invoice, amount)], every rule checked (422 naming the item)."""
    if not isinstance(items, list):
        raise ValidationError({"invoices": ['A list of {"invoice": id, "amount": n} is required.']})
    wanted = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError({"invoices": {index: ['An object {"invoice": id, "amount": n} is required.']}})
        raw = item.get("invoice")
        pk = getattr(raw, "pk", None) or (parse_uuid(str(raw)) if raw not in (None, "") else None)
        if pk is None:
            message = "This field is required." if raw in (None, "") else f"Not found: {raw}."
            raise ValidationError({"invoices": {index: {"invoice": [message]}}})
        wanted.append((index, pk, _money(item.get("amount"), f"invoices[{index}].amount")))
    locked = lock_invoices(tenant=tenant, ids=[pk for _, pk, _ in wanted])
    state = payment_state(tenant=tenant, invoices=list(locked.values()))
    left = {pk: s["balance"] for pk, s in state.items()}
    shares, total = [], ZERO
    for index, pk, share in wanted:
        invoice = locked.get(pk)
        path = f"invoices[{index}].invoice"
        if invoice is None:
            raise ValidationError({"invoices": {index: {"invoice": [f"Not found: {pk}."]}}})
        if invoice.client_id != client.pk:
            raise unprocessable(path, f"Invoice {invoice.serial} belongs to another client.", "other_client")
        if invoice.is_void or invoice.kind != "invoice":
            raise unprocessable(path, f"Invoice {invoice.serial} is void or a return: it takes no payment.", "not_open")
        if share > left[pk]:
            raise unprocessable(
                f"invoices[{index}].amount",
                f"{share} exceeds the open balance of invoice {invoice.serial} ({left[pk]}).",
                "over_allocation",
            )
        left[pk] -= share
        total += share
        shares.append((invoice, share))
    if total > amount:
        raise unprocessable("invoices", f"The invoices take {total}, more than the payment's amount {amount}.")
    return shares


OLDEST_FIRST_CHUNK = 20


def _oldest_first(*, tenant, client, amount: Decimal) -> list[tuple]:
    """The client's open invoices, oldest first, locked a few at a time until `amount` is used up
    (a payment locks the invoices it pays, not every open one). Safe in date order: every writer
    of a client's invoices holds the client's account lock first, so they never meet halfway."""
    Invoice = _invoice_model()
    open_ones = (
        Invoice.objects.filter(tenant=tenant, client=client, kind="invoice", is_void=False)
        .exclude(status=PAID)
        .order_by("issue_date", "id")
        .select_for_update()
    )
    shares, left, seen = [], amount, 0
    while left > 0:
        batch = list(open_ones[seen : seen + OLDEST_FIRST_CHUNK])
        state = payment_state(tenant=tenant, invoices=batch)
        for invoice in batch:
            share = min(left, state[invoice.pk]["balance"])
            if share > 0:
                shares.append((invoice, share))
                left -= share
            if left <= 0:
                break
        seen += len(batch)
        if len(batch) < OLDEST_FIRST_CHUNK:
            break
    return shares


def _get(data: dict, *names):
    for name in names:
        if name in data:
            return data[name]
    return None


@transaction.atomic
def create_payment(*, tenant, data: dict) -> Payment:
    """Record a payment, allocate it, credit the client's ledger (see the module's docstring).
    `data`: client, rep (instances or ids), amount, paymentMethod, reference, description, date,
    optional invoices [{"invoice", "amount"}], integration_meta."""
    client = _resolve(
        tenant=tenant, model_label="clients.Client", value=data.get("client"), path="client", required=True
    )
    rep = _resolve(tenant=tenant, model_label="sales.Rep", value=data.get("rep"), path="rep", required=False)
    if data.get("amount") in (None, ""):
        raise ValidationError({"amount": ["This field is required."]})
    amount = _money(data["amount"], "amount")
    when = _when(data.get("date"), "date")
    payment = Payment(
        tenant=tenant,
        client=client,
        rep=rep,
        amount=amount,
        payment_method=str(_get(data, "paymentMethod", "payment_method") or "")[:50],
        reference=str(data.get("reference") or "")[:200],
        description=str(data.get("description") or ""),
        date=when,
        integration_meta=data.get("integration_meta") or {},
    )
    if data.get("id"):
        payment.id = data["id"]
    account = client_ledger.lock_account(tenant=tenant, client_id=client.pk)
    named = data.get("invoices")
    if named is not None:
        shares = _named_shares(tenant=tenant, client=client, items=named, amount=amount)
    else:
        shares = _oldest_first(tenant=tenant, client=client, amount=amount)
    allocate(tenant=tenant, payment=payment, shares=shares)
    if payment._state.adding:
        payment.save()
    client_ledger.post_on_locked(
        account=account, amount=amount, document_type=client_ledger.PAYMENT, document_id=payment.pk, occurred_at=when
    )
    return payment


def consumption(payment: Payment) -> dict:
    return {"status": payment.consumption_status, "remainder": payment.remainder}


def allocations_by_invoice(*, tenant, invoice_ids) -> dict[uuid.UUID, list[PaymentAllocation]]:
    out = defaultdict(list)
    rows = PaymentAllocation.objects.filter(tenant=tenant, invoice_id__in=list(invoice_ids)).order_by(
        "created_at", "id"
    )
    for row in rows:
        out[row.invoice_id].append(row)
    return out


# Changes after creation ----------------------------------------------------------------------------
MONEY_FIELDS = ("client", "amount", "date")  # what moves the ledger
FREE_FIELDS = ("rep", "payment_method", "reference", "description", "integration_meta")


def _same(name: str, payment: Payment, value) -> bool:
    if name == "client":
        return getattr(value, "pk", value) == payment.client_id
    if name == "amount":
        return Decimal(str(value)) == payment.amount
    return _when(value, name) == payment.date


@transaction.atomic
def update_payment(*, payment: Payment, data: dict, current_allocations=None) -> Payment:
    """`rep`, `paymentMethod`, `reference`, `description`, `integration_meta` change freely.
    `client`, `amount` and `date` change only while nothing is allocated (409 once it is): the
    old entry is reversed and the new one posted (both clients' accounts locked in id order).
    `invoices` may only repeat the allocations made (`current_allocations`, as the API shows them)."""
    tenant = payment.tenant
    data = dict(data)
    if "paymentMethod" in data:
        data["payment_method"] = data.pop("paymentMethod")
    invoices = data.pop("invoices", None)
    new_client = data.get("client", payment.client)
    if "client" in data:
        new_client = _resolve(
            tenant=tenant, model_label="clients.Client", value=data["client"], path="client", required=True
        )
    accounts = client_ledger.lock_accounts(tenant=tenant, client_ids={payment.client_id, new_client.pk})
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if (
        invoices is not None
        and current_allocations is not None
        and not _same_allocations(invoices, current_allocations)
    ):
        message = "A payment's allocations never change: a settlement matches its remainder with invoices."
        raise Conflict(message, details=[{"path": "invoices", "message": message, "code": "immutable"}])
    changed = [name for name in MONEY_FIELDS if name in data and not _same(name, locked, data[name])]
    if changed and locked.allocated > 0:
        name = {"date": "date"}.get(changed[0], changed[0])
        message = (
            f"The payment's {name} cannot change: {locked.allocated} of it is allocated to invoices "
            "(record a new payment or a refund instead)."
        )
        raise Conflict(message, details=[{"path": name, "message": message, "code": "allocated"}])
    if changed:
        amount = _money(data["amount"], "amount") if "amount" in data else locked.amount
        when = _when(data["date"], "date") if "date" in data else locked.date
        client_ledger.post_on_locked(
            account=accounts[locked.client_id], amount=-locked.amount, document_type=client_ledger.PAYMENT,
            document_id=locked.pk, occurred_at=locked.date,
        )  # fmt: skip
        client_ledger.post_on_locked(
            account=accounts[new_client.pk], amount=amount, document_type=client_ledger.PAYMENT,
            document_id=locked.pk, occurred_at=when,
        )  # fmt: skip
        locked.client, locked.amount, locked.date = new_client, amount, when
    if "rep" in data:
        locked.rep = _resolve(tenant=tenant, model_label="sales.Rep", value=data["rep"], path="rep", required=False)
    for name in ("payment_method", "reference", "description"):
        if name in data:
            setattr(locked, name, str(data[name] or ""))
    if "integration_meta" in data:
        locked.integration_meta = data["integration_meta"] or {}
    locked.save()
    return locked


def _same_allocations(sent, current) -> bool:
    def key(items):
        try:
            return sorted((str(i.get("invoice")), Decimal(str(i.get("amount")))) for i in items)
        except (AttributeError, InvalidOperation, TypeError):
            return None

    return isinstance(sent, list) and key(sent) == key(current)


def payments_data(invoice) -> dict:
    """`paymentsData` of an invoice, from its allocations and returns (prefetched by the invoice
    list: `allocations`, and `returns` not void) or read when they are not."""
    rows = list(invoice.allocations.all())
    returned = sum((r.total for r in invoice.returns.all() if not r.is_void), ZERO)
    paid = sum((row.amount for row in rows), ZERO)
    return {
        "invoice_value": float(invoice.total),
        "paid": float(paid),
        "balance": float(open_balance_of(invoice, paid=paid, returned=returned)),
        "payments": [
            {
                "payment": str(row.payment_id),
                "amount": float(row.amount),
                "settlement": str(row.settlement_id) if row.settlement_id else None,
                "date": row.created_at,
            }
            for row in rows
        ],
    }
