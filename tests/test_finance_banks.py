"""Banks and bank lists (`/banks`, `/bankslists`, family E): the generic API cases, unique bank
names, lists of the tenant's banks, deletes, the dialects, the admin."""

import pytest

from finance.models import Bank, BankList
from tests.api_cases import ResourceAPICase
from tests.factories_finance import BankFactory, BankListFactory

pytestmark = pytest.mark.django_db

BANKS, LISTS = "/v1/banks", "/v1/bankslists"


class TestBankAPI(ResourceAPICase):
    path = "banks"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {"name": "Arab Bank", "code": "ARABJOAX", "country": "JO", "disabled": False}
    update_data = {"name": "Arab Bank PLC", "country": "Jordan"}
    invalid_data = [{}, {"name": 5}, {"name": ""}, {"name": "B", "disabled": "no"}, {"name": "B", "code": 1}]

    def make(self, tenant, **kwargs):
        return BankFactory(tenant=tenant, **kwargs)


class TestBankListAPI(ResourceAPICase):
    path = "bankslists"
    family = "E"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    update_data = {"name": "North banks", "disabled": True}

    @pytest.fixture(autouse=True)
    def _banks(self, tenant):
        self.banks = [BankFactory(tenant=tenant) for _ in range(2)]

    def get_create_data(self, tenant):
        return {"name": "Accepted banks", "banks": [str(b.pk) for b in reversed(self.banks)], "disabled": False}

    @property
    def invalid_data(self):
        return [{}, {"name": 5}, {"name": "L", "banks": "x"}, {"name": "L", "banks": ["not-an-id"]}]

    def make(self, tenant, **kwargs):
        return BankListFactory(tenant=tenant, banks=[BankFactory(tenant=tenant)], **kwargs)


def test_documented_shapes(api, tenant):
    r = api.post(BANKS, {"name": "Housing Bank", "code": "HBHOJOAX", "country": "JO"}, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()["data"]
    assert set(doc) == {"_id", "name", "code", "country", "disabled", "createdAt", "updatedAt"}
    r = api.post(LISTS, {"name": "All", "banks": [doc["_id"]]}, format="json")
    assert set(r.json()["data"]) == {"_id", "name", "banks", "disabled", "createdAt", "updatedAt"}
    assert api.get(BANKS).json()["meta"] == {"page": 1, "per_page": 25, "total": 1, "pages": 1}
    assert api.delete(f"{LISTS}/{r.json()['data']['_id']}").json() == {"success": True}


def test_bank_names_are_unique_in_any_case(api, tenant, other_tenant):
    first = api.post(BANKS, {"name": "Cairo Amman Bank"}, format="json").json()["data"]
    again = api.post(BANKS, {"name": "cairo amman bank"}, format="json")
    assert again.status_code == 409 and again.json()["details"][0]["_id"] == first["_id"]
    other = BankFactory(tenant=tenant, name="Other")
    assert api.patch(f"{BANKS}/{other.pk}", {"name": "CAIRO AMMAN BANK"}, format="json").status_code == 409
    BankFactory(tenant=other_tenant, name="Cairo Amman Bank")  # another company may have it


def test_bank_lists_stay_in_the_tenant(api, tenant, other_tenant):
    a, b, c = (BankFactory(tenant=tenant, name=n) for n in ("A bank", "B bank", "C bank"))
    foreign = BankFactory(tenant=other_tenant)
    r = api.post(LISTS, {"name": "Mixed", "banks": [str(c.pk), str(a.pk), str(b.pk)]}, format="json")
    doc = r.json()["data"]
    assert sorted(doc["banks"]) == sorted([str(c.pk), str(a.pk), str(b.pk)])
    listed = api.get(LISTS, {"_id": doc["_id"]}).json()["data"]
    assert listed[0]["banks"] == doc["banks"]
    r = api.post(LISTS, {"name": "Bad", "banks": [str(a.pk), str(foreign.pk)]}, format="json")
    assert r.status_code == 400 and str(foreign.pk) in r.json()["error"]
    assert r.json()["details"][0]["path"] == "banks"
    # filter by a bank, populate the banks
    assert [d["_id"] for d in api.get(LISTS, {"banks": str(b.pk)}).json()["data"]] == [doc["_id"]]
    populated = api.get(LISTS, {"populatedKeys": '["banks"]'}).json()["data"][0]["banks"]
    assert sorted(p["name"] for p in populated) == ["A bank", "B bank", "C bank"]
    # deleting a bank drops it from the lists and moves their version on
    version = BankList.objects.get(pk=doc["_id"]).version
    assert api.delete(f"{BANKS}/{a.pk}").json() == {"success": True}
    after = api.get(f"{LISTS}/{doc['_id']}").json()["data"]
    assert sorted(after["banks"]) == sorted([str(c.pk), str(b.pk)])
    assert BankList.objects.get(pk=doc["_id"]).version > version


def test_where_and_odata_on_banks(api, tenant):
    BankFactory(tenant=tenant, name="Jordan Bank", country="JO")
    BankFactory(tenant=tenant, name="Emirates NBD", country="AE")
    r = api.post(f"{BANKS}/search", {"where": {"country": {"_eq": "AE"}}}, format="json")
    assert [d["name"] for d in r.json()["data"]] == ["Emirates NBD"] and "meta" in r.json()
    r = api.get(BANKS, {"$filter": "startswith(name, 'Jordan')", "$select": "name"})
    assert r.json()["data"] == [{"name": "Jordan Bank"}]


# Admin -------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="finance"))
    return user


def test_admin_banks_and_lists(client, staff, tenant, other_tenant):
    client.force_login(staff)
    BankFactory(tenant=tenant, name="Capital Bank")
    r = client.post("/admin/finance/bank/add/", {"name": "capital bank", "integration_meta": "{}"})
    assert r.status_code == 200 and "already" in r.text
    r = client.post("/admin/finance/bank/add/", {"name": "Safwa Bank", "country": "JO", "integration_meta": "{}"})
    assert r.status_code == 302
    assert Bank.objects.get(name="Safwa Bank").tenant == tenant
    theirs = BankFactory(tenant=other_tenant, name="Globex Bank")
    listing = client.get("/admin/finance/bank/")
    assert "Capital Bank" in listing.text and "Globex Bank" not in listing.text
    assert client.get(f"/admin/finance/bank/{theirs.pk}/change/").status_code in (302, 404)
    bank_list = BankListFactory(tenant=tenant, name="Accepted", banks=list(Bank.objects.filter(tenant=tenant)))
    page = client.get("/admin/finance/banklist/")
    assert page.status_code == 200 and "Accepted" in page.text
    page = client.get(f"/admin/finance/banklist/{bank_list.pk}/change/")
    assert page.status_code == 200
    assert page.context["adminform"].fieldsets[0][1]["fields"][0] == "name"
