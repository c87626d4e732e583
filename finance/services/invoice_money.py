"""The money side of invoices (called by sales/services/invoices.py, in its transaction):

* `lock_client_of`: the client's account is locked FIRST, before any invoice or inventory row,
  so every writer of a client's money (invoices, returns, voids, payments, settlements,
  adjustments) runs one after the other for that client, and the credit check below cannot be
  passed by concurrent writers.
* `invoice_issued`: an invoice posts −total to the client ledger (document type `invoice`), a
  return +total (`return_invoice`) and refreshes its invoice's payment status. Credit control for
  a credit client (`payment_type=credit`): the invoice's total plus the client's outstanding (Σ of
  the open balances of its invoices) may not exceed `invoice_balance_limit` (when
  `enable_invoice_balance_limit`) nor `credit_limit` (when above zero): 422 naming the limit and
  the amounts.
* `invoice_voided`: posts the reversal of what the document posted (`void_invoice`), once (the
  caller holds the invoice's lock and checks its `is_void` flag). An invoice with payments
  allocated cannot be voided (409): its payments would be left pointing at nothing.
* `default_due_date`: the issue date plus the client's payment term (finance.services.terms).
"""

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.db.models import Sum
from django.utils import timezone

from core.api.exceptions import Conflict
from finance.models import ClientLedgerEntry, PaymentAllocation

from . import client_ledger, payments
from .payments import ZERO, unprocessable
from .terms import due_date_for

CLIENT_FIELDS = (
    "tenant", "payment_term", "payment_type", "credit_limit", "invoice_balance_limit", "enable_invoice_balance_limit",
)  # fmt: skip


def lock_client_of(*, tenant, owner):
    """Lock the account of a client (`owner` is the Client, or a document naming it), reading the
    client's terms in the same statement. None when there is none, or `owner` is another
    tenant's (the issuing's validation answers)."""
    if owner is None or getattr(owner, "tenant_id", None) != tenant.pk:
        return None
    client_id = owner.client_id if hasattr(owner, "client_id") else owner.pk
    return client_ledger.lock_account(tenant=tenant, client_id=client_id, client_fields=CLIENT_FIELDS)


def default_due_date(*, tenant, account, issued_at) -> dt.datetime | None:
    """The issue date plus the client's payment term (None without a term)."""
    if account is None or not account.client.payment_term:
        return None
    issued_at = issued_at or timezone.now()
    day = due_date_for(tenant=tenant, client=account.client, issued_on=timezone.localdate(issued_at))
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def check_credit(*, tenant, invoice, account) -> None:
    terms = account.client
    if terms.payment_type != "credit":
        return
    limits = []
    if terms.enable_invoice_balance_limit and terms.invoice_balance_limit is not None:
        limits.append(("invoice_balance_limit", terms.invoice_balance_limit))
    if terms.credit_limit is not None and terms.credit_limit > 0:
        limits.append(("credit_limit", terms.credit_limit))
    if not limits:
        return
    # The new invoice is saved (and open): the outstanding includes it.
    with_invoice = payments.client_outstanding(tenant=tenant, client_id=invoice.client_id)
    before = with_invoice - invoice.total
    for name, limit in limits:
        if with_invoice > limit:
            raise unprocessable(
                "client",
                f"The invoice's total {invoice.total} plus the client's outstanding {before} is {with_invoice}, "
                f"above the client's {name} {limit}.",
                f"{name}_exceeded",
            )


def invoice_issued(*, tenant, invoice, account) -> None:
    if account is None or account.client_id != invoice.client_id:  # not locked up front (a direct caller)
        account = client_ledger.lock_account(tenant=tenant, client_id=invoice.client_id, client_fields=CLIENT_FIELDS)
    if invoice.kind == "return":
        amount, kind = invoice.total, client_ledger.RETURN_INVOICE
    else:
        amount, kind = -invoice.total, client_ledger.INVOICE
        check_credit(tenant=tenant, invoice=invoice, account=account)
    if amount:
        client_ledger.post_on_locked(
            account=account, amount=amount, document_type=kind, document_id=invoice.pk, occurred_at=invoice.issue_date
        )
    if invoice.kind == "return" and invoice.returned_from is not None:
        payments.refresh_status(tenant=tenant, invoices=[invoice.returned_from])
    # A new invoice has no allocations nor returns: its answer renders `paymentsData` from memory.
    cache = invoice.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.setdefault("allocations", PaymentAllocation.objects.none())
    cache.setdefault("returns", type(invoice).objects.none())


def invoice_voided(*, tenant, invoice, account) -> None:
    paid = PaymentAllocation.objects.filter(tenant=tenant, invoice=invoice).aggregate(s=Sum("amount"))["s"]
    if paid:
        message = (
            f"Invoice {invoice.serial} has {paid} of payments allocated to it (current state: partially paid or "
            "paid, requested: void): an invoice with payments cannot be voided; issue a return instead."
        )
        raise Conflict(message, details=[{"path": "is_void", "message": message, "code": "state"}])
    posted = ClientLedgerEntry.objects.filter(
        tenant=tenant,
        document_id=invoice.pk,
        document_type__in=(client_ledger.INVOICE, client_ledger.RETURN_INVOICE, client_ledger.VOID_INVOICE),
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    if posted:
        client_ledger.post_on_locked(
            account=account, amount=-posted, document_type=client_ledger.VOID_INVOICE, document_id=invoice.pk
        )
    if invoice.kind == "return" and invoice.returned_from_id:
        Invoice = apps.get_model("sales", "Invoice")
        original = Invoice.objects.select_for_update().get(pk=invoice.returned_from_id)
        invoice.is_void = True  # the original's returns no longer count this one
        invoice.save(update_fields=["is_void", "voided_at"])
        payments.refresh_status(tenant=tenant, invoices=[original])


__all__ = ["ZERO", "default_due_date", "invoice_issued", "invoice_voided", "lock_client_of"]
