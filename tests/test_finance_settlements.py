"""`/settlement` and `/adjust-account` (family D, create and read only): the generic cases, the
settlement's rules (422 naming the document or the side), its effect on invoices and payments but
not on the balance; adjustments' previous/new balance from the ledger, immutability."""

from decimal import Decimal

import pytest

from finance.models import ClientLedgerEntry
from finance.services import client_ledger
from finance.services import payments as pay
from finance.services import settlements as services
from sales.services.invoices import issue_invoice
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.invoice_world import make_world

pytestmark = pytest.mark.django_db
D = Decimal
SETTLE, ADJUST = "/v1/settlement", "/v1/adjust-account"
_worlds: dict = {}


def world_of(tenant):
    if tenant.pk not in _worlds:
        _worlds[tenant.pk] = make_world(tenant, stock=100000, price="10.00", rate="0")
    return _worlds[tenant.pk]


@pytest.fixture
def world(tenant):
    _worlds.pop(tenant.pk, None)
    return world_of(tenant)


def issue(world, qty=1, **data):
    body = {"client": world.client, "rep": world.rep, "warehouse": world.warehouse,
            "items": [{"variant": str(world.variant.pk), "qty": qty}], **data}  # fmt: skip
    return issue_invoice(tenant=world.tenant, data=body)


def credit(world, amount):
    """A payment made before the invoices exist: all of it unconsumed."""
    return pay.create_payment(tenant=world.tenant, data={"client": world.client, "amount": amount})


def settle_body(world, invoices, payments, **extra):
    return {
        "client": str(world.client.pk),
        "invoices": [{"invoice": str(i.pk), "amount": a} for i, a in invoices],
        "payments": [{"payment": str(p.pk), "amount": a} for p, a in payments],
        **extra,
    }


class TestSettlementAPI(ResourceAPICase):
    path = "settlement"
    family = "D"
    operations = {"list", "create", "retrieve"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        _worlds.pop(tenant.pk, None)
        self.world = world_of(tenant)

    def make(self, tenant, **kwargs):
        w = world_of(tenant)
        p = credit(w, 10)
        i = issue(w, qty=1)
        return services.create_settlement(tenant=tenant, data=settle_body(w, [(i, 10)], [(p, 10)]))

    def get_create_data(self, tenant):
        w = world_of(tenant)
        p = credit(w, 30)
        a, b = issue(w, qty=1), issue(w, qty=2)
        return {**settle_body(w, [(a, 10), (b, 15)], [(p, 25)]), "rep": str(w.rep.pk), "notes": "month end"}

    @property
    def invalid_data(self):
        w = self.world
        return [
            {},
            {"client": str(w.client.pk), "invoices": [], "payments": []},
            {"client": str(w.client.pk)},
            {
                "client": "nope",
                "invoices": [{"invoice": "x", "amount": 1}],
                "payments": [{"payment": "y", "amount": 1}],
            },
            {"client": str(w.client.pk), "invoices": "x", "payments": "y"},
            {"client": str(w.client.pk), "invoices": [{"amount": 1}], "payments": [{"payment": "x", "amount": 1}]},
        ]


def test_a_settlement_applies_remainders_to_invoices_not_the_balance(api, world):
    p1, p2 = credit(world, 20), credit(world, 15)
    a, b = issue(world, qty=2), issue(world, qty=3)
    before = client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk)
    r = api.post(SETTLE, settle_body(world, [(a, 20), (b, 12)], [(p1, 20), (p2, 12)]), format="json")
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["totalAmount"] == 32.0 and doc["status"] == "completed" and doc["settlementDate"]
    assert sorted((i["invoice"], i["amount"]) for i in doc["invoices"]) == sorted(
        [(str(a.pk), 20.0), (str(b.pk), 12.0)]
    )
    assert client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk) == before
    assert pay.invoice_open_balance(tenant=world.tenant, invoice_id=a.pk) == 0
    assert pay.invoice_open_balance(tenant=world.tenant, invoice_id=b.pk) == D("18")
    p1.refresh_from_db(), p2.refresh_from_db()
    assert (p1.consumption_status, p2.consumption_status, p2.remainder) == ("consumed", "partially_consumed", D("3"))
    inv = api.get(f"/v1/fullinvoices/{b.pk}").json()["data"]
    assert inv["status"] == "partially_paid" and inv["paymentsData"]["payments"][0]["settlement"] == doc["_id"]
    assert api.put(f"{SETTLE}/{doc['_id']}", {}, format="json").status_code == 405
    assert api.delete(f"{SETTLE}/{doc['_id']}").status_code == 405


