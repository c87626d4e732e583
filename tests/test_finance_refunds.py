"""Refunds (`/refund`, family D, no delete): the generic API cases, the state table (409 naming
both states, final states final), processing posting −amount to the client's ledger once, and
the refundable bound against an invoice (what was paid on it, not yet refunded: 422)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from finance.models import ClientLedgerEntry, Refund
from finance.services import client_ledger, payments
from finance.services import refunds as services
from tests.api_cases import ResourceAPICase
from tests.conftest import client_for
from tests.factories import ClientFactory
from tests.factories_sales_invoices import InvoiceFactory
from tests.factories_sales_organisation import RepFactory

pytestmark = pytest.mark.django_db

URL = "/v1/refund"
DOCUMENTED = {
    "_id", "client", "rep", "invoice", "amount", "reason", "status", "refundMethod", "reference", "notes",
    "processedAt", "integration_meta", "company_namespace", "createdAt", "updatedAt", "__v",
}  # fmt: skip


def paid_invoice(tenant, client, total=100, paid=60):
    invoice = InvoiceFactory(tenant=tenant, client=client, total=Decimal(total))
    if paid:
        payments.create_payment(
            tenant=tenant, data={"client": client, "amount": paid, "invoices": [{"invoice": invoice, "amount": paid}]}
        )
    return invoice


class TestRefundAPI(ResourceAPICase):
    path = "refund"
    family = "D"
    operations = {"list", "create", "retrieve", "update"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        self.client_row, self.rep = ClientFactory(tenant=tenant), RepFactory(tenant=tenant)

    def get_create_data(self, tenant):
        return {
            "client": str(self.client_row.pk),
            "rep": str(self.rep.pk),
            "amount": 25.5,
            "reason": "Damaged goods",
            "refundMethod": "cash",
            "reference": "RF-1",
            "notes": "n",
            "integration_meta": {"erp": 1},
        }

    update_data = {"notes": "checked", "reference": "RF-2", "refundMethod": "bank"}

    @property
    def invalid_data(self):
        base = {"client": str(self.client_row.pk), "amount": 10, "reason": "x"}
        drop = lambda name: {k: v for k, v in base.items() if k != name}  # noqa: E731
        return [
            {},
            drop("client"),
            drop("amount"),
            drop("reason"),
            {**base, "amount": 0},
            {**base, "amount": "10"},
            {**base, "client": "nope"},
            {**base, "invoice": "01900000-0000-7000-8000-000000000000"},
            {**base, "status": "processed"},
        ]

    def make(self, tenant, **kwargs):
        kwargs.setdefault("client", ClientFactory(tenant=tenant))
        kwargs.setdefault("amount", Decimal(10))
        kwargs.setdefault("reason", "r")
        return Refund.objects.create(tenant=tenant, **kwargs)


def test_documented_shape_and_no_delete(api, tenant):
    client = ClientFactory(tenant=tenant)
    r = api.post(URL, {"client": str(client.pk), "amount": 10, "reason": "r", "processedAt": "2025-01-01T00:00:00Z"},
                 format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    doc = r.json()
    assert set(doc) == DOCUMENTED
    assert (doc["status"], doc["processedAt"], doc["invoice"]) == ("pending", None, None)
    assert api.delete(f"{URL}/{doc['_id']}").status_code == 405


def test_state_table_and_processing_moves_the_balance_once(api, tenant):
    client = ClientFactory(tenant=tenant)
    doc = api.post(URL, {"client": str(client.pk), "amount": 30, "reason": "r"}, format="json").json()
    url = f"{URL}/{doc['_id']}"
    r = api.put(url, {"status": "processed"}, format="json")
    assert r.status_code == 409, r.content
    detail = r.json()["details"][0]
    assert (detail["current"], detail["requested"]) == ("pending", "processed")
    assert api.put(url, {"status": "approved"}, format="json").json()["status"] == "approved"
    r = api.put(url, {"status": "processed"}, format="json")
    assert r.status_code == 200 and r.json()["processedAt"] is not None
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(-30)
    entries = ClientLedgerEntry.objects.filter(document_type="refund", document_id=doc["_id"])
    assert [e.amount for e in entries] == [Decimal(-30)]
    for requested in ("processed", "approved", "pending", "rejected"):
        if requested == "processed":
            assert api.put(url, {"status": "processed"}, format="json").status_code == 200  # same state: no-op
            continue
        r = api.put(url, {"status": requested}, format="json")
        assert r.status_code == 409, (requested, r.content)
        assert r.json()["details"][0]["current"] == "processed"
    assert entries.count() == 1
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(-30)
    # the money fields never change; the others may
    r = api.put(url, {"amount": 5}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "amount"
    assert api.put(url, {"notes": "ok"}, format="json").json()["notes"] == "ok"
    # rejected is final too
    other = api.post(URL, {"client": str(client.pk), "amount": 5, "reason": "r"}, format="json").json()
    assert api.put(f"{URL}/{other['_id']}", {"status": "rejected"}, format="json").status_code == 200
    r = api.put(f"{URL}/{other['_id']}", {"status": "approved"}, format="json")
    assert r.status_code == 409 and "final" in r.json()["error"]
    assert api.put(f"{URL}/{other['_id']}", {"status": "bogus"}, format="json").status_code == 400


def test_refund_against_an_invoice_is_bounded_by_what_was_paid(api, tenant, other_tenant):
    client = ClientFactory(tenant=tenant)
    invoice = paid_invoice(tenant, client, total=100, paid=60)
    body = {"client": str(client.pk), "invoice": str(invoice.pk), "reason": "r"}
    r = api.post(URL, {**body, "amount": 60.01}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "amount", r.content
    assert api.post(URL, {**body, "amount": 40}, format="json").status_code == 201
    r = api.post(URL, {**body, "amount": 20.01}, format="json")  # 40 already promised
    assert r.status_code == 422 and r.json()["details"][0]["refundable"] == 20
    rejected = api.post(URL, {**body, "amount": 20}, format="json").json()
    assert api.put(f"{URL}/{rejected['_id']}", {"status": "rejected"}, format="json").status_code == 200
    assert api.post(URL, {**body, "amount": 20}, format="json").status_code == 201  # a rejection frees its share
    assert services.refundable(tenant=tenant, invoice_id=invoice.pk) == 0
    # another client's invoice, an unpaid one, a void one
    stranger = paid_invoice(tenant, ClientFactory(tenant=tenant))
    r = api.post(URL, {**body, "invoice": str(stranger.pk), "amount": 1}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "invoice"
    unpaid = paid_invoice(tenant, client, paid=0)
    assert api.post(URL, {**body, "invoice": str(unpaid.pk), "amount": 1}, format="json").status_code == 422
    void = InvoiceFactory(tenant=tenant, client=client, total=50, is_void=True)
    r = api.post(URL, {**body, "invoice": str(void.pk), "amount": 1}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "invoice"
    foreign = InvoiceFactory(tenant=other_tenant)
    r = api.post(URL, {**body, "invoice": str(foreign.pk), "amount": 1}, format="json")
    assert r.status_code == 400 and r.json()["details"][0]["path"] == "invoice"


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_on_one_invoice_never_exceed_what_was_paid(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")
    client = ClientFactory(tenant=tenant)
    invoice = paid_invoice(tenant, client, total=100, paid=100)
    n = 8
    apis = [client_for(tenant) for _ in range(n)]
    barrier, codes, errors = threading.Barrier(n), [], []

    def work(i):
        try:
            barrier.wait()
            body = {"client": str(client.pk), "invoice": str(invoice.pk), "amount": 30, "reason": "r"}
            codes.append(apis[i].post(URL, body, format="json").status_code)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(codes) == [201] * 3 + [422] * 5
    assert services.refunded_on(tenant=tenant, invoice_id=invoice.pk) == 90


@pytest.mark.django_db(transaction=True)
def test_processing_racing_posts_once(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")
    client = ClientFactory(tenant=tenant)
    refund = services.create_refund(tenant=tenant, data={"client": client, "amount": Decimal(30), "reason": "r"})
    services.transition(refund=refund, status="approved")
    n = 4
    apis = [client_for(tenant) for _ in range(n)]
    barrier, codes = threading.Barrier(n), []

    def work(i):
        try:
            barrier.wait()
            codes.append(apis[i].put(f"{URL}/{refund.pk}", {"status": "processed"}, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(code == 200 for code in codes), codes  # the later ones find it processed: a no-op
    assert ClientLedgerEntry.objects.filter(document_type="refund", document_id=refund.pk).count() == 1
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(-30)
