"""The client ledger and payments at the service level (finance/services/client_ledger.py and
payments.py): signed append-only entries with the balance kept beside them, balances as of a date,
payments allocated oldest first or to named invoices, remainders, invoice payment state, and the
422/400 answers naming the field."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Unprocessable
from finance.models import ClientAccount, ClientLedgerEntry, Payment, PaymentAllocation
from finance.services import client_ledger, payments
from sales.models import AppendOnlyError
from tests.factories import ClientFactory
from tests.factories_sales_organisation import RepFactory
from tests.invoice_world import make_world

pytestmark = pytest.mark.django_db
D = Decimal


def entry_sum(tenant, client) -> Decimal:
    return sum((e.amount for e in ClientLedgerEntry.objects.filter(tenant=tenant, client=client)), D(0))


def issue(world, qty=1, **data):
    from sales.services.invoices import issue_invoice

    body = {
        "client": world.client,
        "rep": world.rep,
        "warehouse": world.warehouse,
        "items": [{"variant": str(world.variant.pk), "qty": qty}],
        **data,
    }
    return issue_invoice(tenant=world.tenant, data=body)


@pytest.fixture
def world(tenant):
    return make_world(tenant, stock=100000, price="10.00", rate="0")


# The ledger ----------------------------------------------------------------------------------------
def test_entries_move_the_balance_and_are_append_only(tenant):
    client = ClientFactory(tenant=tenant)
    e1 = client_ledger.post_client_entry(
        tenant=tenant, client_id=client.pk, amount=D("-100.00"), document_type="invoice", document_id=uuid.uuid4()
    )
    client_ledger.post_client_entry(
        tenant=tenant, client_id=client.pk, amount=D("40.50"), document_type="payment", document_id=uuid.uuid4()
    )
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == D("-59.50")
    assert ClientAccount.objects.get(tenant=tenant, client=client).balance == entry_sum(tenant, client)
    e1.amount = D(0)
    with pytest.raises(AppendOnlyError):
        e1.save()
    with pytest.raises(AppendOnlyError):
        e1.delete()
    with pytest.raises(AppendOnlyError):
        ClientLedgerEntry.objects.filter(pk=e1.pk).update(amount=0)
    with pytest.raises(AppendOnlyError):
        ClientLedgerEntry.objects.filter(pk=e1.pk).delete()


def test_balance_of_a_client_without_entries_is_zero_and_as_of_cuts_by_day(tenant):
    client = ClientFactory(tenant=tenant)
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == D("0.00")
    day = dt.date(2026, 3, 10)
    for offset, amount in ((-1, "-10"), (0, "-5"), (1, "3")):
        when = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(23, 59)))
        client_ledger.post_client_entry(
            tenant=tenant, client_id=client, amount=D(amount), document_type="adjust_account",
            document_id=uuid.uuid4(), occurred_at=when,
        )  # fmt: skip
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk, as_of=day) == D("-15")
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk, as_of=day - dt.timedelta(days=2)) == 0
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == D("-12")


def test_another_tenants_client_is_refused(tenant, other_tenant):
    foreign = ClientFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as e:
        client_ledger.post_client_entry(
            tenant=tenant, client_id=foreign.pk, amount=D(1), document_type="payment", document_id=uuid.uuid4()
        )
    assert "client" in e.value.detail
    assert not ClientLedgerEntry.objects.exists()


# Payments ------------------------------------------------------------------------------------------
def test_a_payment_pays_the_oldest_open_invoices_first_and_keeps_the_rest(world):
    tenant = world.tenant
    old = issue(world, qty=3, issue_date=timezone.now() - dt.timedelta(days=5))  # 30
    new = issue(world, qty=2)  # 20
    payment = payments.create_payment(
        tenant=tenant, data={"client": str(world.client.pk), "amount": "40", "paymentMethod": "cash", "rep": world.rep}
    )
    assert payment.payment_method == "cash" and payment.rep == world.rep
    assert payments.invoice_paid(tenant=tenant, invoice_id=old.pk) == D("30")
    assert payments.invoice_paid(tenant=tenant, invoice_id=new.pk) == D("10")
    assert payments.invoice_open_balance(tenant=tenant, invoice_id=old.pk) == 0
    assert payments.invoice_open_balance(tenant=tenant, invoice_id=new.pk) == D("10")
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.status, new.status) == ("paid", "partially_paid")
    assert payment.allocated == D("40") and payment.remainder == 0 and payment.consumption_status == "consumed"
    entries = ClientLedgerEntry.objects.filter(tenant=tenant, document_type="payment", document_id=payment.pk)
    assert [e.amount for e in entries] == [D("40.00")]

    # More than is owed: the remainder stays unconsumed credit; a later invoice does not take it.
    second = payments.create_payment(tenant=tenant, data={"client": world.client, "amount": 25})
    assert second.allocated == D("10") and second.remainder == D("15")
    assert second.consumption_status == "partially_consumed"
    later = issue(world, qty=1)
    assert payments.invoice_paid(tenant=tenant, invoice_id=later.pk) == 0
    assert payments.invoice_open_balance(tenant=tenant, invoice_id=later.pk) == D("10")


def test_a_payment_with_nothing_open_is_unconsumed(world):
    payment = payments.create_payment(tenant=world.tenant, data={"client": world.client.pk, "amount": D("12.34")})
    assert payment.allocated == 0 and payment.consumption_status == "unconsumed"
    assert client_ledger.client_balance(tenant=world.tenant, client_id=world.client.pk) == D("12.34")


def test_named_invoices_take_the_amounts_named(world):
    tenant = world.tenant
    a, b = issue(world, qty=3), issue(world, qty=3)
    payment = payments.create_payment(
        tenant=tenant,
        data={
            "client": world.client,
            "amount": 50,
            "invoices": [{"invoice": str(b.pk), "amount": 30}, {"invoice": a.pk, "amount": "5"}],
        },
    )
    assert payments.invoice_paid(tenant=tenant, invoice_id=b.pk) == 30
    assert payments.invoice_paid(tenant=tenant, invoice_id=a.pk) == 5
    assert payment.remainder == D("15")


@pytest.mark.parametrize(
    "make, path",
    [
        (lambda w, a: {"client": w.client, "amount": 50, "invoices": [{"invoice": a.pk, "amount": 31}]}, "invoices[0].amount"),
        (lambda w, a: {"client": w.client, "amount": 10, "invoices": [{"invoice": a.pk, "amount": 20}]}, "invoices"),
        (lambda w, a: {"client": ClientFactory(tenant=w.tenant), "amount": 10, "invoices": [{"invoice": a.pk, "amount": 5}]}, "invoices[0].invoice"),
    ],
)  # fmt: skip
def test_rule_violations_are_422_naming_the_item(world, make, path):
    a = issue(world, qty=3)
    with pytest.raises(Unprocessable) as e:
        payments.create_payment(tenant=world.tenant, data=make(world, a))
    assert e.value.details[0]["path"] == path
    assert not Payment.objects.exists() and not PaymentAllocation.objects.exists()
    assert not ClientLedgerEntry.objects.filter(document_type="payment").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": None}, "amount"),
        ({"client": None}, "client"),
        ({"client": "nope"}, "client"),
        ({"rep": str(uuid.uuid4())}, "rep"),
        ({"date": "yesterday"}, "date"),
        ({"invoices": "x"}, "invoices"),
        ({"invoices": [{"amount": 1}]}, "invoices"),
    ],
)
def test_bad_input_names_the_field(world, change, field):
    data = {"client": world.client, "amount": 10, **change}
    with pytest.raises(ValidationError) as e:
        payments.create_payment(tenant=world.tenant, data=data)
    assert field in e.value.detail


def test_other_tenants_client_and_rep_are_not_found(world, other_tenant):
    with pytest.raises(ValidationError) as e:
        payments.create_payment(tenant=world.tenant, data={"client": ClientFactory(tenant=other_tenant), "amount": 1})
    assert "client" in e.value.detail
    with pytest.raises(ValidationError) as e:
        payments.create_payment(
            tenant=world.tenant, data={"client": world.client, "rep": RepFactory(tenant=other_tenant).pk, "amount": 1}
        )
    assert "rep" in e.value.detail


def test_payment_date_is_the_ledger_entry_time(world):
    payment = payments.create_payment(
        tenant=world.tenant, data={"client": world.client, "amount": 5, "date": "2026-01-02T10:00:00Z"}
    )
    entry = ClientLedgerEntry.objects.get(document_id=payment.pk)
    assert entry.occurred_at == payment.date == dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)


def test_oldest_first_crosses_the_locking_chunks(world, monkeypatch):
    monkeypatch.setattr(payments, "OLDEST_FIRST_CHUNK", 3)
    start = timezone.now() - dt.timedelta(days=30)
    invoices = [issue(world, qty=1, issue_date=start + dt.timedelta(days=i)) for i in range(8)]  # 10 each
    payment = payments.create_payment(tenant=world.tenant, data={"client": world.client, "amount": "65"})
    paid = [payments.invoice_paid(tenant=world.tenant, invoice_id=i.pk) for i in invoices]
    assert paid == [D(10)] * 6 + [D(5), D(0)]
    assert payment.remainder == 0
