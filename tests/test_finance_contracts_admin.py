"""The admin of contracts, installments and refunds: writes through the services (a refused form
shows the service's message), "mark paid" through the /pay service, the overdue installments
view, refund approve/reject/process actions, a staff user seeing only its tenant."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from finance.models import Contract, ContractInstallment, Payment, Refund
from finance.services import client_ledger
from tests.factories import ClientFactory
from tests.factories_finance import ContractFactory, ContractInstallmentFactory, RefundFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def staff(tenant, django_user_model):
    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="finance"))
    return user


def test_overdue_view_and_mark_paid(client, staff, tenant, other_tenant):
    contract = ContractFactory(tenant=tenant, total_amount=300)
    late = ContractInstallmentFactory(tenant=tenant, contract=contract, due_date=TODAY - dt.timedelta(days=9),
                                      late_fee=5)  # fmt: skip
    ContractInstallmentFactory(tenant=tenant, contract=contract)
    foreign = ContractInstallmentFactory(tenant=other_tenant, due_date=TODAY - dt.timedelta(days=9))
    client.force_login(staff)
    page = client.get("/admin/finance/contractinstallment/", {"state": "overdue"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [late]
    assert str(foreign.pk) not in page.text
    r = client.post(
        "/admin/finance/contractinstallment/", {"action": "mark_paid", "_selected_action": [str(late.pk)]}, follow=True
    )
    assert "1 installment(s) paid" in r.text
    late.refresh_from_db()
    assert (late.status, late.payment_amount) == ("paid", Decimal(105))  # with the late fee
    assert Payment.objects.get(client=contract.client).amount == 105
    assert client_ledger.client_balance(tenant=tenant, client_id=contract.client_id) == 105
    r = client.post(
        "/admin/finance/contractinstallment/", {"action": "mark_paid", "_selected_action": [str(late.pk)]}, follow=True
    )
    assert "is paid" in r.text  # the 409 shown as a message
    assert client.get(f"/admin/finance/contract/{contract.pk}/change/").status_code == 200


def test_contract_form_refusals_are_the_services(client, staff, tenant):
    customer = ClientFactory(tenant=tenant)
    client.force_login(staff)
    form = {"title": "Lease", "contract_type": "lease", "client": str(customer.pk), "start_date_0": "2026-01-01",
            "start_date_1": "00:00:00", "end_date_0": "2025-01-01", "end_date_1": "00:00:00", "total_amount": "100",
            "currency": "USD", "terms": "", "integration_meta": "{}", "installments-TOTAL_FORMS": "0",
            "installments-INITIAL_FORMS": "0", "installments-MIN_NUM_FORMS": "0", "installments-MAX_NUM_FORMS": "1000"}  # fmt: skip
    r = client.post("/admin/finance/contract/add/", form)
    assert r.status_code == 200 and "Cannot be before startDate" in r.text
    r = client.post("/admin/finance/contract/add/", {**form, "end_date_0": "2027-01-01"})
    assert r.status_code == 302, r.context["adminform"].form.errors
    contract = Contract.objects.get(tenant=tenant)
    r = client.post(
        "/admin/finance/contractinstallment/add/",
        {"contract": str(contract.pk), "installment_number": "1", "due_date": "2028-01-01", "amount": "10",
         "currency": "USD", "late_fee": "0", "discount_applied": "0", "interest_rate": "0", "grace_period_days": "0",
         "reminder_dates": "[]", "notes": "", "custom_fields": "{}", "integration_meta": "{}"},
    )  # fmt: skip
    assert r.status_code == 200 and "after the contract" in r.text
    r = client.post("/admin/finance/contract/", {"action": "cancel", "_selected_action": [str(contract.pk)]})
    contract.refresh_from_db()
    assert contract.status == "cancelled"


def test_refund_actions(client, staff, tenant):
    refund = RefundFactory(tenant=tenant, amount=40)
    client.force_login(staff)
    url = "/admin/finance/refund/"
    r = client.post(url, {"action": "process", "_selected_action": [str(refund.pk)]}, follow=True)
    assert "cannot become processed" in r.text
    client.post(url, {"action": "approve", "_selected_action": [str(refund.pk)]})
    client.post(url, {"action": "process", "_selected_action": [str(refund.pk)]})
    refund.refresh_from_db()
    assert refund.status == "processed" and refund.processed_at is not None
    assert client_ledger.client_balance(tenant=tenant, client_id=refund.client_id) == -40
    client.post(url, {"action": "reject", "_selected_action": [str(refund.pk)]})
    assert Refund.objects.get(pk=refund.pk).status == "processed"
    assert client.get(f"{url}{refund.pk}/delete/").status_code == 403
    assert ContractInstallment.objects.count() == 0


def test_demo_data_has_a_contract_with_an_overdue_installment_and_refunds(db):
    from io import StringIO

    from django.core.management import call_command

    from core.models import Tenant
    from finance.services import contracts as services

    call_command("load_demo_data", "--admin-password", "pw", stdout=StringIO())
    demo = Tenant.objects.get(namespace="demo")
    contract = Contract.objects.get(tenant=demo)
    shown = [services.shown_status(row) for row in contract.installments.order_by("installment_number")]
    assert shown == ["paid", "overdue", "pending", "pending"]
    assert services.overdue_installments(tenant=demo).count() == 1
    assert sorted(Refund.objects.filter(tenant=demo).values_list("status", flat=True)) == ["pending", "processed"]
    assert Payment.objects.filter(tenant=demo, client=contract.client).exists()
    counts = Contract.objects.count(), Refund.objects.count(), ContractInstallment.objects.count()
    call_command("load_demo_data", "--admin-password", "pw", stdout=StringIO())
    assert (Contract.objects.count(), Refund.objects.count(), ContractInstallment.objects.count()) == counts
