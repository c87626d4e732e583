"""The client ledger: the one place a client's balance moves.

`post_client_entry` appends a signed entry (SEMANTICS §3.3: credit = +) and adds it to the client's
`ClientAccount.balance` in the same transaction, under the account row's lock (created on first
use). Writers that touch several clients lock their accounts in client-id order (`lock_accounts`);
writers that also touch invoices lock the client account FIRST, then the invoice rows in id order.
One order everywhere, so no deadlock.

`client_balance` reads the projection, or (with `as_of`) Σ of the entries whose `occurred_at` falls
on or before that day (end of the day in the current time zone).
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import Sum, sql
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from core.ids import parse_uuid
from core.models.base import now_ms
from finance.models import ClientAccount, ClientLedgerEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# Document types (the `document_type` of an entry; others may be used by other writers).
INVOICE = "invoice"
RETURN_INVOICE = "return_invoice"
VOID_INVOICE = "void_invoice"
PAYMENT = "payment"
ADJUST_ACCOUNT = "adjust_account"
REFUND = "refund"


def _client_pk(client_id):
    if client_id is None:
        raise ValidationError({"client": ["This field is required."]})
    pk = getattr(client_id, "pk", None) or parse_uuid(str(client_id))
    if pk is None:
        raise ValidationError({"client": [f"Not a valid id: {client_id}."]})
    return pk


def _require_client(*, tenant, client_pk) -> None:
    Client = apps.get_model("clients", "Client")
    if not Client.objects.filter(tenant=tenant, pk=client_pk).exists():
        raise ValidationError({"client": [f"Not found: {client_pk}."]})


ACCOUNT_FIELDS = ("id", "tenant", "client", "balance", "version", "created_at", "updated_at", "integration_meta")


def lock_accounts(*, tenant, client_ids: Iterable, client_fields=()) -> dict[uuid.UUID, ClientAccount]:
    """The accounts of `client_ids` (the tenant's clients), created when missing, locked in
    client-id order (the client rows are not locked). `client_fields`: columns of the client read
    in the same statement (`account.client.<name>`). The caller checks the clients are the tenant's."""
    ordered = sorted({_client_pk(c) for c in client_ids})
    if not ordered:
        return {}

    def locked():
        rows = (
            ClientAccount.objects.select_for_update(of=("self",))
            .filter(tenant=tenant, client_id__in=ordered)
            .order_by("client_id")
        )
        if client_fields:
            rows = rows.select_related("client").only(*ACCOUNT_FIELDS, *(f"client__{f}" for f in client_fields))
        return {row.client_id: row for row in rows}

    rows = locked()
    if len(rows) < len(ordered):  # first use: create the missing rows (a racing creator is ignored)
        ClientAccount.objects.bulk_create(
            [ClientAccount(tenant=tenant, client_id=pk) for pk in ordered if pk not in rows], ignore_conflicts=True
        )
        rows = locked()
    return rows


def lock_account(*, tenant, client_id, client_fields=()) -> ClientAccount:
    pk = _client_pk(client_id)
    return lock_accounts(tenant=tenant, client_ids=[pk], client_fields=client_fields)[pk]


def post_on_locked(
    *, account: ClientAccount, amount: Decimal, document_type: str, document_id: uuid.UUID, occurred_at=None
) -> ClientLedgerEntry:
    """Append an entry to a client whose account the caller holds locked, and move the balance."""
    amount = Decimal(amount).quantize(CENT)
    entry = ClientLedgerEntry(
        tenant_id=account.tenant_id,
        client_id=account.client_id,
        amount=amount,
        document_type=document_type,
        document_id=document_id,
        occurred_at=occurred_at or now_ms(),
    )
    account.balance += amount
    connection = connections[router.db_for_write(ClientLedgerEntry)]
    if connection.vendor != "postgresql":
        entry.save()
        account.save(update_fields=["balance"])
        return entry
    # PostgreSQL: the entry's INSERT and the balance's UPDATE in one round trip.
    account.updated_at = now_ms()
    account.version += 1
    insert = sql.InsertQuery(ClientLedgerEntry)
    insert.insert_values(ClientLedgerEntry._meta.concrete_fields, [entry])
    statements = [*insert.get_compiler(connection=connection).as_sql()]
    statements.append((_UPDATE_ACCOUNT, [account.balance, account.updated_at, account.pk]))
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(connection.ops.compose_sql(text, params) for text, params in statements))
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


_UPDATE_ACCOUNT = (
    f'UPDATE "{ClientAccount._meta.db_table}" SET balance = %s, updated_at = %s, version = version + 1 WHERE id = %s'
)


@transaction.atomic
def post_client_entry(
    *,
    tenant,
    client_id,
    amount: Decimal,
    document_type: str,
    document_id: uuid.UUID,
    occurred_at: dt.datetime | None = None,
) -> ClientLedgerEntry:
    """Append one signed entry to the client's ledger and move its balance (account row locked)."""
    pk = _client_pk(client_id)
    _require_client(tenant=tenant, client_pk=pk)
    if not document_type:
        raise ValidationError({"document_type": ["This field is required."]})
    account = lock_account(tenant=tenant, client_id=pk)
    return post_on_locked(
        account=account, amount=amount, document_type=document_type, document_id=document_id, occurred_at=occurred_at
    )


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` (current time zone): entries before it are on or before `day`."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def client_balance(*, tenant, client_id, as_of: dt.date | None = None) -> Decimal:
    """The client's balance now (the projection), or at the end of `as_of` (Σ of the entries)."""
    pk = _client_pk(client_id)
    if as_of is None:
        balance = ClientAccount.objects.filter(tenant=tenant, client_id=pk).values_list("balance", flat=True).first()
        return balance if balance is not None else ZERO
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    total = ClientLedgerEntry.objects.filter(tenant=tenant, client_id=pk, occurred_at__lt=end_of_day(as_of)).aggregate(
        total=Sum("amount")
    )["total"]
    return total if total is not None else ZERO


def entries_of(*, tenant, document_type: str, document_id: uuid.UUID):
    return ClientLedgerEntry.objects.filter(tenant=tenant, document_type=document_type, document_id=document_id)
