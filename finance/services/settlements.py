"""Settlements (`/settlement`) and account adjustments (`/adjust-account`).

Settlement: matches open invoices of one client with the unconsumed remainders of its payments.
* `client` is the tenant's; every invoice and payment is that client's (422 naming the item);
  each invoice amount > 0 and ≤ its open balance, each payment amount > 0 and ≤ its remainder
  (an invoice or payment listed twice counts both times); Σ of the invoice side = Σ of the payment
  side = `totalAmount` (422 naming the side otherwise).
* Applied as PaymentAllocation rows (`settlement` set): the invoices' paid/balance/status and the
  payments' consumption move; the client's balance does not (the payments were credited when made).
* `status=completed`, `settlementDate=now`; immutable (no update or delete).
Locks: the client's account, then the invoices (id order), then the payments (id order).

Adjustment: `type` credit (+amount) or debit (−amount), `amount > 0`; `previousBalance` and
`newBalance` are the client's balance before and after, read under the account's lock; immutable.
"""

from decimal import Decimal

from django.db import transaction
from rest_framework.exceptions import ValidationError

from core.ids import parse_uuid
from core.models.base import now_ms
from finance.models import AccountAdjustment, Payment, Settlement

from . import client_ledger
from .payments import ZERO, _money, _resolve, _when, allocate, lock_invoices, payment_state, unprocessable


def _side(items, *, name: str, key: str) -> list[tuple[int, object, Decimal]]:
    if not isinstance(items, list) or not items:
        raise ValidationError({name: [f'A non-empty list of {{"{key}": id, "amount": n}} is required.']})
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError({name: {index: [f'An object {{"{key}": id, "amount": n}} is required.']}})
        raw = item.get(key)
        raw = getattr(raw, "pk", raw)
        pk = parse_uuid(str(raw)) if raw not in (None, "") else None
        if pk is None:
            message = "This field is required." if raw in (None, "") else f"Not found: {raw}."
            raise ValidationError({name: {index: {key: [message]}}})
        if item.get("amount") is None:
            raise ValidationError({name: {index: {"amount": ["This field is required."]}}})
        out.append((index, pk, _money(item.get("amount"), f"{name}[{index}].amount")))
    return out


@transaction.atomic
def create_settlement(*, tenant, data: dict) -> Settlement:
    client = _resolve(
        tenant=tenant, model_label="clients.Client", value=data.get("client"), path="client", required=True
    )
    rep = _resolve(tenant=tenant, model_label="sales.Rep", value=data.get("rep"), path="rep", required=False)
    invoice_side = _side(data.get("invoices"), name="invoices", key="invoice")
    payment_side = _side(data.get("payments"), name="payments", key="payment")
    client_ledger.lock_account(tenant=tenant, client_id=client.pk)
    invoices = lock_invoices(tenant=tenant, ids=[pk for _, pk, _ in invoice_side])
    payments = {
        p.pk: p
        for p in Payment.objects.select_for_update()
        .filter(tenant=tenant, pk__in={pk for _, pk, _ in payment_side})
        .order_by("id")
    }
    left = {pk: s["balance"] for pk, s in payment_state(tenant=tenant, invoices=list(invoices.values())).items()}
    invoice_shares = []
    for index, pk, amount in invoice_side:
        invoice, path = invoices.get(pk), f"invoices[{index}].invoice"
        if invoice is None:
            raise ValidationError({"invoices": {index: {"invoice": [f"Not found: {pk}."]}}})
        if invoice.client_id != client.pk:
            raise unprocessable(path, f"Invoice {invoice.serial} belongs to another client.", "other_client")
        if invoice.is_void or invoice.kind != "invoice":
            raise unprocessable(
                path, f"Invoice {invoice.serial} is void or a return: nothing is owed on it.", "not_open"
            )
        if amount > left[pk]:
            raise unprocessable(
                f"invoices[{index}].amount",
                f"{amount} exceeds the open balance of invoice {invoice.serial} ({left[pk]}).",
                "over_allocation",
            )
        left[pk] -= amount
        invoice_shares.append([invoice, amount])
    remainders = {pk: p.remainder for pk, p in payments.items()}
    payment_shares = []
    for index, pk, amount in payment_side:
        payment, path = payments.get(pk), f"payments[{index}].payment"
        if payment is None:
            raise ValidationError({"payments": {index: {"payment": [f"Not found: {pk}."]}}})
        if payment.client_id != client.pk:
            raise unprocessable(path, f"Payment {payment.pk} belongs to another client.", "other_client")
        if amount > remainders[pk]:
            raise unprocessable(
                f"payments[{index}].amount",
                f"{amount} exceeds the unallocated remainder of payment {payment.pk} ({remainders[pk]}).",
                "over_allocation",
            )
        remainders[pk] -= amount
        payment_shares.append([payment, amount])
    total_invoices = sum((a for _, a in invoice_shares), ZERO)
    total_payments = sum((a for _, a in payment_shares), ZERO)
    if total_invoices != total_payments:
        raise unprocessable(
            "payments",
            f"The invoice side totals {total_invoices} but the payment side {total_payments}: both must be equal.",
            "unbalanced",
        )
    settlement = Settlement(
        tenant=tenant, client=client, rep=rep, total_amount=total_invoices, notes=str(data.get("notes") or ""),
        integration_meta=data.get("integration_meta") or {}, settlement_date=now_ms(),
        status=Settlement.Status.COMPLETED,
    )  # fmt: skip
    if data.get("id"):
        settlement.id = data["id"]  # an import keeps its row's id
    settlement.save()
    # Pair the two sides in the order given: each payment share pays the invoice shares in turn.
    pairs: dict = {}
    i = 0
    for payment, amount in payment_shares:
        while amount > 0:
            invoice_share = invoice_shares[i]
            take = min(amount, invoice_share[1])
            pairs.setdefault(payment.pk, []).append((invoice_share[0], take))
            amount -= take
            invoice_share[1] -= take
            if invoice_share[1] == 0:
                i += 1
    for pk, shares in pairs.items():
        merged: dict = {}
        for invoice, take in shares:
            merged[invoice.pk] = (invoice, merged.get(invoice.pk, (invoice, ZERO))[1] + take)
        allocate(tenant=tenant, payment=payments[pk], shares=list(merged.values()), settlement=settlement)
    return settlement


