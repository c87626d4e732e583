"""Refunds: money given back to a client.

* Created `pending` with `client`, `amount > 0`, `reason`, optional `rep` and `invoice` (all the
  tenant's; the invoice must be the client's, not void and not a return: 422 naming the field).
* Against an invoice, the amount cannot exceed what was paid on it (finance/services/payments.py
  `invoice_paid`) less what its other refunds already take (every refund not rejected counts,
  so two pending refunds cannot promise the same money): 422 naming `amount`. The invoice row is
  locked while this is checked, so concurrent refunds on one invoice are checked one at a time.
* States (one table, below): pending → approved | rejected, approved → processed; rejected and
  processed are final; anything else is a 409 naming the current and requested state.
* Processing sets `processed_at` and posts −amount to the client's ledger (document type
  `refund`), once: the refund's row is locked and its state checked in the same transaction.
  Locks: the refund row, then the client's account (inside post_client_entry).
* After creation only `refundMethod`, `reference`, `notes`, `integration_meta` and the status change.
"""

from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Sum

from core.models import Tenant
from core.models.base import now_ms
from finance.models import Refund
from finance.services import client_ledger, payments
from finance.services.states import machine, unprocessable

Status = Refund.Status
REFUND_STATES = machine(
    "refund",
    {"pending": {"approved", "rejected"}, "approved": {"processed"}, "rejected": set(), "processed": set()},
)
CREATE_FIELDS = (
    "id",
    "client",
    "rep",
    "invoice",
    "amount",
    "reason",
    "refund_method",
    "reference",
    "notes",
    "integration_meta",
)
EDITABLE = ("refund_method", "reference", "notes", "integration_meta")
HOLDS_MONEY = (Status.PENDING, Status.APPROVED, Status.PROCESSED)


def refunded_on(*, tenant: Tenant, invoice_id, excluding=None) -> Decimal:
    """Σ of the invoice's refunds that are not rejected."""
    rows = Refund.objects.filter(tenant=tenant, invoice_id=invoice_id, status__in=HOLDS_MONEY)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def refundable(*, tenant: Tenant, invoice_id) -> Decimal:
    """What may still be refunded on the invoice: paid on it − its refunds not rejected."""
    paid = payments.invoice_paid(tenant=tenant, invoice_id=invoice_id)
    return paid - refunded_on(tenant=tenant, invoice_id=invoice_id)


@transaction.atomic
def create_refund(*, tenant: Tenant, data: dict) -> Refund:
    values = {k: v for k, v in data.items() if k in CREATE_FIELDS}
    for name in ("client", "amount", "reason"):
        if values.get(name) in (None, ""):
            raise unprocessable(name, "This field is required.", code="required")
    if values["amount"] <= 0:
        raise unprocessable("amount", "Must be greater than 0.")
    for name in ("client", "rep", "invoice"):
        target = values.get(name)
        if target is not None and target.tenant_id != tenant.pk:
            raise unprocessable(name, f"Not found: {target.pk}.", code="does_not_exist")
    invoice = values.get("invoice")
    if invoice is not None:
        Invoice = apps.get_model("sales", "Invoice")
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.client_id != values["client"].pk:
            raise unprocessable("invoice", f"Invoice {invoice.serial} belongs to another client.", code="other_client")
        if invoice.is_void or invoice.kind != "invoice":
            raise unprocessable("invoice", f"Invoice {invoice.serial} is void or a return.", code="not_refundable")
        left = refundable(tenant=tenant, invoice_id=invoice.pk)
        if values["amount"] > left:
            paid = payments.invoice_paid(tenant=tenant, invoice_id=invoice.pk)
            raise unprocessable(
                "amount",
                f"{values['amount']} is more than can be refunded on invoice {invoice.serial}: {paid} was paid on it "
                f"and its other refunds take {paid - left}, leaving {max(left, Decimal(0))}.",
                code="over_refund",
                refundable=float(max(left, Decimal(0))),
            )
    refund = Refund(tenant=tenant, **values)
    refund.save()
    return refund


@transaction.atomic
def update_refund(*, refund: Refund, data: dict) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    for name in ("client", "rep", "invoice", "amount", "reason"):
        if name in data and data[name] != getattr(refund, name):
            raise unprocessable(name, "Cannot be changed once the refund is created.", code="read_only")
    for name in EDITABLE:
        if name in data:
            setattr(refund, name, data[name])
    requested = data.get("status")
    if requested not in (None, "") and requested != refund.status:
        REFUND_STATES.check(refund.status, requested)
        refund.status = requested
        if requested == Status.PROCESSED:
            refund.processed_at = now_ms()
            client_ledger.post_client_entry(
                tenant=refund.tenant,
                client_id=refund.client_id,
                amount=-refund.amount,
                document_type=client_ledger.REFUND,
                document_id=refund.pk,
                occurred_at=refund.processed_at,
            )
    refund.save()
    return refund


def transition(*, refund: Refund, status: str) -> Refund:
    """approve / reject / process (the admin's actions)."""
    return update_refund(refund=refund, data={"status": status})
