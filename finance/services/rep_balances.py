"""`rep-balance-summary`: what the clients still owe on the invoices each rep created.

For a rep: Σ over its invoices (kind `invoice`, not void) of the open balance, each clamped at 0:
total − Σ allocations (payments and settlements) − Σ of its returns that are not void; the same
definition as finance/services/payments.py `open_balance_of`, computed in one SQL statement
(grouped by rep, correlated sums over the allocation and return indexes), never invoice by
invoice in Python.
"""

from decimal import Decimal

from django.apps import apps
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from finance.models import PaymentAllocation

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum_of(queryset, key: str):
    return Subquery(
        queryset.order_by().values(key).annotate(s=Sum("amount" if key == "invoice_id" else "total")).values("s")[:1],
        output_field=MONEY,
    )


def outstanding_by_rep(*, tenant, rep_ids) -> dict:
    """rep id -> outstanding of the rep's non-void invoices (reps without any are absent)."""
    rep_ids = list(rep_ids)
    if not rep_ids:
        return {}
    Invoice = apps.get_model("sales", "Invoice")
    paid = _sum_of(PaymentAllocation.objects.filter(invoice_id=OuterRef("pk")), "invoice_id")
    returned = _sum_of(Invoice.objects.filter(returned_from_id=OuterRef("pk"), is_void=False), "returned_from_id")
    left = (
        F("total")
        - Coalesce(paid, Value(ZERO), output_field=MONEY)
        - Coalesce(returned, Value(ZERO), output_field=MONEY)
    )
    clamped = Case(When(open__gt=0, then=F("open")), default=Value(ZERO), output_field=MONEY)
    rows = (
        Invoice.objects.filter(tenant=tenant, rep_id__in=rep_ids, kind="invoice", is_void=False)
        .annotate(open=left)
        .annotate(clamped=clamped)
        .values("rep_id")
        .annotate(outstanding=Sum("clamped"))
        .order_by()
    )
    return {row["rep_id"]: row["outstanding"] or ZERO for row in rows}
