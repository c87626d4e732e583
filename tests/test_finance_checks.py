"""Checks (`/checks`, family D, create and read only): the generic API cases, immutability
(405), one check number per bank (409 naming the existing check, also under concurrency on
PostgreSQL), references in the tenant, the filters and dialects, the admin."""

import threading

import pytest
from django.db import connection, connections

from core.api.exceptions import Conflict
from finance.models import Check
from finance.services import checks as services
from tests.api_cases import ResourceAPICase
from tests.conftest import client_for
from tests.factories import ClientFactory
from tests.factories_finance import BankFactory, CheckFactory
from tests.factories_sales_organisation import RepFactory

pytestmark = pytest.mark.django_db

URL = "/v1/checks"
DOCUMENTED = {
    "_id", "client", "rep", "checkNumber", "amount", "bank", "accountNumber", "issueDate", "dueDate", "status",
    "clearedDate", "notes", "integration_meta", "company_namespace", "createdAt", "updatedAt", "__v",
}  # fmt: skip


def body(client, bank, number="000123", **extra):
    return {
        "client": str(client.pk),
        "checkNumber": number,
        "amount": 1500.5,
        "bank": str(bank.pk),
        "dueDate": "2025-08-01T00:00:00.000Z",
        **extra,
    }


class TestCheckAPI(ResourceAPICase):
    path = "checks"
    family = "D"
    operations = {"list", "create", "retrieve"}

    @pytest.fixture(autouse=True)
    def _refs(self, tenant):
        self.client_row, self.rep, self.bank = (
            ClientFactory(tenant=tenant),
            RepFactory(tenant=tenant),
            BankFactory(tenant=tenant),
        )

    def get_create_data(self, tenant):
        return {
            **body(self.client_row, self.bank),
            "rep": str(self.rep.pk),
            "accountNumber": "0012-345678",
            "issueDate": "2025-07-01T09:30:00.000Z",
            "notes": "Post-dated",
            "integration_meta": {"erp_id": "CHK-1"},
            "company_namespace": [tenant.namespace],
        }

    @property
    def invalid_data(self):
        base = body(self.client_row, self.bank)
        drop = lambda name: {k: v for k, v in base.items() if k != name}  # noqa: E731
        return [
            {},
            drop("client"),
            drop("checkNumber"),
            drop("amount"),
            drop("bank"),
            drop("dueDate"),
            {**base, "amount": 0},
            {**base, "amount": -5},
            {**base, "amount": "100"},
            {**base, "checkNumber": 123},
            {**base, "checkNumber": "   "},
            {**base, "client": "not-an-id"},
            {**base, "bank": "No Such Bank"},
            {**base, "rep": "01900000-0000-7000-8000-000000000000"},
            {**base, "dueDate": "tomorrow"},
            {**base, "issueDate": "2025-09-01T00:00:00Z"},  # due before issued
            {**base, "status": "cleared"},  # read-only: ignored, so this one is valid ...
        ][:-1]

    def make(self, tenant, **kwargs):
        return CheckFactory(tenant=tenant, **kwargs)


