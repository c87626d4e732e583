"""The client ledger's checker for `manage.py check_ledgers` (registered as `client` in FinanceConfig.ready).

For every client account, and every client that has entries but no account, it recomputes
`balance` = Σ of the client's entries and yields each stored value that disagrees. `fix=True`
rewrites the account (created when missing) under the lock the ledger's writers take, with the sum
recomputed after the lock is held, so an entry posted meanwhile is neither lost nor counted twice.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.ledgers import Difference
from core.models import Tenant
from finance.models import ClientAccount, ClientLedgerEntry
from finance.models.ledger import MONEY

LEDGER = "client"
ZERO = Decimal("0.00")


def _sum(*, tenant_id, client_id) -> Decimal:
    total = ClientLedgerEntry.objects.filter(tenant_id=tenant_id, client_id=client_id).aggregate(s=Sum("amount"))["s"]
    return total if total is not None else ZERO


@transaction.atomic
def _fix(*, tenant_id, client_id) -> None:
    from finance.services.client_ledger import lock_account

    account = lock_account(tenant=Tenant.objects.get(pk=tenant_id), client_id=client_id)
    account.balance = _sum(tenant_id=tenant_id, client_id=client_id)
    account.save(update_fields=["balance"])


def check_client_ledger(*, tenant: Tenant | None = None, fix: bool = False) -> Iterator[Difference]:
    scope = {} if tenant is None else {"tenant": tenant}
    namespaces = dict(Tenant.objects.values_list("pk", "namespace"))
    entries = (
        ClientLedgerEntry.objects.filter(tenant=OuterRef("tenant"), client=OuterRef("client"))
        .order_by()
        .values("client")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        ClientAccount.objects.filter(**scope)
        .annotate(expected=Coalesce(Subquery(entries), Value(ZERO), output_field=DecimalField(**MONEY)))
        .values_list("tenant_id", "client_id", "balance", "expected")
        .order_by("tenant_id", "client_id")
    )
    wrong = []
    for tenant_id, client_id, balance, expected in rows.iterator(chunk_size=5000):
        if balance != expected:
            yield Difference(LEDGER, namespaces[tenant_id], f"client {client_id}", "balance", balance, expected)
            wrong.append((tenant_id, client_id))
    account = ClientAccount.objects.filter(tenant=OuterRef("tenant"), client=OuterRef("client"))
    orphans = (
        ClientLedgerEntry.objects.filter(**scope)
        .filter(~Exists(account))
        .values_list("tenant_id", "client_id")
        .distinct()
        .order_by()
    )
    for tenant_id, client_id in sorted(set(orphans)):
        expected = _sum(tenant_id=tenant_id, client_id=client_id)
        yield Difference(LEDGER, namespaces[tenant_id], f"client {client_id}", "account", "missing", expected)
        wrong.append((tenant_id, client_id))
    if fix:
        for tenant_id, client_id in wrong:
            _fix(tenant_id=tenant_id, client_id=client_id)
