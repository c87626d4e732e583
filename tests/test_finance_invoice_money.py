"""The invoice side of the client ledger: an invoice posts −total, a return +total, a void the
reversal once (409 when payments are allocated); `dueDate` from the client's payment term;
credit control (422 naming the limit and the amounts); the `client` checker of check_ledgers."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.api.exceptions import Conflict, Unprocessable
from finance.models import ClientAccount, ClientLedgerEntry
from finance.services import client_ledger, payments
from sales.services.invoices import issue_invoice, update_invoice, void_invoice
from tests.factories_finance import PaymentTermFactory
from tests.invoice_world import make_world

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/v1/fullinvoices"


@pytest.fixture
def world(tenant):
    return make_world(tenant, stock=100000, price="10.00", rate="0")


def issue(world, qty=1, **data):
    body = {
        "client": world.client,
        "rep": world.rep,
        "warehouse": world.warehouse,
        "items": [{"variant": str(world.variant.pk), "qty": qty}],
        **data,
    }
    return issue_invoice(tenant=world.tenant, data=body)


def ret(world, invoice, qty=1):
    return issue(world, qty=qty, returned_from=invoice, client=None)


def balance(world):
    return client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk)


def entries(world):
    return list(
        ClientLedgerEntry.objects.filter(tenant=world.tenant, client=world.client)
        .order_by("created_at", "id")
        .values_list("document_type", "amount")
    )


def test_invoice_return_and_void_post_to_the_client_ledger(world):
    invoice = issue(world, qty=5)  # 50
    assert balance(world) == D("-50")
    back = ret(world, invoice, qty=2)  # 20
    assert balance(world) == D("-30")
    assert payments.invoice_open_balance(tenant=world.tenant, invoice_id=invoice.pk) == D("30")
    void_invoice(invoice=back)
    void_invoice(invoice=back)  # a second void changes nothing
    assert balance(world) == D("-50")
    assert payments.invoice_open_balance(tenant=world.tenant, invoice_id=invoice.pk) == D("50")
    void_invoice(invoice=invoice)
    assert balance(world) == 0
    assert entries(world) == [
        ("invoice", D("-50")), ("return_invoice", D("20")), ("void_invoice", D("-20")), ("void_invoice", D("50")),
    ]  # fmt: skip
    assert ClientAccount.objects.get(client=world.client).balance == sum(a for _, a in entries(world))


def test_an_invoice_with_payments_cannot_be_voided(world):
    invoice = issue(world, qty=2)
    payments.create_payment(tenant=world.tenant, data={"client": world.client, "amount": 5})
    with pytest.raises(Conflict, match="payments"):
        void_invoice(invoice=invoice)
    invoice.refresh_from_db()
    assert not invoice.is_void and balance(world) == D("-15")


def test_a_return_of_the_unpaid_part_makes_a_partly_paid_invoice_paid(world):
    invoice = issue(world, qty=4)  # 40
    payments.create_payment(tenant=world.tenant, data={"client": world.client, "amount": 30})
    invoice.refresh_from_db()
    assert invoice.status == "partially_paid"
    ret(world, invoice, qty=1)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert payments.invoice_open_balance(tenant=world.tenant, invoice_id=invoice.pk) == 0


def test_the_due_date_defaults_to_the_clients_term(world, api):
    term = PaymentTermFactory(tenant=world.tenant, days=30, discount_days=5)
    world.client.payment_term = str(term.pk)
    world.client.save()
    invoice = issue(world, issue_date=timezone.make_aware(dt.datetime(2026, 1, 10, 9)))
    assert invoice.due_date.date() == dt.date(2026, 2, 9)
    sent = issue(world, due_date=timezone.make_aware(dt.datetime(2026, 5, 1)))
    assert sent.due_date.date() == dt.date(2026, 5, 1)
    r = api.post(
        URL,
        {"client": str(world.client.pk), "warehouse": str(world.warehouse.pk), "rep": str(world.rep.pk),
         "items": [{"variant": str(world.variant.pk), "qty": 1}]},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["data"]["dueDate"] is not None


@pytest.mark.parametrize("limit_field", ["credit_limit", "invoice_balance_limit"])
def test_credit_control_refuses_an_invoice_past_the_limit(world, api, limit_field):
    client = world.client
    client.payment_type = "credit"
    setattr(client, limit_field, D("100"))
    client.enable_invoice_balance_limit = limit_field == "invoice_balance_limit"
    client.save()
    issue(world, qty=6)  # 60 outstanding
    payments.create_payment(tenant=world.tenant, data={"client": client, "amount": 20})  # 40 outstanding
    issue(world, qty=6)  # 100: at the limit is allowed
    r = api.post(
        URL,
        {"client": str(client.pk), "warehouse": str(world.warehouse.pk), "rep": str(world.rep.pk),
         "items": [{"variant": str(world.variant.pk), "qty": 1}]},
        format="json",
    )  # fmt: skip
    assert r.status_code == 422, r.content
    text = r.content.decode()
    assert limit_field in text and "100" in text and "10.00" in text
    assert balance(world) == D("-100")


def test_a_cash_client_or_a_disabled_balance_limit_is_not_checked(world):
    client = world.client
    client.payment_type = "cash"
    client.credit_limit = D("5")
    client.save()
    issue(world, qty=2)
    client.payment_type = "credit"
    client.credit_limit = None
    client.invoice_balance_limit = D("5")
    client.enable_invoice_balance_limit = False
    client.save()
    issue(world, qty=2)
    client.credit_limit = D("0")
    client.save()
    issue(world, qty=2)
    with pytest.raises(Unprocessable):
        client.enable_invoice_balance_limit = True
        client.save()
        issue(world, qty=2)


def test_the_client_checker_reports_and_fixes(world):
    issue(world, qty=3)
    out = StringIO()
    call_command("check_ledgers", stdout=out)
    assert "No differences" in out.getvalue()
    ClientAccount.objects.filter(client=world.client).update(balance=D("7"))
    with pytest.raises(CommandError, match="1 difference"):
        call_command("check_ledgers", stdout=StringIO())
    out = StringIO()
    call_command("check_ledgers", "--fix", stdout=out)
    assert "fixed" in out.getvalue()
    assert ClientAccount.objects.get(client=world.client).balance == D("-30")
    ClientAccount.objects.filter(client=world.client).delete()
    with pytest.raises(CommandError, match="1 difference"):
        call_command("check_ledgers", stdout=StringIO())
    call_command("check_ledgers", "--fix", stdout=StringIO())
    assert ClientAccount.objects.get(client=world.client).balance == D("-30")


def test_update_without_void_takes_no_money_lock(world):
    invoice = issue(world)
    update_invoice(invoice=invoice, data={"notes": "hello"})
    assert balance(world) == D("-10")
