"""`/payments` (family E) through the API: the generic cases, allocation oldest first or to named
invoices, the remainder as `consumption`, never deleted (405), PUT of `amount`/`client` after
allocation 409; invoices' `paymentsData` and `status` in `/fullinvoices` (constant queries)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance.models import Payment
from finance.services import client_ledger
from finance.services import payments as services
from sales.services.invoices import issue_invoice
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.invoice_world import make_world

pytestmark = pytest.mark.django_db
D = Decimal
URL, INVOICES = "/v1/payments", "/v1/fullinvoices"
_worlds: dict = {}


def world_of(tenant):
    if tenant.pk not in _worlds:
        _worlds[tenant.pk] = make_world(tenant, stock=100000, price="10.00", rate="0")
    return _worlds[tenant.pk]


@pytest.fixture
def world(tenant):
    return world_of(tenant)


def issue(world, qty=1, **data):
    body = {
        "client": world.client,
        "rep": world.rep,
        "warehouse": world.warehouse,
        "items": [{"variant": str(world.variant.pk), "qty": qty}],
        **data,
    }
    return issue_invoice(tenant=world.tenant, data=body)


class TestPaymentAPI(ResourceAPICase):
    path = "payments"
    family = "E"
    operations = {"list", "create", "retrieve", "update"}
    update_data = {"reference": "R-2", "description": "corrected", "paymentMethod": "check"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        _worlds.pop(tenant.pk, None)
        self.world = world_of(tenant)

    def make(self, tenant, **kwargs):
        w = world_of(tenant)
        return services.create_payment(tenant=tenant, data={"client": w.client, "amount": 10, **kwargs})

    def get_create_data(self, tenant):
        w = world_of(tenant)
        return {
            "client": str(w.client.pk),
            "rep": str(w.rep.pk),
            "amount": 125.5,
            "paymentMethod": "cash",
            "reference": "R-1",
            "description": "Collected on the visit",
            "date": "2026-02-01T10:00:00.000Z",
            "integration_meta": {"erp": "P-1"},
        }

    @property
    def invalid_data(self):
        base = self.get_create_data(self.world.tenant)
        drop = lambda name: {k: v for k, v in base.items() if k != name}  # noqa: E731
        return [
            {},
            drop("client"),
            drop("amount"),
            {**base, "amount": 0},
            {**base, "amount": -1},
            {**base, "amount": "12"},
            {**base, "client": "nope"},
            {**base, "rep": "nope"},
            {**base, "date": "not a date"},
            {**base, "invoices": "x"},
            {**base, "invoices": [{"amount": 1}]},
            {**base, "invoices": [{"invoice": "nope", "amount": 1}]},
        ]


def post(api, world, **extra):
    body = {"client": str(world.client.pk), "amount": 10, **extra}
    return api.post(URL, body, format="json")


def test_a_payment_allocates_oldest_first_and_answers_its_consumption(api, world):
    old = issue(world, qty=3, issue_date=timezone.now() - dt.timedelta(days=3))
    new = issue(world, qty=3)
    r = post(api, world, amount=45)
    assert r.status_code == 201, r.content
    doc = r.json()["data"]
    assert doc["consumption"] == {"status": "consumed", "remainder": 0.0}
    assert [(a["invoice"], a["amount"]) for a in doc["invoices"]] == [(str(old.pk), 30.0), (str(new.pk), 15.0)]
    inv = api.get(f"{INVOICES}/{new.pk}").json()["data"]
    assert inv["status"] == "partially_paid"
    assert inv["paymentsData"]["invoice_value"] == 30.0
    assert inv["paymentsData"]["paid"] == 15.0 and inv["paymentsData"]["balance"] == 15.0
    assert inv["paymentsData"]["payments"][0]["payment"] == doc["_id"]
    assert api.get(f"{INVOICES}/{old.pk}").json()["data"]["status"] == "paid"
    r = post(api, world, amount=20)
    assert r.json()["data"]["consumption"] == {"status": "partially_consumed", "remainder": 5.0}
    r = post(api, world, amount=20)
    assert r.json()["data"]["consumption"] == {"status": "unconsumed", "remainder": 20.0}
    assert client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk) == D("25")


def test_named_invoices_and_their_422s(api, world):
    a = issue(world, qty=2)
    r = post(api, world, amount=15, invoices=[{"invoice": str(a.pk), "amount": 25}])
    assert r.status_code == 422, r.content
    assert r.json()["details"][0]["path"] == "invoices[0].amount"
    other = ClientFactory(tenant=world.tenant)
    r = api.post(
        URL, {"client": str(other.pk), "amount": 5, "invoices": [{"invoice": str(a.pk), "amount": 5}]}, format="json"
    )
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "invoices[0].invoice"
    r = post(api, world, amount=15, invoices=[{"invoice": str(a.pk), "amount": 12}])
    assert r.status_code == 201
    assert r.json()["data"]["consumption"]["remainder"] == 3.0
    assert not Payment.objects.filter(amount=D(5)).exists()


def test_never_deleted_and_put_guards_the_money_fields(api, world):
    issue(world, qty=1)
    allocated = post(api, world, amount=10).json()["data"]
    assert api.delete(f"{URL}/{allocated['_id']}").status_code == 405
    for change in ({"amount": 11}, {"client": str(ClientFactory(tenant=world.tenant).pk)}, {"date": "2020-01-01"}):
        r = api.put(f"{URL}/{allocated['_id']}", change, format="json")
        assert r.status_code == 409, (change, r.content)
        assert r.json()["details"][0]["path"] == next(iter(change))
    r = api.put(f"{URL}/{allocated['_id']}", {**allocated, "reference": "echo"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["data"]["reference"] == "echo"
    r = api.put(f"{URL}/{allocated['_id']}", {"invoices": []}, format="json")
    assert r.status_code == 409


def test_an_unallocated_payment_may_change_amount_and_client(api, world):
    doc = post(api, world, amount=10).json()["data"]
    other = ClientFactory(tenant=world.tenant)
    r = api.put(f"{URL}/{doc['_id']}", {"amount": 12, "client": str(other.pk)}, format="json")
    assert r.status_code == 200, r.content
    assert client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk) == 0
    assert client_ledger.client_balance(tenant=world.tenant, client_id=other.pk) == D("12")


def test_another_tenants_payment_is_404_and_its_client_unknown(api, world, other_tenant):
    foreign = ClientFactory(tenant=other_tenant)
    r = api.post(URL, {"client": str(foreign.pk), "amount": 5}, format="json")
    assert r.status_code == 400


def test_invoice_list_with_payments_costs_constant_queries(api, world):
    for _ in range(6):
        invoice = issue(world, qty=2)
        services.create_payment(
            tenant=world.tenant,
            data={"client": world.client, "amount": 5, "invoices": [{"invoice": invoice.pk, "amount": 5}]},
        )
        issue(world, qty=1, returned_from=invoice, client=None)
    api.get(INVOICES, {"per_page": 1})
    with CaptureQueriesContext(connection) as small:
        assert api.get(INVOICES, {"per_page": 1}).status_code == 200
    with CaptureQueriesContext(connection) as large:
        r = api.get(INVOICES, {"per_page": 100})
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    docs = {d["_id"]: d for d in r.json()["data"]}
    invoice_doc = docs[str(invoice.pk)]
    assert invoice_doc["paymentsData"] == {
        "invoice_value": 20.0,
        "paid": 5.0,
        "balance": 5.0,
        "payments": invoice_doc["paymentsData"]["payments"],
    }
    assert invoice_doc["status"] == "partially_paid"
