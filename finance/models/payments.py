"""Payments, their allocations to invoices, and settlements.

* `Payment` (`/payments`): money a client paid (`amount > 0`). `allocated` = Σ of its allocations
  (kept by finance/services/payments.py under the payment's row lock); `remainder = amount −
  allocated` is unconsumed credit until a settlement matches it. Never deleted.
* `PaymentAllocation`: `amount` of a payment applied to an invoice, at the payment's creation or
  by a settlement (`settlement` set). Append-only. An invoice's `paid` = Σ of its allocations.
* `Settlement` (`/settlement`): pairs open invoices with payments' remainders of one client;
  its allocations are PaymentAllocation rows. Immutable once created.
"""

from django.db import models

from core.models import TenantModel
from core.models.base import now_ms
from sales.models.stock import AppendOnlyModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Payment(TenantModel):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="payments")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    payment_method = models.CharField(max_length=50, blank=True, default="")
    reference = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    date = models.DateTimeField(default=now_ms)
    allocated = models.DecimalField(**MONEY, default=0, editable=False, help_text="Σ of its allocations.")

    class Meta(TenantModel.Meta):
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(allocated__gte=0, allocated__lte=models.F("amount")),
                name="payment_allocated_range",
            ),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client", "date"], name="payment_client_date_idx"),
        ]

    def __str__(self):
        return f"Payment {self.amount} ({self.pk})"

    @property
    def remainder(self):
        return self.amount - self.allocated

    @property
    def consumption_status(self) -> str:
        if self.allocated <= 0:
            return "unconsumed"
        return "consumed" if self.allocated >= self.amount else "partially_consumed"


class Settlement(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="settlements")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="settlements")
    total_amount = models.DecimalField(**MONEY, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED, editable=False)
    settlement_date = models.DateTimeField(default=now_ms, editable=False)
    notes = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client", "settlement_date"], name="settlement_client_date_idx"),
        ]

    def __str__(self):
        return f"Settlement {self.total_amount} ({self.pk})"


class PaymentAllocation(AppendOnlyModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("sales.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )

    class Meta(TenantModel.Meta):
        verbose_name = "payment allocation"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive")]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["invoice"], name="allocation_invoice_idx"),
            models.Index(fields=["payment"], name="allocation_payment_idx"),
        ]

    def __str__(self):
        return f"{self.amount} of {self.payment_id} → {self.invoice_id}"
