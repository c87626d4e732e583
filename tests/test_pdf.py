"""PDFs of documents: the renderer (real PDFs, read back with pypdf), the loader registry,
`POST /quick-convert-to-pdf`, the signed links and the admin's "Download PDF" helpers."""

import datetime as dt
import io
import json
import uuid
import zipfile
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from core import pdf
from core.pdf import documents as registry
from core.pdf.links import LinkExpired, LinkInvalid, read_link, store_pdf
from tests.openapi_check import conforms

pytestmark = pytest.mark.django_db

URL = "/v1/quick-convert-to-pdf"
A3_LANDSCAPE = (1190.55, 841.89)
LETTER = (612.0, 792.0)


def make_document(*, lines=3, serial="INV-2024-001001", client="Cedar Pharmacy", **kwargs) -> pdf.PrintableDocument:
    items = [
        pdf.PrintableLine(
            description=f"Paracetamol 500 mg, box of {i + 1}",
            qty=Decimal(2),
            unit="box",
            price=Decimal("12.50"),
            discount=Decimal("1.00"),
            tax=Decimal("3.84"),
            total=Decimal("27.84"),
        )
        for i in range(lines)
    ]
    total = Decimal("27.84") * lines
    return pdf.PrintableDocument(
        title="Invoice",
        serial=serial,
        company=pdf.Party(name="Acme Trading", address="1 Main Street\nAmman", tax_id="JO-1234", phone="+962 6 555"),
        client=pdf.Party(name=client, address="Irbid", tax_id="JO-9876", email="buyer@cedar.test"),
        lines=items,
        totals=pdf.Totals(
            total=total,
            subtotal=Decimal(25) * lines,
            discount=Decimal(1) * lines,
            tax=Decimal("3.84") * lines,
            extra={"Paid": Decimal(0), "Balance due": total},
        ),
        dates={"Issue date": dt.date(2024, 5, 1), "Due date": dt.date(2024, 5, 31)},
        tax_summary=[pdf.TaxSummaryRow(name="VAT 16%", base=Decimal(24) * lines, amount=Decimal("3.84") * lines)],
        notes="Goods remain ours until paid.",
        currency="JOD",
        **kwargs,
    )


def read(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def size_of(page) -> tuple[float, float]:
    return round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)