def test_documented_shape_and_server_fields(api, tenant):
    client, bank = ClientFactory(tenant=tenant), BankFactory(tenant=tenant)
    r = api.post(URL, {**body(client, bank), "status": "cleared", "clearedDate": "2025-08-02T00:00:00Z"}, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()
    assert set(doc) == DOCUMENTED
    assert (doc["status"], doc["clearedDate"], doc["rep"], doc["issueDate"]) == ("pending", None, None, None)
    assert (doc["amount"], doc["bank"], doc["checkNumber"]) == (1500.5, str(bank.pk), "000123")
    assert doc["dueDate"] == "2025-08-01T00:00:00.000Z"


def test_checks_are_immutable(api, tenant):
    check = CheckFactory(tenant=tenant)
    for method in ("put", "patch", "delete"):
        r = getattr(api, method)(f"{URL}/{check.pk}", {"amount": 1}, format="json")
        assert r.status_code == 405, (method, r.status_code)
    assert api.post(f"{URL}/remove", {"ids": [str(check.pk)]}, format="json").status_code in (404, 405)
    check.refresh_from_db()
    assert check.version == 0 and check.amount == 250


def test_a_check_number_is_unique_per_bank(api, tenant, other_tenant):
    client, bank, other_bank = ClientFactory(tenant=tenant), BankFactory(tenant=tenant), BankFactory(tenant=tenant)
    first = api.post(URL, body(client, bank, "777"), format="json").json()
    again = api.post(URL, body(ClientFactory(tenant=tenant), bank, " 777 "), format="json")
    assert again.status_code == 409, again.content
    detail = again.json()["details"][0]
    assert (detail["path"], detail["code"], detail["_id"]) == ("checkNumber", "unique", first["_id"])
    assert first["_id"] in again.json()["error"]
    # another bank, or another company's same bank number: fine
    assert api.post(URL, body(client, other_bank, "777"), format="json").status_code == 201
    foreign_client, foreign_bank = ClientFactory(tenant=other_tenant), BankFactory(tenant=other_tenant)
    other_api = client_for(other_tenant)
    assert other_api.post(URL, body(foreign_client, foreign_bank, "777"), format="json").status_code == 201
    assert Check.objects.filter(tenant=tenant).count() == 2
    with pytest.raises(Conflict):
        services.create_check(
            tenant=tenant,
            data={
                "client": client,
                "bank": bank,
                "check_number": "777",
                "amount": 1,
                "due_date": first and Check.objects.first().due_date,
            },
        )


def test_references_stay_in_the_tenant_and_bank_by_name(api, tenant, other_tenant):
    client, bank = ClientFactory(tenant=tenant), BankFactory(tenant=tenant, name="Arab Bank")
    foreign = {
        "client": ClientFactory(tenant=other_tenant),
        "rep": RepFactory(tenant=other_tenant),
        "bank": BankFactory(tenant=other_tenant, name="Globex Bank"),
    }
    for name, row in foreign.items():
        r = api.post(URL, {**body(client, bank), name: str(row.pk)}, format="json")
        assert r.status_code == 400 and r.json()["details"][0]["path"] == name, (name, r.content)
    r = api.post(URL, {**body(client, bank), "bank": "Globex Bank"}, format="json")
    assert r.status_code == 400 and r.json()["details"][0]["path"] == "bank"
    r = api.post(URL, {**body(client, bank, "9"), "bank": "arab bank"}, format="json")
    assert r.status_code == 201 and r.json()["bank"] == str(bank.pk)
    assert not Check.objects.filter(tenant=other_tenant).exists()
    # a bank or client that checks were drawn on cannot be deleted
    assert api.delete(f"/v1/banks/{bank.pk}").status_code == 409
    assert api.delete(f"/v1/client/{client.pk}").status_code == 409


def test_filters_date_range_and_dialects(api, tenant):
    bank, other_bank = BankFactory(tenant=tenant), BankFactory(tenant=tenant)
    rep = RepFactory(tenant=tenant)
    july = CheckFactory(tenant=tenant, bank=bank, rep=rep, due_date="2025-07-15T10:00:00Z", check_number="A1")
    august = CheckFactory(tenant=tenant, bank=other_bank, due_date="2025-08-31T23:00:00Z", check_number="A2")
    CheckFactory(tenant=tenant, due_date="2025-09-01T00:00:00Z", check_number="A3")

    def ids(params):
        r = api.get(URL, params)
        assert r.status_code == 200, r.content
        return [d["_id"] for d in r.json()["data"]]

    assert ids({"from_date": "2025-07-01", "to_date": "2025-08-31"}) == [str(july.pk), str(august.pk)]
    assert ids({"to_date": "2025-07-15T09:59:59Z"}) == []
    assert ids({"from_date": "2025-08-01"}) != [] and str(july.pk) not in ids({"from_date": "2025-08-01"})
    assert api.get(URL, {"from_date": "someday"}).status_code == 400
    assert ids({"bank": str(other_bank.pk)}) == [str(august.pk)]
    assert ids({"rep": str(rep.pk)}) == [str(july.pk)]
    assert ids({"checkNumber": "A2"}) == [str(august.pk)]
    assert len(ids({"status": "pending"})) == 3 and ids({"status": "cleared"}) == []
    assert ids({"search": "a1"}) == [str(july.pk)]
    populated = api.get(URL, {"_id": str(july.pk), "populatedKeys": '["bank", "client", "rep"]'}).json()["data"][0]
    assert populated["bank"]["name"] == bank.name and populated["rep"]["_id"] == str(rep.pk)
    r = api.post(
        f"{URL}/search", {"where": {"amount": {"_gte": 100}, "checkNumber": {"_in": ["A1", "A3"]}}}, format="json"
    )
    assert len(r.json()["data"]) == 2 and "total_result" in r.json()
    r = api.post(f"{URL}/search", {"where": {"bank": {"name": {"_eq": bank.name}}}}, format="json")
    assert [d["_id"] for d in r.json()["data"]] == [str(july.pk)]
    r = api.get(URL, {"$filter": "checkNumber eq 'A2'", "$select": "checkNumber,status"})
    assert r.json()["data"] == [{"checkNumber": "A2", "status": "pending"}]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_number_make_one_check(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers")
    client, bank = ClientFactory(tenant=tenant), BankFactory(tenant=tenant)
    apis = [client_for(tenant) for _ in range(8)]
    barrier = threading.Barrier(len(apis))
    statuses = []

    def create(api):
        try:
            barrier.wait()
            statuses.append(api.post(URL, body(client, bank, "RACE-1"), format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (len(apis) - 1)
    assert Check.objects.filter(tenant=tenant, check_number="RACE-1").count() == 1


# Admin -------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="finance"))
    return user


def test_admin_adds_checks_through_the_service_and_never_changes_them(client, staff, tenant, other_tenant):
    client.force_login(staff)
    shop, bank = ClientFactory(tenant=tenant), BankFactory(tenant=tenant)
    form = {
        "client": shop.pk, "bank": bank.pk, "check_number": "55", "amount": "120.00",
        "due_date_0": "2025-08-01", "due_date_1": "00:00:00", "integration_meta": "{}",
    }  # fmt: skip
    r = client.post("/admin/finance/check/add/", {**form, "amount": "0"})
    assert r.status_code == 200 and "greater than 0" in r.text
    r = client.post("/admin/finance/check/add/", form)
    assert r.status_code == 302, r.text[:3000]
    check = Check.objects.get(tenant=tenant)
    assert check.check_number == "55" and check.status == "pending"
    r = client.post("/admin/finance/check/add/", form)
    assert r.status_code == 200 and "already recorded" in r.text
    foreign_bank = BankFactory(tenant=other_tenant)
    r = client.post("/admin/finance/check/add/", {**form, "bank": foreign_bank.pk, "check_number": "56"})
    assert r.status_code == 200 and not Check.objects.filter(check_number="56").exists()
    # read-only afterwards, and not deletable
    page = client.get(f"/admin/finance/check/{check.pk}/change/")
    assert page.status_code == 200 and 'name="amount"' not in page.text
    client.post(f"/admin/finance/check/{check.pk}/change/", {**form, "amount": "999"})
    check.refresh_from_db()
    assert check.amount == 120 and check.version == 0
    client.post(f"/admin/finance/check/{check.pk}/delete/", {"post": "yes"})
    assert Check.objects.filter(pk=check.pk).exists()
    theirs = CheckFactory(tenant=other_tenant, check_number="THEIRS-1")
    assert "THEIRS-1" not in client.get("/admin/finance/check/").text
    assert client.get(f"/admin/finance/check/{theirs.pk}/change/").status_code in (302, 404)
