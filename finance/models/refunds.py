"""Refunds (`/refund`): money given back to a client.

pending → approved | rejected, approved → processed; rejected and processed are final
(finance/services/refunds.py holds the table). Only processing moves the client's balance: one
ledger entry of −amount, posted in the transaction that sets `processed_at`.
"""

from django.db import models

from core.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Refund(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        PROCESSED = "processed"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="refunds")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(
        "sales.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    refund_method = models.CharField(max_length=100, blank=True, default="")
    reference = models.CharField(max_length=200, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(status="processed", processed_at__isnull=False)
                | (~models.Q(status="processed") & models.Q(processed_at__isnull=True)),
                name="refund_processed_at_iff_processed",
            ),
        ]
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client"], name="refund_client"),
            models.Index(fields=["invoice", "status"], name="refund_invoice"),
        ]

    def __str__(self):
        return f"Refund {self.amount} to {self.client_id}"
