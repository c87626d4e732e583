"""Printing real invoices, returns and proformas: `POST /quick-convert-to-pdf` on documents issued
through the API, read back with pypdf (serial, client, total, the return's and the void's marks, a
long invoice over several pages), and the admin's "Download PDF" on invoices."""

from decimal import Decimal

import pytest
from django.test import Client

from core.pdf.render import money
from sales import models as sm
from tests.invoice_world import invoice_body, make_world
from tests.test_pdf import fetch, read

pytestmark = pytest.mark.django_db

URL = "/v1/quick-convert-to-pdf"


def printed(api, document_type, document_id) -> tuple:
    r = api.post(URL, {"documentType": document_type, "documentId": str(document_id)}, format="json")
    assert r.status_code == 200, r.content
    served = fetch(r.json()["pdfUrl"])
    assert served.status_code == 200
    reader, text = read(b"".join(served.streaming_content))
    assert r.json()["pages"] == len(reader.pages)
    return r.json(), text


def amount(value) -> str:
    return money(Decimal(value), "").split()[-1]  # the figure as the PDF prints it, without a currency


def test_an_issued_invoice_prints_its_serial_client_and_total(api, tenant):
    w = make_world(tenant, stock=50)
    r = api.post("/v1/fullinvoices", invoice_body(w, qty=3, notes="Deliver before noon"), format="json")
    assert r.status_code == 201, r.content
    invoice = r.json()["data"]
    body, text = printed(api, "invoice", invoice["_id"])
    assert body["filename"].endswith(".pdf") and invoice["serial"] in body["filename"]
    assert invoice["serial"] in text and w.client.name in text
    assert amount(invoice["total"]) in text and "Invoice" in text and "Deliver before noon" in text


def test_a_return_prints_as_a_credit_note_and_a_void_is_marked(api, tenant):
    w = make_world(tenant, stock=50)
    sold = api.post("/v1/fullinvoices", invoice_body(w, qty=3), format="json").json()["data"]
    back = api.post("/v1/fullinvoices", invoice_body(w, qty=1, returned_from=sold["_id"]), format="json")
    assert back.status_code == 201, back.content
    returned = back.json()["data"]
    _, text = printed(api, "invoice", returned["_id"])
    assert "Credit note" in text and returned["serial"] in text

    other = api.post("/v1/fullinvoices", invoice_body(w, qty=1), format="json").json()["data"]
    assert api.put(f"/v1/fullinvoices/{other['_id']}", {"is_void": True}, format="json").status_code == 200
    _, text = printed(api, "invoice", other["_id"])
    assert "VOID" in text


def test_a_proforma_prints_as_quote_and_order_too(api, tenant):
    w = make_world(tenant, stock=50)
    proforma = api.post("/v1/proforma", invoice_body(w, qty=2), format="json").json()["data"]
    for kind in ("proforma", "quote", "order"):
        _, text = printed(api, kind, proforma["_id"])
        assert "Proforma" in text and proforma["serial"] in text and amount(proforma["total"]) in text


def test_a_long_invoice_spans_several_pages(api, tenant):
    w = make_world(tenant, stock=0)
    from tests.factories_sales_pricing import make_variant
    from tests.invoice_world import put_stock

    items = []
    for _ in range(120):
        variant = make_variant(tenant, product=w.product, price=Decimal("2.50"))
        put_stock(tenant, w.warehouse, variant, 5)
        items.append({"variant": str(variant.pk), "qty": 1})
    r = api.post("/v1/fullinvoices", {**invoice_body(w), "items": items}, format="json")
    assert r.status_code == 201, r.content
    body, text = printed(api, "invoice", r.json()["data"]["_id"])
    assert body["pages"] > 1 and amount(r.json()["data"]["total"]) in text


def test_the_admin_downloads_an_invoice_pdf(tenant, django_user_model):
    w = make_world(tenant, stock=10)
    from sales.services import invoices

    invoice = invoices.issue_invoice(
        tenant=tenant,
        data={
            "client": w.client,
            "rep": w.rep,
            "warehouse": w.warehouse,
            "items": [{"variant": str(w.variant.pk), "qty": 1}],
        },
    )
    admin = django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.com")
    browser = Client()
    browser.force_login(admin)
    r = browser.post(
        "/admin/sales/invoice/",
        {"action": "download_invoice_pdf", "_selected_action": [str(invoice.pk)]},
    )
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf", r.content[:300]
    _, text = read(b"".join(r.streaming_content) if r.streaming else r.content)
    assert invoice.serial in text and w.client.name in text
    assert sm.Invoice.objects.filter(tenant=tenant).count() == 1


def test_a_payment_prints_as_a_receipt_of_the_invoices_it_paid(api, tenant):
    w = make_world(tenant, stock=50)
    invoice = api.post("/v1/fullinvoices", invoice_body(w, qty=2), format="json").json()["data"]
    total = Decimal(str(invoice["total"]))
    r = api.post(
        "/v1/payments",
        {
            "client": str(w.client.pk),
            "rep": str(w.rep.pk),
            "amount": float(total + 10),
            "paymentMethod": "cash",
            "reference": "RCPT-0042",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body, text = printed(api, "receipt", r.json()["data"]["_id"])
    assert "receipt" in body["filename"].lower()
    assert "Receipt" in text and "RCPT-0042" in text and w.client.name in text
    assert f"Invoice {invoice['serial']}" in text and amount(total) in text
    assert "Unallocated credit" in text and amount(total + 10) in text
