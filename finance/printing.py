"""The PDF loader of payment receipts (`documentType: receipt` of `quick-convert-to-pdf`, as
SEMANTICS maps it to a payment): who paid, how much, by what method and reference, and the
invoices it paid (one line per allocation; what is left is printed as unallocated credit).
Registered in FinanceConfig.ready()."""

from decimal import Decimal

from core import pdf


def load_receipt(tenant, document_id):
    from finance.models import Payment
    from sales.printing import client_party

    payment = Payment.objects.filter(tenant=tenant, pk=document_id).select_related("client", "tenant").first()
    if payment is None:
        return None
    lines = [
        pdf.PrintableLine(
            description=f"Invoice {allocation.invoice.serial}" + (" (settlement)" if allocation.settlement_id else ""),
            qty=Decimal(1),
            price=allocation.amount,
            total=allocation.amount,
        )
        for allocation in payment.allocations.select_related("invoice").order_by("created_at", "pk")
    ]
    remainder = payment.amount - sum((line.total for line in lines), Decimal(0))
    if remainder:
        lines.append(
            pdf.PrintableLine(description="Unallocated credit", qty=Decimal(1), price=remainder, total=remainder)
        )
    method = " · ".join(part for part in (payment.payment_method, payment.reference) if part)
    notes = "\n".join(part for part in (f"Paid by {method}" if method else "", payment.description) if part)
    return pdf.PrintableDocument(
        title="Receipt",
        serial=payment.reference or str(payment.pk),
        company=pdf.Party(name=payment.tenant.name or payment.tenant.namespace),
        client=client_party(payment.client),
        client_label="Received from",
        lines=lines,
        totals=pdf.Totals(total=payment.amount),
        dates={"Payment date": payment.date},
        notes=notes,
    )


def register() -> None:
    pdf.register_printable("receipt", load_receipt)