@pytest.mark.parametrize(
    "case, path",
    [
        ("over_invoice", "invoices[0].amount"),
        ("over_payment", "payments[0].amount"),
        ("unbalanced", "payments"),
        ("other_client_invoice", "invoices[0].invoice"),
        ("other_client_payment", "payments[0].payment"),
        ("void_invoice", "invoices[0].invoice"),
        ("twice_over", "invoices[1].amount"),
    ],
)
def test_settlement_rules_are_422_naming_the_document_or_side(api, world, case, path):
    p = credit(world, 50)
    a = issue(world, qty=2)  # 20
    other = ClientFactory(tenant=world.tenant)
    invoices, payments = [(a, 10)], [(p, 10)]
    if case == "over_invoice":
        invoices, payments = [(a, 25)], [(p, 25)]
    elif case == "over_payment":
        small = credit(world, 5)
        payments = [(small, 10)]
    elif case == "unbalanced":
        payments = [(p, 9)]
    elif case == "other_client_invoice":
        foreign = issue(world, qty=1, client=other)
        invoices = [(foreign, 10)]
    elif case == "other_client_payment":
        payments = [(pay.create_payment(tenant=world.tenant, data={"client": other, "amount": 10}), 10)]
    elif case == "void_invoice":
        from sales.services.invoices import void_invoice

        void = issue(world, qty=1)
        void_invoice(invoice=void)
        invoices = [(void, 10)]
    elif case == "twice_over":
        invoices, payments = [(a, 15), (a, 10)], [(p, 25)]
    paid = pay.invoice_paid(tenant=world.tenant, invoice_id=a.pk)
    r = api.post(SETTLE, settle_body(world, invoices, payments), format="json")
    assert r.status_code == 422, r.content
    assert r.json()["details"][0]["path"] == path
    assert pay.invoice_paid(tenant=world.tenant, invoice_id=a.pk) == paid


class TestAdjustAccountAPI(ResourceAPICase):
    path = "adjust-account"
    family = "D"
    operations = {"list", "create", "retrieve"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        _worlds.pop(tenant.pk, None)
        self.world = world_of(tenant)

    def make(self, tenant, **kwargs):
        w = world_of(tenant)
        return services.adjust_account(
            tenant=tenant, data={"client": w.client, "type": "credit", "amount": 5, "reason": "goodwill", **kwargs}
        )

    def get_create_data(self, tenant):
        w = world_of(tenant)
        return {
            "client": str(w.client.pk), "rep": str(w.rep.pk), "type": "debit", "amount": 12.5,
            "reason": "bank charges", "reference": "ADJ-1", "description": "fees",
            "adjustmentDate": "2026-01-05T00:00:00.000Z",
        }  # fmt: skip

    @property
    def invalid_data(self):
        base = self.get_create_data(self.world.tenant)
        drop = lambda name: {k: v for k, v in base.items() if k != name}  # noqa: E731
        return [
            {}, drop("client"), drop("type"), drop("amount"), drop("reason"),
            {**base, "type": "sideways"}, {**base, "amount": 0}, {**base, "amount": -3}, {**base, "client": "x"},
        ]  # fmt: skip


def test_adjustments_read_the_ledger_at_that_moment(api, world):
    issue(world, qty=4)  # -40
    r = api.post(
        ADJUST, {"client": str(world.client.pk), "type": "credit", "amount": 15, "reason": "promo"}, format="json"
    )
    assert r.status_code == 201, r.content
    assert (r.json()["previousBalance"], r.json()["newBalance"]) == (-40.0, -25.0)
    r = api.post(ADJUST, {"client": str(world.client.pk), "type": "debit", "amount": 5, "reason": "fee"}, format="json")
    assert (r.json()["previousBalance"], r.json()["newBalance"]) == (-25.0, -30.0)
    doc = r.json()
    assert ClientLedgerEntry.objects.get(document_id=doc["_id"]).amount == D("-5")
    assert api.put(f"{ADJUST}/{doc['_id']}", {"amount": 1}, format="json").status_code == 405
    assert api.delete(f"{ADJUST}/{doc['_id']}").status_code == 405
    assert client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk) == D("-30")


