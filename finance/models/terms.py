"""Payment terms (`/paymentterms`): how many days a client has to pay an invoice (`days`, net),
and an optional early-payment discount (`discount_percentage` when paid within
`discount_days`, which cannot exceed `days`).

A client names its term by id (`clients.Client.payment_term`, a string); an invoice's due date
defaults to its issue date plus the term's days (finance/services/terms.py `due_date_for`).
"""

from django.db import models

from core.models import TenantModel

# Ten years: longer is a typing error, and a date plus the days must stay a date.
MAX_TERM_DAYS = 3650


class PaymentTerm(TenantModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    days = models.PositiveIntegerField(default=0, help_text="Days after the invoice date the payment is due.")
    discount_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="Discount (%) when paid within the discount days."
    )
    discount_days = models.PositiveIntegerField(default=0, help_text="Days the early-payment discount lasts.")
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        verbose_name = "payment term"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__lte=MAX_TERM_DAYS, discount_days__lte=models.F("days")),
                name="paymentterm_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percentage__gte=0, discount_percentage__lte=100),
                name="paymentterm_discount_range",
            ),
        ]
