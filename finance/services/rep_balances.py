"""`rep-balance-summary`: what the clients still owe on the invoices each rep created.

For a rep: Σ over its invoices (kind `invoice`, not void) of the open balance, each clamped at 0:
total − Σ allocations (payments and settlements) − Σ of its returns that are not void; the same
definition as finance/services/payments.py `open_balance_of`. One SQL statement, grouped by rep:
the rep's invoices joined to the allocation sums and the return sums of those invoices (hash
joins over pre-aggregated rows, not a lookup per invoice), never invoice by invoice in Python.

Invoices whose kept `status` is `paid` are skipped (finance/services/payments.py `status_of`: paid
⇔ paid ≥ total − returned, so their open balance is 0), so a rep's settled invoices cost
nothing; an `unpaid` invoice has no allocation, so only `partially_paid` ones are joined to theirs.
"""

from decimal import Decimal

from django.apps import apps
from django.db import connections, router

from finance.models import PaymentAllocation

ZERO = Decimal("0.00")

SQL = """
SELECT i.rep_id, SUM(CASE WHEN i.total - COALESCE(a.s, 0) - COALESCE(r.s, 0) > 0
                          THEN i.total - COALESCE(a.s, 0) - COALESCE(r.s, 0) ELSE 0 END)
FROM {invoice} i
LEFT JOIN (
    SELECT pa.invoice_id, SUM(pa.amount) AS s
    FROM {allocation} pa JOIN {invoice} j ON j.id = pa.invoice_id
    WHERE j.tenant_id = %s AND j.rep_id IN ({reps}) AND j.kind = 'invoice' AND j.status = 'partially_paid'
    GROUP BY pa.invoice_id
) a ON a.invoice_id = i.id
LEFT JOIN (
    SELECT ret.returned_from_id, SUM(ret.total) AS s
    FROM {invoice} ret JOIN {invoice} k ON k.id = ret.returned_from_id
    WHERE ret.tenant_id = %s AND ret.kind = 'return' AND NOT ret.is_void AND k.rep_id IN ({reps})
    GROUP BY ret.returned_from_id
) r ON r.returned_from_id = i.id
WHERE i.tenant_id = %s AND i.rep_id IN ({reps}) AND i.kind = 'invoice' AND NOT i.is_void AND i.status <> 'paid'
GROUP BY i.rep_id
"""


def outstanding_by_rep(*, tenant, rep_ids) -> dict:
    """rep id -> outstanding of the rep's non-void invoices (reps without open invoices are absent)."""
    Invoice = apps.get_model("sales", "Invoice")
    rep_ids = list(dict.fromkeys(rep_ids))
    if not rep_ids:
        return {}
    using = router.db_for_read(Invoice)
    connection = connections[using]
    pk = Invoice._meta.pk
    rep_field = Invoice._meta.get_field("rep").target_field
    tenant_id = pk.get_db_prep_value(getattr(tenant, "pk", tenant), connection)
    reps = [rep_field.get_db_prep_value(r, connection) for r in rep_ids]
    holes = ", ".join(["%s"] * len(reps))
    sql = SQL.format(
        invoice=connection.ops.quote_name(Invoice._meta.db_table),
        allocation=connection.ops.quote_name(PaymentAllocation._meta.db_table),
        reps=holes,
    )
    params = [tenant_id, *reps, tenant_id, *reps, tenant_id, *reps]
    # The driver answers a uuid (PostgreSQL) or 32-hex text (SQLite): keyed back to the ids given.
    index = {_hex(r): r for r in rep_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {index.get(_hex(rep), rep): Decimal(str(total or 0)).quantize(ZERO) for rep, total in rows}


def _hex(value) -> str:
    return str(value).replace("-", "").lower()
