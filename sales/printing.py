"""PDF loaders of invoices (returns print as "Credit note") and proformas, for core/pdf
(`quick-convert-to-pdf`, the admin's "Download PDF"). Registered in SalesConfig.ready()."""

from collections import defaultdict
from decimal import Decimal

from core import pdf


def client_party(client) -> pdf.Party:
    address = "\n".join(part for part in (client.formatted_address, client.city, client.country) if part)
    return pdf.Party(
        name=client.name, address=address, tax_id=client.tax_number, phone=client.phone, email=client.email
    )


def _printable(document, *, title: str, dates: dict, status: str = "") -> pdf.PrintableDocument:
    lines, taxes = [], defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in document.lines.select_related("variant", "product", "measure_unit").order_by("position"):
        lines.append(
            pdf.PrintableLine(
                description=f"{line.product.name} / {line.variant.name}" + (f" ({line.note})" if line.note else ""),
                qty=line.qty,
                unit=line.measure_unit.name if line.measure_unit else "",
                price=line.price,
                discount=line.discount_value,
                tax=line.tax_amount,
                total=line.line_total,
            )
        )
        if line.tax_type != "N/A" and line.tax_rate:
            key = f"Tax {line.tax_rate.normalize()}% ({line.tax_type})"
            base = line.gross - line.discount_value - (line.tax_amount if line.tax_type == "inclusive" else 0)
            taxes[key][0] += base
            taxes[key][1] += line.tax_amount
    return pdf.PrintableDocument(
        title=title,
        serial=document.serial,
        company=pdf.Party(name=document.tenant.name or document.tenant.namespace),
        client=client_party(document.client),
        lines=lines,
        totals=pdf.Totals(
            total=document.total,
            subtotal=document.subtotal,
            discount=document.discount_amount,
            tax=document.tax_amount,
        ),
        dates={k: v for k, v in dates.items() if v is not None},
        tax_summary=[pdf.TaxSummaryRow(name=k, base=v[0], amount=v[1]) for k, v in taxes.items()],
        notes=document.notes,
        status=status,
    )


def load_invoice(tenant, document_id):
    from sales.models import Invoice

    invoice = Invoice.objects.filter(tenant=tenant, pk=document_id).select_related("client", "tenant").first()
    if invoice is None:
        return None
    title = "Credit note" if invoice.kind == Invoice.Kind.RETURN else "Invoice"
    return _printable(
        invoice,
        title=title,
        dates={"Issue date": invoice.issue_date, "Due date": invoice.due_date},
        status="VOID" if invoice.is_void else "",
    )


def load_proforma(tenant, document_id):
    from sales.models import Proforma

    proforma = Proforma.objects.filter(tenant=tenant, pk=document_id).select_related("client", "tenant").first()
    if proforma is None:
        return None
    status = {"cancelled": "CANCELLED", "converted": "CONVERTED"}.get(proforma.status, "")
    return _printable(
        proforma,
        title="Proforma",
        dates={"Issue date": proforma.issue_date, "Valid until": proforma.valid_until},
        status=status,
    )


def register() -> None:
    pdf.register_printable("invoice", load_invoice)
    pdf.register_printable("proforma", load_proforma)
