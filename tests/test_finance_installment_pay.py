"""`POST /contract-installment/{id}/pay`: partial payments in `payment_history`, the status kept
until the amount due is covered, overpayment 422, paid or cancelled 409, the late fee after the
grace period, a payment document of the contract's client posted to its ledger, the contract
completing; and two payments racing on one installment on PostgreSQL (exactly one wins)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from finance.models import ClientLedgerEntry, Contract, ContractInstallment, Payment
from finance.services import client_ledger
from finance.services import installment_payments as pay_service
from tests.conftest import client_for
from tests.factories import ClientFactory
from tests.factories_finance import ContractFactory, ContractInstallmentFactory

pytestmark = pytest.mark.django_db

IURL = "/v1/contract-installment"
TODAY = dt.date.today()


def pay(api, row, amount, **extra):
    body = {"payment_date": TODAY.isoformat(), "payment_amount": amount, "payment_method": "cash", **extra}
    return api.post(f"{IURL}/{row.pk}/pay", body, format="json")


def test_partial_payments_then_paid(api, tenant):
    client = ClientFactory(tenant=tenant)
    contract = ContractFactory(tenant=tenant, client=client, total_amount=200)
    first, second = (ContractInstallmentFactory(tenant=tenant, contract=contract) for _ in range(2))
    r = pay(api, first, 40, payment_reference="R-1", notes="part")
    assert r.status_code == 200, r.content
    doc = r.json()["data"]
    assert r.json()["success"] is True
    assert (doc["status"], doc["payment_amount"], doc["payment_date"]) == ("pending", 40, None)
    assert len(doc["payment_history"]) == 1
    entry = doc["payment_history"][0]
    assert (entry["amount"], entry["method"], entry["reference"], entry["notes"]) == (40, "cash", "R-1", "part")
    # the payment document of the client, unallocated, and the ledger moved
    payment = Payment.objects.get(pk=entry["payment"])
    assert (payment.client_id, payment.amount, payment.allocated) == (client.pk, Decimal(40), 0)
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(40)
    assert ClientLedgerEntry.objects.filter(document_id=payment.pk, document_type="payment").count() == 1
    listed = api.get("/v1/payments").json()
    assert entry["payment"] in {p["_id"] for p in listed["data"]}
    # overpayment: 422, nothing recorded
    r = pay(api, first, 60.01)
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "payment_amount", r.content
    assert Payment.objects.filter(client=client).count() == 1
    r = pay(api, first, 60, payment_method="bank_transfer", payment_reference="TX-9")
    doc = r.json()["data"]
    assert (doc["status"], doc["payment_amount"], doc["payment_date"]) == ("paid", 100, TODAY.isoformat())
    assert (doc["payment_method"], doc["payment_reference"]) == ("bank_transfer", "TX-9")
    assert [h["amount"] for h in doc["payment_history"]] == [40, 60]
    # paid is final
    r = pay(api, first, 1)
    assert r.status_code == 409, r.content
    assert (r.json()["details"][0]["current"], r.json()["details"][0]["requested"]) == ("paid", "paid")
    contract.refresh_from_db()
    assert contract.status == "active"
    assert pay(api, second, 100).status_code == 200
    contract.refresh_from_db()
    assert contract.status == "completed"
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(200)


def test_cancelled_is_409_and_bad_bodies(api, tenant, other_tenant):
    contract = ContractFactory(tenant=tenant)
    row = ContractInstallmentFactory(tenant=tenant, contract=contract)
    assert api.put(f"/v1/contract/{contract.pk}", {"status": "cancelled"}, format="json").status_code == 200
    r = pay(api, row, 10)
    assert r.status_code == 409 and r.json()["details"][0]["current"] == "cancelled"
    live = ContractInstallmentFactory(tenant=tenant)
    for bad in ({"payment_amount": 10}, {"payment_date": TODAY.isoformat()}, {"payment_amount": 0},
                {"payment_amount": "10", "payment_date": TODAY.isoformat()},
                {"payment_amount": 10, "payment_date": "x"},
                {"payment_amount": 10, "payment_date": TODAY.isoformat(), "payment_method": "gold"}):  # fmt: skip
        r = api.post(f"{IURL}/{live.pk}/pay", bad, format="json")
        assert r.status_code == 422, (bad, r.content)  # family B: validation errors are 422
    assert client_for(other_tenant).post(f"{IURL}/{live.pk}/pay", {}, format="json").status_code == 404
    assert api.post(f"{IURL}/nope/pay", {}, format="json").status_code == 404
    assert not Payment.objects.exists()


def test_late_fee_after_the_grace_period(api, tenant):
    contract = ContractFactory(tenant=tenant, total_amount=300)
    late = ContractInstallmentFactory(
        tenant=tenant, contract=contract, due_date=TODAY - dt.timedelta(days=6), grace_period_days=5, late_fee=15
    )
    in_grace = ContractInstallmentFactory(
        tenant=tenant, contract=contract, due_date=TODAY - dt.timedelta(days=5), grace_period_days=5, late_fee=15,
        discount_applied=10,
    )  # fmt: skip
    assert pay(api, late, 100).json()["data"]["status"] == "overdue"  # 115 due
    assert pay(api, late, 15.01).status_code == 422
    assert pay(api, late, 15).json()["data"]["status"] == "paid"
    assert pay(api, in_grace, 90.01).status_code == 422  # 100 − 10 discount, no fee yet
    assert pay(api, in_grace, 90).json()["data"]["status"] == "paid"
    # the fee follows the payment's date: received within the grace period, recorded later
    received = ContractInstallmentFactory(
        tenant=tenant, contract=contract, due_date=TODAY - dt.timedelta(days=20), grace_period_days=5, late_fee=15
    )
    on_time = (TODAY - dt.timedelta(days=16)).isoformat()
    assert pay(api, received, 100.01, payment_date=on_time).status_code == 422
    r = pay(api, received, 100, payment_date=(TODAY + dt.timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "payment_date"
    doc = pay(api, received, 100, payment_date=on_time).json()["data"]
    assert (doc["status"], doc["payment_date"]) == ("paid", on_time)


# Concurrency (PostgreSQL) ----------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_payments_racing_on_one_installment_one_wins(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")
    client = ClientFactory(tenant=tenant)
    contract = ContractFactory(tenant=tenant, client=client, total_amount=100)
    row = ContractInstallmentFactory(tenant=tenant, contract=contract)
    apis = [client_for(tenant) for _ in range(2)]
    barrier, statuses, errors = threading.Barrier(2), [None, None], []

    def work(i):
        try:
            barrier.wait()
            statuses[i] = pay(apis[i], row, 100).status_code
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(statuses) == [200, 409]
    row.refresh_from_db()
    assert (row.status, row.payment_amount, len(row.payment_history)) == ("paid", 100, 1)
    assert Payment.objects.filter(client=client).count() == 1
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(100)
    assert Contract.objects.get(pk=contract.pk).status == "completed"


@pytest.mark.django_db(transaction=True)
def test_partial_payments_racing_never_overpay(tenant):
    """Eight partial payments of 30 race on an installment of 100: three are taken, the others
    are 422 (or 409 once paid), and Σ history = payment_amount ≤ 100."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")
    client = ClientFactory(tenant=tenant)
    row = ContractInstallmentFactory(tenant=tenant, contract=ContractFactory(tenant=tenant, client=client))
    n = 8
    barrier, taken, errors = threading.Barrier(n), [], []

    def work(i):
        try:
            barrier.wait()
            try:
                pay_service.pay_installment(
                    tenant=tenant, installment_id=row.pk, payment_date=TODAY, payment_amount=Decimal(30)
                )
                taken.append(i)
            except Exception as exc:
                if getattr(exc, "status_code", None) not in (409, 422):
                    raise
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
    row = ContractInstallment.objects.get(pk=row.pk)
    assert len(taken) == 3 and row.payment_amount == 90 and row.status == "pending"
    assert sum(Decimal(str(h["amount"])) for h in row.payment_history) == 90
    assert client_ledger.client_balance(tenant=tenant, client_id=client.pk) == Decimal(90)


def test_refusals_of_pay_and_overdue_are_documented(api):
    """Schema fuzzing found these answers missing from the OpenAPI document."""
    import uuid

    from tests.openapi_check import conforms

    r = api.post(f"{IURL}/{uuid.uuid4()}/pay", {"payment_amount": 1}, format="json")
    assert r.status_code == 404
    conforms(r, "post", IURL + "/{id}/pay")
    r = api.get(f"{IURL}/overdue", {"page": 0})
    assert r.status_code == 400
    conforms(r, "get", IURL + "/overdue")