# The renderer -------------------------------------------------------------------------------------
def test_the_pdf_holds_serial_client_lines_taxes_and_total():
    rendered = pdf.render_pdf(make_document())
    reader, text = read(rendered.content)
    assert rendered.content.startswith(b"%PDF-") and rendered.pages == len(reader.pages) == 1
    for expected in (
        "Invoice",
        "INV-2024-001001",
        "Cedar Pharmacy",
        "Acme Trading",
        "JO-9876",
        "Paracetamol 500 mg, box of 3",
        "VAT 16%",
        "JOD 83.52",  # the total
        "Balance due",
        "2024-05-31",
        "Goods remain ours until paid.",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert size_of(reader.pages[0]) == (595.28, 841.89)  # A4 portrait by default
    assert reader.metadata.title == "Invoice INV-2024-001001"


def test_two_hundred_lines_span_several_pages_and_the_count_is_real():
    rendered = pdf.render_pdf(make_document(lines=200))
    reader, text = read(rendered.content)
    assert rendered.pages > 1 and rendered.pages == len(reader.pages)
    assert f"Page {rendered.pages} of {rendered.pages}" in text
    assert "Paracetamol 500 mg, box of 200" in text and "JOD 5,568.00" in text
    assert all("Description" in page.extract_text() for page in reader.pages[:-1])  # the header row repeats


@pytest.mark.parametrize(
    ("options", "size"),
    [
        (pdf.PdfOptions(format="A3", orientation="landscape"), A3_LANDSCAPE),
        (pdf.PdfOptions(format="Letter"), LETTER),
        (pdf.PdfOptions(format="A4", orientation="landscape"), (841.89, 595.28)),
    ],
)
def test_page_format_and_orientation(options, size):
    reader, _ = read(pdf.render_pdf(make_document(lines=40), options).content)
    assert all(size_of(page) == size for page in reader.pages)


def test_watermark_header_and_footer_options():
    reader, text = read(pdf.render_pdf(make_document(lines=60), pdf.PdfOptions(watermark="COPY")).content)
    assert all("COPY" in page.extract_text() for page in reader.pages)  # on every page
    bare = pdf.PdfOptions(include_header=False, include_footer=False)
    _, plain = read(pdf.render_pdf(make_document(), bare).content)
    assert "COPY" not in plain and "Page 1 of" not in plain and "Page 1 of" in text
    assert plain.count("Acme Trading") < text.count("Acme Trading")  # no company in a header or footer


def test_text_is_printed_as_text_whatever_it_holds():
    """Markup, long values and characters outside the font never break the rendering."""
    document = make_document(client='<b>Bold & "Co"</b>', serial="S<1>", status="void")
    document.lines[0].description = "x" * 5000
    document.client.address = "\n".join(f"line {i}" for i in range(200))
    document.lines[1].description = "مرحبا 中文 ☃"
    rendered = pdf.render_pdf(document)
    _, text = read(rendered.content)
    assert '<b>Bold & "Co"</b>' in text and "S<1>" in text and "VOID" in text


def test_registry_maps_order_and_quote_to_proforma(tenant):
    found = []
    saved = dict(registry._LOADERS)
    try:
        pdf.register_printable("proforma", lambda t, pk: found.append((t, pk)) or make_document())
        for kind in ("proforma", "order", "quote"):
            assert pdf.load_printable(document_type=kind, tenant=tenant, document_id=str(uuid.uuid4())) is not None
        assert len(found) == 3
        assert pdf.load_printable(document_type="order", tenant=tenant, document_id="nope") is None
        with pytest.raises(ValueError):
            pdf.register_printable("quote", lambda t, pk: None)
        with pytest.raises(pdf.UnknownDocumentType):
            pdf.load_printable(document_type="bill", tenant=tenant, document_id=str(uuid.uuid4()))
        pdf.unregister_printable("proforma")
        with pytest.raises(pdf.NoLoader):
            pdf.load_printable(document_type="quote", tenant=tenant, document_id=str(uuid.uuid4()))
    finally:
        registry._LOADERS.clear()
        registry._LOADERS.update(saved)


# The endpoint -------------------------------------------------------------------------------------
@pytest.fixture
def documents(tenant, other_tenant):
    """A test loader for invoices and proformas over documents kept in memory per tenant."""
    kept = {}
    saved = dict(registry._LOADERS)

    def loader(kind):
        return lambda owner, pk: kept.get((kind, owner.pk, pk))

    pdf.register_printable("invoice", loader("invoice"))
    pdf.register_printable("proforma", loader("proforma"))
    registry._LOADERS.pop("receipt", None)

    def add(owner, kind="invoice", **kwargs):
        pk = uuid.uuid4()
        kept[(kind, owner.pk, pk)] = make_document(**kwargs)
        return str(pk)

    yield add
    registry._LOADERS.clear()
    registry._LOADERS.update(saved)


def fetch(url: str):
    """GET a pdfUrl as a browser would: no key."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return Client().get(parts.path)


def test_convert_answers_a_signed_link_to_the_real_pdf(api, tenant, documents):
    document_id = documents(tenant, lines=200)
    r = api.post(URL, {"documentType": "invoice", "documentId": document_id}, format="json")
    body = conforms(r, "post", URL)
    assert r.status_code == 200
    assert set(body) == {"success", "pdfUrl", "filename", "size", "pages", "generatedAt", "expiresAt"}
    assert body["success"] is True and body["filename"] == "invoice-INV-2024-001001.pdf"
    generated = dt.datetime.fromisoformat(body["generatedAt"].replace("Z", "+00:00"))
    expires = dt.datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert expires - generated == dt.timedelta(seconds=86400)

    served = fetch(body["pdfUrl"])
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert 'filename="invoice-INV-2024-001001.pdf"' in served["Content-Disposition"]
    assert served["Referrer-Policy"] == "no-referrer"
    content = b"".join(served.streaming_content)
    assert len(content) == body["size"]
    reader, text = read(content)
    assert body["pages"] == len(reader.pages) > 1
    assert "INV-2024-001001" in text and "Cedar Pharmacy" in text and "JOD 5,568.00" in text


def test_links_are_unguessable_and_distinct(api, tenant, documents):
    document_id = documents(tenant)
    body = {"documentType": "invoice", "documentId": document_id}
    first, second = (api.post(URL, body, format="json").json()["pdfUrl"] for _ in range(2))
    assert first != second and len(urlsplit(first).path) > 100


def test_options_reach_the_pdf(api, tenant, documents):
    document_id = documents(tenant, lines=80)
    options = {"format": "A3", "orientation": "landscape", "watermark": "DRAFT", "includeFooter": False}
    body = api.post(URL, {"documentType": "invoice", "documentId": document_id, "options": options}, format="json")
    reader, text = read(b"".join(fetch(body.json()["pdfUrl"]).streaming_content))
    assert all(size_of(page) == A3_LANDSCAPE for page in reader.pages)
    assert "DRAFT" in text and "Page 1 of" not in text


def test_order_and_quote_print_the_proforma(api, tenant, documents):
    proforma = documents(tenant, kind="proforma", serial="PF-000007")
    for kind in ("proforma", "order", "quote"):
        r = api.post(URL, {"documentType": kind, "documentId": proforma}, format="json")
        assert r.status_code == 200, (kind, r.content)
        assert r.json()["filename"] == "proforma-PF-000007.pdf"
    # an invoice id is not a proforma
    invoice = documents(tenant)
    assert api.post(URL, {"documentType": "quote", "documentId": invoice}, format="json").status_code == 404


def test_unknown_foreign_or_unprintable_documents_are_404(api, tenant, other_tenant, documents):
    theirs = documents(other_tenant)
    for document_id in (theirs, str(uuid.uuid4()), "not-an-id", "60f7b1b3e4b0e8b3f8b3f8b3"):
        r = api.post(URL, {"documentType": "invoice", "documentId": document_id}, format="json")
        assert r.status_code == 404, (document_id, r.content)
        conforms(r, "post", URL)
    r = api.post(URL, {"documentType": "receipt", "documentId": str(uuid.uuid4())}, format="json")
    assert r.status_code == 404 and "'receipt' cannot be printed yet" in r.json()["error"]
    conforms(r, "post", URL)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"documentType": "bill"}, "documentType"),
        ({"documentType": None}, "documentType"),
        ({"documentId": 5}, "documentId"),
        ({"documentId": None}, "documentId"),
        ({"template": "fancy"}, "template"),
        ({"language": "xx"}, "language"),
        ({"options": []}, "options"),
        ({"options": {"format": "A5"}}, "options.format"),
        ({"options": {"orientation": "diagonal"}}, "options.orientation"),
        ({"options": {"watermark": "x" * 61}}, "options.watermark"),
        ({"options": {"includeHeader": "yes"}}, "options.includeHeader"),
        ({"options": {"orientaton": "landscape"}}, "options.orientaton"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(api, tenant, documents, change, field):
    body = {"documentType": "invoice", "documentId": documents(tenant), **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = api.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["details"][0]["path"] == field
    conforms(r, "post", URL)


def test_the_endpoint_needs_a_key_and_only_answers_post(api, tenant, documents):
    body = {"documentType": "invoice", "documentId": documents(tenant)}
    conforms(APIClient().post(URL, body, format="json"), "post", URL)  # 401
    assert APIClient().post(URL, body, format="json").status_code == 401
    assert api.get(URL).status_code == 405
    assert api.put(URL, body, format="json").status_code == 405
    assert api.post("/quick-convert-to-pdf", body, format="json").status_code == 200  # the SDK's root path
    assert api.post(URL, "[1", content_type="application/json").status_code == 400
    options = api.options(URL)
    assert options.status_code == 200 and "documentType" in json.dumps(options.json())


# Signed links ---------------------------------------------------------------------------------------
def test_a_tampered_or_foreign_token_is_404(api, tenant, documents):
    url = api.post(URL, {"documentType": "invoice", "documentId": documents(tenant)}, format="json").json()["pdfUrl"]
    path = urlsplit(url).path
    token = path.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, token[:-1], token + "x", "x" * 40, ".eJx", token.replace(":", ".", 1)):
        r = Client().get(f"/pdf/{bad}")
        assert r.status_code == 404, bad
        assert r.json()["success"] is False
    from django.core import signing

    forged = signing.dumps({"t": str(tenant.pk), "p": "pdf/x/y/z.pdf", "f": "z.pdf", "e": 2**50}, salt="other")
    assert Client().get(f"/pdf/{forged}").status_code == 404
    assert Client().get(path).status_code == 200
    assert Client().post(path).status_code == 405


def test_an_expired_link_is_410(tenant, documents):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    made = store_pdf(tenant=tenant, document=make_document(), options=pdf.PdfOptions(), now=past)
    assert made.expires_at == past + dt.timedelta(seconds=86400)
    r = Client().get(f"/pdf/{made.token}")
    assert r.status_code == 410 and "expired" in r.json()["error"]
    # at the edge, with the clock given
    fresh = store_pdf(tenant=tenant, document=make_document(), options=pdf.PdfOptions())
    expiry = fresh.expires_at.timestamp()
    assert read_link(fresh.token, now=expiry - 0.001)["f"] == "Invoice-INV-2024-001001.pdf"
    with pytest.raises(LinkExpired):
        read_link(fresh.token, now=expiry)
    with pytest.raises(LinkInvalid):
        read_link(fresh.token + "0", now=expiry - 1)


def test_the_ttl_comes_from_the_settings(api, tenant, documents, settings):
    settings.PDF_LINK_TTL_SECONDS = 60
    body = api.post(URL, {"documentType": "invoice", "documentId": documents(tenant)}, format="json").json()
    generated = dt.datetime.fromisoformat(body["generatedAt"].replace("Z", "+00:00"))
    expires = dt.datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert expires - generated == dt.timedelta(seconds=60)


def test_a_purged_file_or_a_disabled_company_ends_the_link(api, tenant, documents):
    url = api.post(URL, {"documentType": "invoice", "documentId": documents(tenant)}, format="json").json()["pdfUrl"]
    path = urlsplit(url).path
    payload = read_link(path.rsplit("/", 1)[1])
    assert payload["p"].startswith(f"pdf/{tenant.pk}/") and default_storage.exists(payload["p"])
    tenant.is_active = False
    tenant.save()
    assert Client().get(path).status_code == 404
    tenant.is_active = True
    tenant.save()
    out = io.StringIO()
    call_command("purge_pdfs", "--older-than", "0", stdout=out)
    assert "deleted" in out.getvalue() and not default_storage.exists(payload["p"])
    assert Client().get(path).status_code == 410


def test_purge_keeps_files_younger_than_the_ttl(tenant):
    made = store_pdf(tenant=tenant, document=make_document(), options=pdf.PdfOptions())
    out = io.StringIO()
    call_command("purge_pdfs", stdout=out)
    assert default_storage.exists(made.path) and "deleted 0" in out.getvalue()


# Admin helpers ------------------------------------------------------------------------------------
def test_pdf_response_is_an_attachment_of_the_rendered_document():
    response = pdf.pdf_response(make_document(lines=120), document_type="invoice")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice-INV-2024-001001.pdf"'
    reader, text = read(response.content)
    assert int(response["X-PDF-Pages"]) == len(reader.pages) > 1 and "Cedar Pharmacy" in text


def test_download_pdf_action_prints_one_or_several_rows(rf, tenant, other_tenant):
    """The action an invoice or proforma admin lists: one row gives its PDF, several a ZIP; rows
    the loader does not know are left out. Counter rows stand in for documents here."""
    from finance.models import InvoiceSerialCounter
    from tests.factories_finance import InvoiceSerialCounterFactory

    rows = [InvoiceSerialCounterFactory(tenant=tenant) for _ in range(3)]
    printable = {row.pk: make_document(serial=f"S-{i}") for i, row in enumerate(rows[:2])}
    saved = dict(registry._LOADERS)
    messages_sent = []

    class FakeAdmin:
        def message_user(self, request, message, level):
            messages_sent.append(message)

    try:
        pdf.register_printable("invoice", lambda owner, pk: printable.get(pk) if owner == tenant else None)
        action = pdf.download_pdf_action("invoice")
        assert action.__name__ == "download_invoice_pdf"
        request = rf.post("/admin/")
        one = action(FakeAdmin(), request, InvoiceSerialCounter.objects.filter(pk=rows[0].pk))
        assert one["Content-Disposition"] == 'attachment; filename="invoice-S-0.pdf"'
        assert "S-0" in read(one.content)[1]
        several = action(FakeAdmin(), request, InvoiceSerialCounter.objects.filter(tenant=tenant))
        assert several["Content-Type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(several.content)) as archive:
            assert sorted(archive.namelist()) == ["invoice-S-0.pdf", "invoice-S-1.pdf"]
            assert "S-1" in read(archive.read("invoice-S-1.pdf"))[1]
        assert action(FakeAdmin(), request, InvoiceSerialCounter.objects.filter(pk=rows[2].pk)) is None
        assert messages_sent == ["Nothing to print."]
    finally:
        registry._LOADERS.clear()
        registry._LOADERS.update(saved)


def test_the_schema_documents_the_endpoint(api):
    from tests.openapi_check import operation

    op = operation("post", URL)
    assert op["summary"] == "Convert document to PDF"
    assert {"200", "400", "401", "404"} <= set(op["responses"])
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert json.dumps(body)  # a real schema, referenced or inline