# Admin ---------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant, django_user_model):
    from tests.admin_world import make_staff

    return make_staff(tenant)


def test_admin_adds_payments_and_adjustments_through_the_services(client, staff, world):
    from finance.models import AccountAdjustment, Payment

    client.force_login(staff)
    invoice = issue(world, qty=3)  # 30
    form = {
        "client": world.client.pk, "amount": "12.00", "payment_method": "cash", "reference": "ADM-1",
        "date_0": "2026-02-01", "date_1": "10:00:00", "integration_meta": "{}",
        "allocations-TOTAL_FORMS": "0", "allocations-INITIAL_FORMS": "0",
    }  # fmt: skip
    r = client.post("/admin/finance/payment/add/", form)
    assert r.status_code == 302, r.text[:3000]
    payment = Payment.objects.get(reference="ADM-1")
    assert pay.invoice_paid(tenant=world.tenant, invoice_id=invoice.pk) == D("12")
    page = client.get(f"/admin/finance/payment/{payment.pk}/change/")
    assert page.status_code == 200 and str(invoice.pk) in page.text or invoice.serial in page.text
    assert 'name="amount"' not in page.text  # allocated: the money fields are read-only
    r = client.post("/admin/finance/payment/add/", {**form, "amount": "-3", "reference": "ADM-2"})
    assert not Payment.objects.filter(reference="ADM-2").exists()
    adjust = {
        "client": world.client.pk, "type": "debit", "amount": "5.00", "reason": "fee",
        "adjustment_date_0": "2026-02-02", "adjustment_date_1": "09:00:00", "integration_meta": "{}",
    }  # fmt: skip
    r = client.post("/admin/finance/accountadjustment/add/", adjust)
    assert r.status_code == 302, r.text[:3000]
    adjustment = AccountAdjustment.objects.get(reason="fee")
    assert (adjustment.previous_balance, adjustment.new_balance) == (D("-18"), D("-23"))
    page = client.get(f"/admin/clients/client/{world.client.pk}/change/")
    assert page.status_code == 200
    assert "-23.00" in page.text and "adjust_account" in page.text and invoice.serial in page.text


def test_demo_data_has_payments_a_settlement_and_an_adjustment(db):
    from io import StringIO

    from django.core.management import call_command

    from core.models import Tenant
    from finance.models import AccountAdjustment, Payment, Settlement

    call_command("load_demo_data", "--admin-password", "pw", stdout=StringIO())
    demo = Tenant.objects.get(namespace="demo")
    # the demo contract's first installment is paid through /pay: a fifth payment, its own
    assert Payment.objects.filter(tenant=demo).exclude(description__startswith="Installment ").count() == 4
    assert Settlement.objects.filter(tenant=demo, status="completed").count() == 1
    assert AccountAdjustment.objects.filter(tenant=demo).count() == 1
    statuses = {p.consumption_status for p in Payment.objects.filter(tenant=demo)}
    assert statuses >= {"consumed", "unconsumed"}
    out = StringIO()
    call_command("check_ledgers", stdout=out)
    assert "No differences" in out.getvalue()
    call_command("load_demo_data", "--admin-password", "pw", stdout=StringIO())  # idempotent
    assert Payment.objects.filter(tenant=demo).count() == 5
