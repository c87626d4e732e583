"""Contracts and their installments (`/contract`, `/contract-installment`): a payment schedule.

* A contract's `installments[]` are rows numbered 1..n (unique per contract); their amounts add up
  to the contract's `totalAmount` and their due dates lie inside the contract's period
  (finance/services/contracts.py checks both, 422).
* An installment's stored `status` is `pending`, `paid` or `cancelled`. `overdue` is not stored:
  it is what a pending installment is once today is past `due_date + grace_period_days`
  (`overdue_after`, kept by save()), so it never depends on a job having run; the API computes
  it in SQL (finance/services/contracts.py `with_api_status`) for rendering, filtering and sorting.
* Paying (`/pay`) appends to `payment_history` and moves `payment_amount`; it never edits or
  removes a history entry.
"""

import datetime as dt

from django.db import models

from core.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Contract(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    title = models.CharField(max_length=200, blank=True, default="")
    contract_type = models.CharField(max_length=100, blank=True, default="", help_text="e.g. maintenance, lease.")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="contracts"
    )
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    total_amount = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=10, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, editable=False)
    terms = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        constraints = [
            models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="contract_total_not_negative"),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client"], name="contract_client"),
        ]

    def __str__(self):
        return self.title or f"Contract {self.pk}"


class ContractInstallment(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        OVERDUE = "overdue"  # shown, never stored: a pending installment past its grace period
        CANCELLED = "cancelled"

    class Method(models.TextChoices):
        CASH = "cash"
        CHECK = "check"
        CREDIT_CARD = "credit_card"
        BANK_TRANSFER = "bank_transfer"
        OTHER = "other"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="installments")
    installment_number = models.PositiveIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=10, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    payment_date = models.DateField(null=True, blank=True, editable=False)
    payment_amount = models.DecimalField(**MONEY, default=0, editable=False, help_text="Σ of payment_history.")
    payment_method = models.CharField(max_length=16, choices=Method.choices, blank=True, default="", editable=False)
    payment_reference = models.CharField(max_length=200, blank=True, default="", editable=False)
    late_fee = models.DecimalField(**MONEY, default=0, help_text="Added to the amount due once overdue.")
    discount_applied = models.DecimalField(**MONEY, default=0)
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    grace_period_days = models.PositiveIntegerField(default=0)
    overdue_after = models.DateField(editable=False, help_text="due_date + grace_period_days: overdue the day after.")
    reminder_sent = models.BooleanField(default=False)
    reminder_dates = models.JSONField(default=list, blank=True)
    auto_pay_enabled = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="")
    custom_fields = models.JSONField(default=dict, blank=True)
    payment_history = models.JSONField(default=list, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "contract installment"
        ordering = ("contract", "installment_number")
        constraints = [
            models.UniqueConstraint(fields=["contract", "installment_number"], name="installment_unique_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(payment_amount__gte=0, late_fee__gte=0, discount_applied__gte=0),
                name="installment_money_not_negative",
            ),
            models.CheckConstraint(condition=~models.Q(status="overdue"), name="installment_overdue_not_stored"),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "status", "overdue_after"], name="installment_overdue"),
            models.Index(fields=["tenant", "due_date"], name="installment_due"),
        ]

    def save(self, *args, **kwargs):
        if self.due_date is not None:
            self.overdue_after = self.due_date + dt.timedelta(days=self.grace_period_days or 0)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "overdue_after"}
        super().save(*args, **kwargs)

    def __str__(self):
        return f"#{self.installment_number} of {self.contract_id}"
