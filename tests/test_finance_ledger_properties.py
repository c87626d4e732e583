"""The client ledger under random interleavings (hypothesis) and concurrent writers (PostgreSQL):
invoices, returns, voids, payments (oldest first or named), settlements and adjustments keep every
balance = Σ of its entries, 0 ≤ paid ≤ invoice_value, 0 ≤ remainder ≤ amount, the sum of all
balances = Σ of all entries, and each balance equal to what the documents say."""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import APIException

from core.services import create_tenant
from finance.models import AccountAdjustment, ClientAccount, ClientLedgerEntry, Payment, PaymentAllocation
from finance.services import client_ledger, settlements
from finance.services import payments as pay
from sales import models as sm
from sales.services import invoices as invoice_services
from tests.factories import ClientFactory
from tests.invoice_world import make_world
from tests.test_finance_serials import THREADS, require_postgresql, run_threads

D = Decimal
_examples = itertools.count()


def body(w, client, qty, **extra):
    return {"client": client, "rep": w.rep, "warehouse": w.warehouse,
            "items": [{"variant": str(w.variant.pk), "qty": qty}], **extra}  # fmt: skip


def check_invariants(tenant, clients):
    total_entries = D(0)
    for client in clients:
        entries = ClientLedgerEntry.objects.filter(tenant=tenant, client=client).aggregate(s=Sum("amount"))["s"] or D(0)
        total_entries += entries
        account = ClientAccount.objects.filter(tenant=tenant, client=client).first()
        assert (account.balance if account else D(0)) == entries
        # What the documents say the balance is (SEMANTICS §3.3 signs).
        invoices = sm.Invoice.objects.filter(tenant=tenant, client=client, is_void=False)
        owed = invoices.filter(kind="invoice").aggregate(s=Sum("total"))["s"] or D(0)
        returned = invoices.filter(kind="return").aggregate(s=Sum("total"))["s"] or D(0)
        paid = Payment.objects.filter(tenant=tenant, client=client).aggregate(s=Sum("amount"))["s"] or D(0)
        adjusted = sum(
            (a.amount if a.type == "credit" else -a.amount for a in AccountAdjustment.objects.filter(client=client)),
            D(0),
        )
        assert entries == paid + returned + adjusted - owed
    all_balances = ClientAccount.objects.filter(tenant=tenant).aggregate(s=Sum("balance"))["s"] or D(0)
    assert (
        all_balances
        == total_entries
        == (ClientLedgerEntry.objects.filter(tenant=tenant).aggregate(s=Sum("amount"))["s"] or D(0))
    )
    invoices = list(sm.Invoice.objects.filter(tenant=tenant, kind="invoice"))
    state = pay.payment_state(tenant=tenant, invoices=invoices)
    for invoice in invoices:
        s = state[invoice.pk]
        assert D(0) <= s["paid"] <= s["invoice_value"]
        assert D(0) <= s["balance"] <= s["invoice_value"]
        assert invoice.status == s["status"]
        if invoice.is_void:
            assert s["paid"] == 0
    for payment in Payment.objects.filter(tenant=tenant):
        allocated = PaymentAllocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or D(0)
        assert payment.allocated == allocated
        assert D(0) <= payment.remainder <= payment.amount


