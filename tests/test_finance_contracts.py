"""Contracts (`/contract`, family E) and installments (`/contract-installment`, family B): the
generic API cases, the schedule rules (numbering, Σ = totalAmount, due dates in the period: 422),
the state tables (409 naming both states), cancellation, `/overdue` and the list's
`status=overdue` agreeing, and the installment state machine as a property test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finance.models import Contract, ContractInstallment
from finance.services import contracts as services
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.factories_finance import ContractFactory, ContractInstallmentFactory

pytestmark = pytest.mark.django_db

URL = "/v1/contract"
IURL = "/v1/contract-installment"
TODAY = dt.date.today()
INSTALLMENT_KEYS = {
    "SVClient", "__v", "_id", "amount", "auto_pay_enabled", "company_namespace", "contract", "createdAt", "currency",
    "custom_fields", "discount_applied", "due_date", "grace_period_days", "installment_number", "interest_rate",
    "late_fee", "modifiedAt", "notes", "payment_amount", "payment_date", "payment_history", "payment_method",
    "payment_reference", "reminder_dates", "reminder_sent", "status",
}  # fmt: skip
CONTRACT_KEYS = {
    "_id", "client", "createdAt", "currency", "endDate", "installments", "startDate", "status", "terms", "title",
    "totalAmount", "updatedAt", "type",
}  # fmt: skip


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def contract_body(client, **extra):
    return {
        "title": "Maintenance 2026",
        "client": str(client.pk),
        "startDate": "2020-01-01T00:00:00.000Z",
        "endDate": "2040-12-31T00:00:00.000Z",
        "totalAmount": 300,
        "currency": "JOD",
        "installments": [
            {"due_date": day(10), "amount": 100},
            {"due_date": day(40), "amount": 100, "grace_period_days": 5},
            {"due_date": day(70), "amount": 100, "late_fee": 10},
        ],
        **extra,
    }


class TestContractAPI(ResourceAPICase):
    path = "contract"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        self.client_row = ClientFactory(tenant=tenant)

    def get_create_data(self, tenant):
        return {**contract_body(self.client_row), "installments": [{"due_date": "2030-01-01", "amount": 300}]}

    update_data = {"title": "Renamed", "terms": "Net 30"}

    @property
    def invalid_data(self):
        base = self.get_create_data(None)
        return [
            {**base, "totalAmount": "300"},
            {**base, "client": "not-an-id"},
            {**base, "installments": "x"},
            {**base, "installments": [{"amount": 300}]},
            {**base, "installments": [{"due_date": "2030-01-01", "amount": 0}]},
            {**base, "status": "nonsense"},
        ]

    def make(self, tenant, **kwargs):
        return ContractFactory(tenant=tenant, **kwargs)


class TestContractInstallmentAPI(ResourceAPICase):
    path = "contract-installment"
    family = "B"
    operations = {"list", "create", "retrieve", "update", "destroy"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        self.contract = ContractFactory(tenant=tenant, total_amount=10**6)

    def get_create_data(self, tenant):
        return {
            "contract": str(self.contract.pk),
            "installment_number": self.contract.installments.count() + 1,
            "due_date": "2030-01-15",
            "amount": 1500,
            "late_fee": 25,
            "grace_period_days": 3,
            "notes": "first",
            "custom_fields": {"k": "v"},
        }

    update_data = {"notes": "changed", "grace_period_days": 7}

    @property
    def invalid_data(self):
        base = self.get_create_data(None)
        return [
            {},
            {**base, "amount": 0},
            {**base, "amount": "10"},
            {**base, "due_date": "soon"},
            {**base, "contract": "nope"},
            {**base, "installment_number": 9},  # not the next number
            {**base, "due_date": "2050-01-01"},  # outside the contract's period
            {**base, "amount": 10**7},  # past totalAmount
        ]

    def make(self, tenant, **kwargs):
        contract = kwargs.pop("contract", None) or ContractFactory(tenant=tenant, total_amount=10**6)
        return ContractInstallmentFactory(tenant=tenant, contract=contract, **kwargs)


# Contracts ------------------------------------------------------------------------------------
def test_contract_creates_numbered_installments(api, tenant):
    client = ClientFactory(tenant=tenant)
    r = api.post(URL, contract_body(client), format="json")
    assert r.status_code == 201, r.content
    doc = r.json()["data"]
    assert set(doc) == CONTRACT_KEYS
    assert doc["status"] == "active" and doc["totalAmount"] == 300
    assert [i["installment_number"] for i in doc["installments"]] == [1, 2, 3]
    assert all(set(i) == INSTALLMENT_KEYS for i in doc["installments"])
    assert {i["currency"] for i in doc["installments"]} == {"JOD"}
    assert [i["status"] for i in doc["installments"]] == ["pending"] * 3
    assert ContractInstallment.objects.filter(contract_id=doc["_id"]).count() == 3


@pytest.mark.parametrize(
    "change, path",
    [
        ({"totalAmount": 299}, "installments"),
        ({"installments": [{"due_date": "2019-12-31", "amount": 300}]}, "installments[0].due_date"),
        ({"installments": [{"due_date": "2041-01-01", "amount": 300}]}, "installments[0].due_date"),
        ({"installments": [{"due_date": "2030-01-01", "amount": 300, "installment_number": 2}]},
         "installments[0].installment_number"),
        ({"endDate": "2019-01-01T00:00:00Z"}, "endDate"),
    ],
)  # fmt: skip
def test_schedule_rules_are_422(api, tenant, change, path):
    r = api.post(URL, {**contract_body(ClientFactory(tenant=tenant)), **change}, format="json")
    assert r.status_code == 422, r.content
    assert r.json()["details"][0]["path"] == path
    assert not Contract.objects.exists()


def test_cancelling_a_contract_cancels_its_pending_installments(api, tenant):
    doc = api.post(URL, contract_body(ClientFactory(tenant=tenant)), format="json").json()["data"]
    first = ContractInstallment.objects.get(contract_id=doc["_id"], installment_number=1)
    ContractInstallment.objects.filter(pk=first.pk).update(status="paid", payment_amount=100)
    r = api.put(f"{URL}/{doc['_id']}", {"status": "cancelled"}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()["data"]
    assert body["status"] == "cancelled"
    assert [i["status"] for i in body["installments"]] == ["paid", "cancelled", "cancelled"]
    # terminal: any change of state is 409 naming both
    for requested in ("active", "completed"):
        r = api.put(f"{URL}/{doc['_id']}", {"status": requested}, format="json")
        assert r.status_code == 409, r.content
        detail = r.json()["details"][0]
        assert (detail["current"], detail["requested"]) == ("cancelled", requested)
    # an installment of a cancelled contract cannot be appended
    r = api.post(
        IURL, {"contract": doc["_id"], "installment_number": 4, "due_date": "2030-01-01", "amount": 1}, format="json"
    )
    assert r.status_code == 409, r.content


def test_completed_is_the_servers_and_schedule_replacement(api, tenant):
    doc = api.post(URL, contract_body(ClientFactory(tenant=tenant)), format="json").json()["data"]
    r = api.put(f"{URL}/{doc['_id']}", {"status": "completed"}, format="json")
    assert r.status_code == 409 and "completes by itself" in r.json()["error"]
    new = [{"due_date": "2031-01-01", "amount": 150}, {"due_date": "2031-02-01", "amount": 150}]
    r = api.put(f"{URL}/{doc['_id']}", {"installments": new}, format="json")
    assert r.status_code == 200, r.content
    assert [i["amount"] for i in r.json()["data"]["installments"]] == [150, 150]
    r = api.put(f"{URL}/{doc['_id']}", {"totalAmount": 200}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "totalAmount"
    ContractInstallment.objects.filter(contract_id=doc["_id"], installment_number=1).update(payment_amount=5)
    r = api.put(f"{URL}/{doc['_id']}", {"installments": new}, format="json")
    assert r.status_code == 409
    assert api.delete(f"{URL}/{doc['_id']}").status_code == 409


def test_contract_list_query_count_is_flat(api, tenant):
    for _ in range(3):
        contract = ContractFactory(tenant=tenant)
        for _ in range(3):
            ContractInstallmentFactory(tenant=tenant, contract=contract)
    api.get(URL)  # warm: the key's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL, {"per_page": 1}).status_code == 200
    with CaptureQueriesContext(connection) as many:
        body = api.get(URL, {"per_page": 50}).json()
    assert len(body["data"]) == 3 and all(len(d["installments"]) == 3 for d in body["data"])
    assert len(many) == len(few), (
        [q["sql"][:150] for q in many.captured_queries] + ["----"] + [q["sql"][:150] for q in few.captured_queries]
    )


# Installments ---------------------------------------------------------------------------------
def overdue_world(tenant):
    contract = ContractFactory(tenant=tenant, total_amount=10**6)
    make = lambda due, **kw: ContractInstallmentFactory(  # noqa: E731
        tenant=tenant, contract=contract, due_date=TODAY + dt.timedelta(days=due), **kw
    )
    return {
        "future": make(5),
        "today": make(0),
        "in_grace": make(-3, grace_period_days=5),
        "grace_edge": make(-5, grace_period_days=5),  # today == due + grace: not yet overdue
        "late_2": make(-2),
        "late_30": make(-30, grace_period_days=10),
        "late_9_paid": make(-9, status="paid", payment_amount=100),
        "late_12_cancelled": make(-12, status="cancelled"),
    }


def test_overdue_and_the_status_filter_agree(api, tenant, other_tenant):
    rows = overdue_world(tenant)
    ContractInstallmentFactory(tenant=other_tenant, due_date=TODAY - dt.timedelta(days=40))
    r = api.get(f"{IURL}/overdue")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["success"] is True and body["paging"]["total"] == 2
    assert [d["_id"] for d in body["data"]] == [str(rows["late_30"].pk), str(rows["late_2"].pk)]
    assert [d["days_overdue"] for d in body["data"]] == [30, 2]
    assert {d["status"] for d in body["data"]} == {"overdue"}
    listed = api.get(IURL, {"status": "overdue", "sort": "due_date"}).json()
    assert [d["_id"] for d in listed["data"]] == [d["_id"] for d in body["data"]]
    pending = {d["_id"] for d in api.get(IURL, {"status": "pending"}).json()["data"]}
    assert pending == {str(rows[k].pk) for k in ("future", "today", "in_grace", "grace_edge")}
    assert api.get(f"{IURL}/overdue", {"days_overdue": 3}).json()["paging"]["total"] == 1
    assert api.get(f"{IURL}/overdue", {"days_overdue": 30}).json()["paging"]["total"] == 1
    assert api.get(f"{IURL}/overdue", {"days_overdue": 31}).json()["paging"]["total"] == 0
    page2 = api.get(f"{IURL}/overdue", {"per_page": 1, "page": 2}).json()
    assert [d["_id"] for d in page2["data"]] == [str(rows["late_2"].pk)]
    for bad in ({"days_overdue": "-1"}, {"days_overdue": "x"}, {"per_page": "0"}, {"page": "0"}):
        assert api.get(f"{IURL}/overdue", bad).status_code == 400, bad
    # where-clause search agrees too
    r = api.post(f"{IURL}/search", {"where": {"status": {"_eq": "overdue"}}}, format="json")
    assert r.status_code == 200 and r.json()["paging"]["total"] == 2
    # grace period widened: no longer overdue
    r = api.patch(f"{IURL}/{rows['late_2'].pk}", {"grace_period_days": 2}, format="json")
    assert r.status_code == 200 and r.json()["data"]["status"] == "pending"


def test_due_date_range_filter(api, tenant):
    rows = overdue_world(tenant)
    r = api.get(IURL, {"due_date_from": day(-5), "due_date_to": day(0)})
    ids = {d["_id"] for d in r.json()["data"]}
    assert ids == {str(rows[k].pk) for k in ("today", "in_grace", "grace_edge", "late_2")}
    assert api.get(IURL, {"due_date_from": "yesterday"}).status_code == 400


def test_installment_transitions(api, tenant):
    contract = ContractFactory(tenant=tenant, total_amount=300)
    one, two = (ContractInstallmentFactory(tenant=tenant, contract=contract) for _ in range(2))
    r = api.patch(f"{IURL}/{one.pk}", {"status": "paid"}, format="json")
    assert r.status_code == 409 and "/pay" in r.json()["error"]
    r = api.patch(f"{IURL}/{one.pk}", {"status": "cancelled"}, format="json")
    assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
    for requested, changes in (("pending", {}), ("paid", {}), ("cancelled", {"amount": 5})):
        r = api.patch(f"{IURL}/{one.pk}", {"status": requested, **changes}, format="json")
        if requested == "cancelled":  # same state, but a money field of a final installment
            assert r.status_code == 409, r.content
            continue
        assert r.status_code == 409, (requested, r.content)
        assert (r.json()["details"][0]["current"], r.json()["details"][0]["requested"]) == ("cancelled", requested)
    assert api.patch(f"{IURL}/{one.pk}", {"notes": "kept"}, format="json").status_code == 200
    # deleting: only the last one, pending, without payments
    assert api.delete(f"{IURL}/{one.pk}").status_code == 409
    r = api.patch(f"{IURL}/{two.pk}", {"amount": 250}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "amount"
    assert (
        api.patch(f"{IURL}/{two.pk}", {"contract": str(ContractFactory(tenant=tenant).pk)}, format="json").status_code
        == 422
    )
    assert api.delete(f"{IURL}/{two.pk}").status_code == 200


# Property: the installment state machine -------------------------------------------------------
ACTIONS = st.lists(
    st.tuples(st.sampled_from(["pay", "cancel", "patch_status", "cancel_contract"]), st.integers(0, 2),
              st.sampled_from(["pending", "paid", "overdue", "cancelled"]), st.integers(1, 120)),
    max_size=12,
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_installment_state_machine_property(tenant, actions):
    """Whatever is asked, in any order: a final state never changes, payment_amount = Σ history
    ≤ the amount due, paid ⇔ covered, and the contract completes exactly when nothing is pending
    and something was paid (or was cancelled by its own request)."""
    from core.api.exceptions import Conflict, Unprocessable
    from finance.services import installment_payments

    contract = ContractFactory(tenant=tenant, total_amount=300)
    rows = [ContractInstallmentFactory(tenant=tenant, contract=contract) for _ in range(3)]
    paid_amounts = {}
    for kind, index, status, amount in actions:
        row = ContractInstallment.objects.get(pk=rows[index].pk)
        before = row.status
        try:
            if kind == "pay":
                installment_payments.pay_installment(
                    tenant=tenant, installment_id=row.pk, payment_date=TODAY, payment_amount=Decimal(amount)
                )
                paid_amounts[row.pk] = paid_amounts.get(row.pk, 0) + amount
            elif kind == "cancel":
                services.update_installment(installment=row, data={"status": "cancelled"})
            elif kind == "patch_status":
                services.update_installment(installment=row, data={"status": status})
            else:
                services.cancel_contract(contract=contract)
        except (Conflict, Unprocessable):
            pass
        after = ContractInstallment.objects.get(pk=row.pk)
        if before in ("paid", "cancelled"):
            assert after.status == before
            assert after.payment_amount == row.payment_amount
    contract.refresh_from_db()
    statuses = []
    for row in ContractInstallment.objects.filter(contract=contract):
        assert row.payment_amount == sum(Decimal(str(h["amount"])) for h in row.payment_history)
        assert row.payment_amount <= services.amount_due(row)
        assert (row.status == "paid") == (row.payment_amount >= services.amount_due(row))
        statuses.append(row.status)
    if contract.status == "completed":
        assert "pending" not in statuses and "paid" in statuses
    elif contract.status == "active":
        assert "pending" in statuses or "paid" not in statuses