def settlement_sides(settlement) -> tuple[list[dict], list[dict]]:
    """(invoices[], payments[]) of a settlement from its allocations (prefetched or read)."""
    invoices: dict = {}
    payments: dict = {}
    for row in settlement.allocations.all():
        invoices[row.invoice_id] = invoices.get(row.invoice_id, ZERO) + row.amount
        payments[row.payment_id] = payments.get(row.payment_id, ZERO) + row.amount
    return (
        [{"invoice": str(pk), "amount": float(a)} for pk, a in invoices.items()],
        [{"payment": str(pk), "amount": float(a)} for pk, a in payments.items()],
    )


# Adjustments ---------------------------------------------------------------------------------------
@transaction.atomic
def adjust_account(*, tenant, data: dict) -> AccountAdjustment:
    client = _resolve(
        tenant=tenant, model_label="clients.Client", value=data.get("client"), path="client", required=True
    )
    rep = _resolve(tenant=tenant, model_label="sales.Rep", value=data.get("rep"), path="rep", required=False)
    kind = data.get("type")
    if kind not in AccountAdjustment.Type.values:
        raise ValidationError({"type": ['Must be "credit" or "debit".']})
    if data.get("amount") in (None, ""):
        raise ValidationError({"amount": ["This field is required."]})
    amount = _money(data["amount"], "amount")
    reason = str(data.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": ["This field is required."]})
    when = _when(data.get("adjustment_date") or data.get("adjustmentDate"), "adjustmentDate")
    account = client_ledger.lock_account(tenant=tenant, client_id=client.pk)
    previous = account.balance
    adjustment = AccountAdjustment(
        tenant=tenant, client=client, rep=rep, type=kind, amount=amount, reason=reason[:500],
        reference=str(data.get("reference") or "")[:200], description=str(data.get("description") or ""),
        adjustment_date=when, previous_balance=previous,
        new_balance=previous + amount if kind == "credit" else previous - amount,
        integration_meta=data.get("integration_meta") or {},
    )  # fmt: skip
    if data.get("id"):
        adjustment.id = data["id"]  # an import keeps its row's id
    adjustment.save()
    client_ledger.post_on_locked(
        account=account,
        amount=amount if kind == "credit" else -amount,
        document_type=client_ledger.ADJUST_ACCOUNT,
        document_id=adjustment.pk,
        occurred_at=when,
    )
    assert account.balance == adjustment.new_balance
    return adjustment