ACTIONS = ["invoice", "invoice", "return", "void", "pay", "pay_named", "settle", "credit", "debit"]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(min_value=1, max_value=6),  # quantity / amount in tens
        st.integers(min_value=0, max_value=1000),  # which document / client
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_interleavings_keep_the_client_ledger(db, steps):
    tenant = create_tenant(namespace=f"money-{next(_examples)}", name="Hypothesis")
    w = make_world(tenant, stock=100000, price="10.00", rate="0")
    clients = [w.client, ClientFactory(tenant=tenant)]
    for action, n, pick in steps:
        client = clients[pick % 2]
        invoices = list(sm.Invoice.objects.filter(tenant=tenant, kind="invoice", is_void=False).order_by("pk"))
        returns = list(sm.Invoice.objects.filter(tenant=tenant, kind="return", is_void=False).order_by("pk"))
        try:
            if action == "invoice":
                invoice_services.issue_invoice(tenant=tenant, data=body(w, client, n))
            elif action == "return" and invoices:
                target = invoices[pick % len(invoices)]
                invoice_services.issue_invoice(tenant=tenant, data=body(w, None, 1, returned_from=target))
            elif action == "void" and (invoices or returns):
                pool = returns + invoices
                invoice_services.void_invoice(invoice=pool[pick % len(pool)])
            elif action == "pay":
                pay.create_payment(tenant=tenant, data={"client": client, "amount": D(n * 7)})
            elif action == "pay_named" and invoices:
                target = invoices[pick % len(invoices)]
                pay.create_payment(
                    tenant=tenant,
                    data={
                        "client": target.client,
                        "amount": D(n * 5),
                        "invoices": [{"invoice": target.pk, "amount": D(n * 3)}],
                    },
                )
            elif action == "settle":
                payment = Payment.objects.filter(tenant=tenant, client=client).order_by("pk").first()
                target = next((i for i in invoices if i.client_id == client.pk), None)
                if payment and target:
                    amount = min(
                        payment.remainder, pay.invoice_open_balance(tenant=tenant, invoice_id=target.pk), D(n * 4)
                    )
                    if pick % 3 == 0:
                        amount += 1  # sometimes too much: refused
                    if amount > 0:
                        settlements.create_settlement(
                            tenant=tenant,
                            data={"client": client, "invoices": [{"invoice": target.pk, "amount": amount}],
                                  "payments": [{"payment": payment.pk, "amount": amount}]},
                        )  # fmt: skip
            elif action in ("credit", "debit"):
                settlements.adjust_account(
                    tenant=tenant, data={"client": client, "type": action, "amount": D(n), "reason": "test"}
                )
        except APIException as refused:  # a refusal (422 over-allocation, 409 state) changes nothing
            assert refused.status_code in (400, 409, 422), refused
        check_invariants(tenant, clients)


# Concurrency (PostgreSQL) --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_of_invoices_and_payments_lose_nothing(tenant):
    require_postgresql()
    w = make_world(tenant, stock=100000, price="10.00", rate="0")
    per_thread = 4

    def work(i):
        done = []
        for k in range(per_thread):
            if (i + k) % 2:
                invoice_services.issue_invoice(tenant=tenant, data=body(w, w.client, 1 + k))
                done.append(("invoice", D(10 * (1 + k))))
            else:
                pay.create_payment(tenant=tenant, data={"client": w.client, "amount": D(7 + k)})
                done.append(("payment", D(7 + k)))
        return done

    results = [op for batch in run_threads(work) for op in batch]
    expected = sum((a if kind == "payment" else -a for kind, a in results), D(0))
    assert ClientLedgerEntry.objects.filter(tenant=tenant, client=w.client).count() == THREADS * per_thread
    assert client_ledger.client_balance(tenant=tenant, client_id=w.client.pk) == expected
    check_invariants(tenant, [w.client])


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_never_push_a_client_past_its_credit_limit(tenant):
    require_postgresql()
    w = make_world(tenant, stock=100000, price="10.00", rate="0")
    client = w.client
    client.payment_type, client.credit_limit = "credit", D("250")
    client.save()
    per_thread = 3  # 16 × 3 invoices of 10 (with payments of 5 between them) against a limit of 250

    def work(i):
        outcomes = []
        for k in range(per_thread):
            try:
                invoice_services.issue_invoice(tenant=tenant, data=body(w, client, 1))
                outcomes.append("issued")
            except APIException as exc:
                assert exc.status_code == 422, exc
                outcomes.append("refused")
            if i % 4 == 0 and k == 0:
                pay.create_payment(tenant=tenant, data={"client": client, "amount": D(5)})
                outcomes.append("paid")
        return outcomes

    outcomes = [o for batch in run_threads(work) for o in batch]
    issued, paid = outcomes.count("issued"), outcomes.count("paid")
    outstanding = pay.client_outstanding(tenant=tenant, client_id=client.pk)
    assert outstanding == 10 * issued - 5 * paid <= D("250")
    assert issued >= 25  # the limit was reached: invoices are refused only once one would pass it
    assert outcomes.count("refused") == THREADS * per_thread - issued
    check_invariants(tenant, [client])
