"""Sales documents: invoices (and returns, which are invoices of kind `return`) and proformas.

Two models, not one document table with a type: an invoice moves stock and (next issue) money,
a proforma only reserves stock; they have their own serial spaces, states and lifecycles, and
`proforma_reference` links the invoice a proforma became. Their lines share one abstract base
(`DocumentLine`), their money columns another (`DocumentTotals`), so the maths is one code path
(sales/services/invoice_maths.py).

Documents are append-only in substance: an issued invoice's lines and totals never change (a
void or a return is how they are corrected, sales/services/invoices.py), nothing is deleted.
"""

from django.db import models

from core.models import TenantModel
from core.models.base import now_ms

MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_MONEY = {"max_digits": 16, "decimal_places": 3}
QUANTITY = {"max_digits": 18, "decimal_places": 6}


class DocumentTotals(TenantModel):
    """The header of a document: its parties, its dates and its totals (Σ of its lines)."""

    serial = models.CharField(max_length=100)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    rep = models.ForeignKey("sales.Rep", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("sales.Warehouse", on_delete=models.PROTECT, related_name="+")
    issue_date = models.DateTimeField(default=now_ms)
    subtotal = models.DecimalField(**MONEY, default=0, editable=False)
    discount_amount = models.DecimalField(**MONEY, default=0, editable=False)
    tax_amount = models.DecimalField(**MONEY, default=0, editable=False)
    total = models.DecimalField(**MONEY, default=0, editable=False)
    notes = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        abstract = True

    def __str__(self):
        return self.serial or str(self.pk)


class DocumentLine(models.Model):
    """One line, as computed when the document was issued (never recomputed afterwards)."""

    position = models.PositiveIntegerField(default=0)
    variant = models.ForeignKey("sales.Variant", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+")
    measure_unit = models.ForeignKey(
        "sales.MeasureUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    factor = models.DecimalField(**QUANTITY, default=1)
    qty = models.DecimalField(**QUANTITY)
    base_unit_qty = models.DecimalField(**QUANTITY)
    listed_price = models.DecimalField(**UNIT_MONEY, help_text="Price of one base unit.")
    price = models.DecimalField(**UNIT_MONEY, help_text="Price of one unit of the line.")
    gross = models.DecimalField(**MONEY)
    discount_value = models.DecimalField(**MONEY, default=0)
    discounted_price = models.DecimalField(**UNIT_MONEY)
    tax = models.ForeignKey("sales.Tax", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    tax_type = models.CharField(max_length=16, default="N/A")
    tax_amount = models.DecimalField(**MONEY, default=0)
    line_total = models.DecimalField(**MONEY)
    note = models.TextField(blank=True, default="")

    class Meta:
        abstract = True
        ordering = ("position",)

    def __str__(self):
        return f"{self.qty} × {self.variant_id}"


class Invoice(DocumentTotals):
    """An issued invoice (`kind=invoice`) or a return (`kind=return`, `returned_from` its invoice).

    `status` is the payment state (unpaid until the money side records payments). `is_void`: the
    invoice was voided and its stock put back (once). `proforma_reference`: the proforma it
    converted. A proforma converts once: the conversion locks the proforma's row and requires it
    `open` (a database constraint is not used: the generic relationship-sorting checks point
    several rows at one proforma)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice"
        RETURN = "return"

    class Status(models.TextChoices):
        UNPAID = "unpaid"
        PARTIALLY_PAID = "partially_paid"
        PAID = "paid"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.INVOICE, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNPAID)
    due_date = models.DateTimeField(null=True, blank=True)
    is_void = models.BooleanField(default=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    returned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="returns", editable=False
    )
    proforma_reference = models.ForeignKey(
        "sales.Proforma", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices", editable=False
    )

    class Meta(DocumentTotals.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "client", "issue_date"], name="invoice_client_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "serial"], name="invoice_unique_serial"),
        ]


class InvoiceItem(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    return_reason = models.ForeignKey(
        "sales.ReturnReason", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(DocumentLine.Meta):
        indexes = [models.Index(fields=["invoice", "position"], name="invoiceitem_order_idx")]


class Proforma(DocumentTotals):
    """A quote or sales order: the invoice maths, no stock movement; it reserves its quantities
    (`reservedQuantity`) while `open`. `converted` (into the invoice whose `proforma_reference`
    it is) and `cancelled` are terminal, and both release the reservation."""

    class Status(models.TextChoices):
        OPEN = "open"
        CONVERTED = "converted"
        CANCELLED = "cancelled"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta(DocumentTotals.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "serial"], name="proforma_unique_serial")]


class ProformaItem(DocumentLine):
    proforma = models.ForeignKey(Proforma, on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        indexes = [models.Index(fields=["proforma", "position"], name="proformaitem_order_idx")]
