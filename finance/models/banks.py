"""Banks, bank lists and the checks clients hand over.

* A bank's name is unique per tenant in any case (a lookup list: checks may name their bank by
  name, which must then find one bank).
* A bank list groups banks (`banks[]`), e.g. the banks a region accepts.
* A check is immutable once created (no PUT or DELETE in the API): clearing or bouncing it is
  not expressible through the documented API, and a money document is corrected by another
  document, never edited. It is unique per (tenant, bank, check number).
"""

from django.db import models

from core.models import TenantModel
from core.uniqueness import unique_name

MONEY = {"max_digits": 14, "decimal_places": 2}


class Bank(TenantModel):
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, blank=True, default="", help_text="e.g. the bank's SWIFT/BIC code.")
    country = models.CharField(max_length=100, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("bank")]


class BankList(TenantModel):
    name = models.CharField(max_length=200)
    banks = models.ManyToManyField(Bank, blank=True, related_name="lists")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name = "bank list"


class Check(TenantModel):
    """A check a client handed over. `status` starts `pending`; nothing in the API changes it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CLEARED = "cleared"
        BOUNCED = "bounced"
        CANCELLED = "cancelled"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="checks")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="checks")
    check_number = models.CharField(max_length=100)
    amount = models.DecimalField(**MONEY)
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="checks")
    account_number = models.CharField(max_length=100, blank=True, default="")
    issue_date = models.DateTimeField(null=True, blank=True)
    due_date = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    cleared_date = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "bank", "check_number"], name="check_unique_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="check_amount_positive"),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client"], name="check_client"),
            models.Index(fields=["tenant", "due_date"], name="check_due_date"),
        ]

    def __str__(self):
        return f"Check {self.check_number}"
