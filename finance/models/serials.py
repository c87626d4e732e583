"""Invoice serial counters (`/safe-invoice-serial-counter`).

One counter per (tenant, rep, warehouse, invoice_type). `current_serial` is the last number
issued; it only moves up: `/next` adds one atomically (finance/services/serials.py), a PATCH may
raise it but never lower it. The unique constraint is what lets two first uses that race
create one counter, not two (the `/next` upsert's ON CONFLICT target).
"""

from django.db import models

from core.models import TenantModel

# Numbers stay exact as JSON numbers in every client (JavaScript's safe integers).
MAX_SERIAL = 2**53 - 1
MAX_PAD_LENGTH = 30
MAX_AFFIX_LENGTH = 50


class InvoiceSerialCounter(TenantModel):
    class InvoiceType(models.TextChoices):
        SALES = "sales"
        RETURN = "return"
        PROFORMA = "proforma"

    rep = models.ForeignKey("sales.Rep", on_delete=models.PROTECT, related_name="serial_counters")
    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="serial_counters")
    invoice_type = models.CharField(max_length=8, choices=InvoiceType.choices)
    current_serial = models.PositiveBigIntegerField(default=0, help_text="The last number issued.")
    prefix = models.CharField(max_length=MAX_AFFIX_LENGTH, blank=True, default="")
    suffix = models.CharField(max_length=MAX_AFFIX_LENGTH, blank=True, default="")
    pad_length = models.PositiveSmallIntegerField(default=6, help_text="Digits the number is zero-padded to.")
    last_used_date = models.DateTimeField(null=True, blank=True, editable=False, help_text="When /next last ran.")

    class Meta(TenantModel.Meta):
        verbose_name = "invoice serial counter"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "rep", "warehouse", "invoice_type"], name="serialcounter_unique_key"
            ),
            models.CheckConstraint(
                condition=models.Q(pad_length__lte=MAX_PAD_LENGTH), name="serialcounter_pad_length_range"
            ),
        ]

    def __str__(self):
        return f"{self.get_invoice_type_display()} · {self.rep} · {self.warehouse}"

    @property
    def formatted_current(self) -> str:
        from finance.services.serials import format_serial

        return format_serial(
            number=self.current_serial, prefix=self.prefix, suffix=self.suffix, pad_length=self.pad_length
        )
