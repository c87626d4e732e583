"""The client ledger: append-only signed entries per client, and the balance projection.

* `ClientLedgerEntry`: one signed amount for one client, caused by one document (`document_type`,
  `document_id`), at `occurred_at` (when the business event happened: statements order and cut by
  it). Signs follow SEMANTICS §3.3 (credit = +): payments, credit adjustments and returns raise the
  balance; invoices, debit adjustments and processed refunds lower it. Append-only: saving an
  existing entry or deleting one raises (a wrong entry is corrected by a new document).
* `ClientAccount`: one row per (tenant, client), `balance` = Σ of the client's entries. Only
  finance/services/client_ledger.py writes it, in the same transaction as the entry, under the
  row's lock. `check_ledgers` (ledger `client`) recomputes it from the entries.
"""

from django.db import models

from core.models import TenantModel
from core.models.base import now_ms
from sales.models.stock import AppendOnlyModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class ClientLedgerEntry(AppendOnlyModel):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="ledger_entries")
    amount = models.DecimalField(**MONEY, help_text="Signed: + raises the client's balance, − lowers it.")
    document_type = models.CharField(max_length=32)
    document_id = models.UUIDField()
    occurred_at = models.DateTimeField(default=now_ms, help_text="When the business event happened.")

    class Meta(TenantModel.Meta):
        verbose_name = "client ledger entry"
        verbose_name_plural = "client ledger entries"
        indexes = [
            *TenantModel.Meta.indexes,
            # Statements: a client's entries in (occurred_at, id) order, and sums up to a date (the
            # amount included: the opening balance is an index-only scan).
            models.Index(
                fields=["tenant", "client", "occurred_at", "id"], include=["amount"], name="clientledger_stmt_cover"
            ),
            models.Index(fields=["tenant", "document_type", "document_id"], name="clientledger_doc_idx"),
        ]

    def __str__(self):
        return f"{self.amount:+} · {self.document_type} {self.document_id}"


class ClientAccount(TenantModel):
    """A client's balance (Σ of its ledger entries); the row the money writers lock."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="accounts")
    balance = models.DecimalField(**MONEY, default=0, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "client account"
        constraints = [models.UniqueConstraint(fields=["tenant", "client"], name="clientaccount_unique_client")]

    def __str__(self):
        return f"{self.client_id}: {self.balance}"


class AccountAdjustment(TenantModel):
    """`/adjust-account`: a credit (+) or debit (−) of a client's balance, with the balance before
    and after as the ledger had them at that moment. Immutable (no update or delete)."""

    class Type(models.TextChoices):
        CREDIT = "credit"
        DEBIT = "debit"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="account_adjustments")
    rep = models.ForeignKey(
        "sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="account_adjustments"
    )
    type = models.CharField(max_length=6, choices=Type.choices)
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=500)
    reference = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    adjustment_date = models.DateTimeField(default=now_ms)
    previous_balance = models.DecimalField(**MONEY, editable=False)
    new_balance = models.DecimalField(**MONEY, editable=False)
    approved_by = models.CharField(max_length=200, blank=True, default="", editable=False)
    approval_date = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "account adjustment"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="adjustment_amount_positive")]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client", "adjustment_date"], name="adjustment_client_date_idx"),
        ]

    def __str__(self):
        return f"{self.type} {self.amount} ({self.pk})"
