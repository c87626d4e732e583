"""A client's statement, read from its ledger (never recomputed from documents).

`from`/`to` are days, both optional and inclusive (the current time zone's days). The opening
balance (Σ of the entries before `from`), the number of entries in the window and their sum come
from ONE aggregate over the client's entries up to `to`; the page is one indexed range read in
(occurred_at, id) order; the running balance before the page is the opening balance plus the
sum of the window's entries before it (one more aggregate, only past page 1).
"""

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.utils import timezone

from finance.models import ClientLedgerEntry, Payment

from .client_ledger import INVOICE, RETURN_INVOICE, VOID_INVOICE, end_of_day

ZERO = Decimal("0.00")
MAX_PER_PAGE = 500


def start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def client_statement(*, tenant, client_id, date_from=None, date_to=None, page: int = 1, per_page: int = 100) -> dict:
    entries = ClientLedgerEntry.objects.filter(tenant=tenant, client_id=client_id)
    if date_to is not None:
        entries = entries.filter(occurred_at__lt=end_of_day(date_to))
    lower = start_of_day(date_from) if date_from is not None else None
    if lower is not None:
        before, inside = Q(occurred_at__lt=lower), Q(occurred_at__gte=lower)
        sums = entries.aggregate(
            opening=Sum("amount", filter=before), window=Sum("amount", filter=inside), total=Count("id", filter=inside)
        )
        window = entries.filter(occurred_at__gte=lower)
    else:
        sums = entries.aggregate(window=Sum("amount"), total=Count("id"))
        window = entries
    opening = sums.get("opening") or ZERO
    closing = opening + (sums["window"] or ZERO)
    ordered = window.order_by("occurred_at", "id")
    offset = (page - 1) * per_page
    running = opening
    if offset and offset < sums["total"]:
        skipped = ordered.values("amount")[:offset]
        running += ClientLedgerEntry.objects.filter(pk__in=skipped.values("pk")).aggregate(s=Sum("amount"))["s"] or ZERO
    rows = list(
        ordered.values_list("id", "occurred_at", "document_type", "document_id", "amount")[offset : offset + per_page]
    )
    labels = _labels(tenant=tenant, rows=rows)
    out = []
    for _, occurred_at, document_type, document_id, amount in rows:
        running += amount
        out.append(
            {
                "date": occurred_at,
                "type": document_type,
                "document": labels.get(document_id, document_type),
                "document_id": str(document_id),
                "amount": amount,
                "balance": running,
            }
        )
    return {
        "client": str(client_id),
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "opening_balance": opening,
        "closing_balance": closing,
        "entries": out,
        "page": page,
        "per_page": per_page,
        "total": sums["total"],
    }


def _labels(*, tenant, rows) -> dict:
    """document id -> what a reader recognises it by: an invoice's serial, a payment's reference."""
    invoice_ids = {r[3] for r in rows if r[2] in (INVOICE, RETURN_INVOICE, VOID_INVOICE)}
    payment_ids = {r[3] for r in rows if r[2] == "payment"}
    labels = {}
    if invoice_ids:
        Invoice = apps.get_model("sales", "Invoice")
        labels.update(Invoice.objects.filter(tenant=tenant, pk__in=invoice_ids).values_list("id", "serial"))
    if payment_ids:
        for pk, reference in Payment.objects.filter(tenant=tenant, pk__in=payment_ids).values_list("id", "reference"):
            if reference:
                labels[pk] = reference
    return labels
