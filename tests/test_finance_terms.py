"""Payment terms (`/paymentterms`, family F): the generic API cases, the `discount_days ≤ days`
rule (422), deletes of a term clients name (409), `due_date_for`, the dialects, the admin."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api.exceptions import Conflict, Unprocessable
from finance.models import PaymentTerm
from finance.services import terms as services
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.factories_finance import PaymentTermFactory

pytestmark = pytest.mark.django_db

URL = "/v1/paymentterms"
DOCUMENTED = {
    "_id", "company_id", "created_at", "days", "description", "discount_days", "discount_percentage", "is_active",
    "name", "updated_at",
}  # fmt: skip


class TestPaymentTermAPI(ResourceAPICase):
    path = "paymentterms"
    family = "F"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {
        "name": "Net 30",
        "description": "30 days, 2% within 10",
        "days": 30,
        "discount_percentage": 2.5,
        "discount_days": 10,
        "is_active": True,
    }
    update_data = {"name": "Net 45", "days": 45, "is_active": False}
    invalid_data = [
        {},
        {"name": 5},
        {"name": ""},
        {"name": "N", "days": -1},
        {"name": "N", "days": "30"},
        {"name": "N", "days": 1.5},
        {"name": "N", "days": 100000},
        {"name": "N", "discount_percentage": 101},
        {"name": "N", "discount_percentage": -1},
        {"name": "N", "discount_percentage": "2"},
        {"name": "N", "is_active": "yes"},
    ]

    def make(self, tenant, **kwargs):
        return PaymentTermFactory(tenant=tenant, **kwargs)


def test_documented_shape_and_envelopes(api, tenant):
    r = api.post(URL, {"name": "Net 30", "days": 30}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == {"success", "result"} and body["success"] is True
    doc = body["result"]
    assert set(doc) == DOCUMENTED
    assert doc["company_id"] == tenant.namespace
    assert (doc["days"], doc["discount_days"], doc["discount_percentage"], doc["is_active"]) == (30, 0, 0.0, True)
    assert doc["description"] == "" and doc["created_at"].endswith("Z")
    listed = api.get(URL).json()
    assert listed["pagination"] == {"total": 1, "page": 1, "per_page": 25, "total_pages": 1}
    assert listed["result"] == [doc]
    deleted = api.delete(f"{URL}/{doc['_id']}").json()
    assert deleted == {"success": True, "result": doc}


def test_discount_days_beyond_days_is_422_naming_the_field(api, tenant):
    r = api.post(URL, {"name": "Net 10", "days": 10, "discount_days": 11}, format="json")
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["success"] is False and body["details"][0]["path"] == "discount_days"
    assert "discount_days" in body["error"]
    # only discount_days sent: the default days (0) bound it
    assert api.post(URL, {"name": "Net 0", "discount_days": 1}, format="json").status_code == 422
    assert api.post(URL, {"name": "Net 10", "days": 10, "discount_days": 10}, format="json").status_code == 201
    assert not PaymentTerm.objects.filter(tenant=tenant, name__in=["Net 0"]).exists()


def test_an_update_is_checked_against_the_stored_other_value(api, tenant):
    term = PaymentTermFactory(tenant=tenant, days=30, discount_days=10)
    detail = f"{URL}/{term.pk}"
    r = api.put(detail, {"discount_days": 31}, format="json")
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "discount_days"
    r = api.patch(detail, {"days": 9}, format="json")
    assert r.status_code == 422 and "(10)" in r.json()["error"] and "(9)" in r.json()["error"]
    r = api.patch(detail, {"days": 9, "discount_days": 5}, format="json")
    assert r.status_code == 200 and r.json()["result"]["days"] == 9
    term.refresh_from_db()
    assert (term.days, term.discount_days, term.version) == (9, 5, 1)


def test_service_rules(tenant):
    with pytest.raises(Unprocessable):
        services.create_term(tenant=tenant, data={"name": "X", "days": 5, "discount_days": 6})
    term = services.create_term(tenant=tenant, data={"name": "X", "days": 5, "discount_days": 5})
    with pytest.raises(Unprocessable):
        services.update_term(term=term, data={"days": 4})
    assert PaymentTerm.objects.get(pk=term.pk).days == 5


def test_a_term_clients_name_cannot_be_deleted(api, tenant, other_tenant):
    term = PaymentTermFactory(tenant=tenant)
    client = ClientFactory(tenant=tenant, payment_term=str(term.pk))
    ClientFactory(tenant=other_tenant, payment_term=str(term.pk))  # another company's: does not count
    r = api.delete(f"{URL}/{term.pk}")
    assert r.status_code == 409 and "1 client" in r.json()["error"], r.content
    assert r.json()["success"] is False
    with pytest.raises(Conflict):
        services.delete_term(term=term)
    client.payment_term = None
    client.save()
    assert api.delete(f"{URL}/{term.pk}").status_code == 200
    assert not PaymentTerm.objects.filter(pk=term.pk).exists()


def test_client_payment_term_round_trips_with_the_term_id(api, tenant):
    term = PaymentTermFactory(tenant=tenant, days=45)
    r = api.post("/v1/client", {"name": "Shop", "paymentTerm": str(term.pk)}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["paymentTerm"] == str(term.pk)


# due_date_for --------------------------------------------------------------------------------------
def test_due_date_for(tenant, other_tenant):
    issued = dt.date(2025, 1, 31)
    term = PaymentTermFactory(tenant=tenant, days=30)
    on_term = ClientFactory(tenant=tenant, payment_term=str(term.pk))
    assert services.due_date_for(tenant=tenant, client=on_term, issued_on=issued) == dt.date(2025, 3, 2)
    # by id, as a string or a UUID
    assert services.due_date_for(tenant=tenant, client=str(on_term.pk), issued_on=issued) == dt.date(2025, 3, 2)
    assert services.due_date_for(tenant=tenant, client=on_term.pk, issued_on=issued) == dt.date(2025, 3, 2)
    # a datetime counts by its date
    moment = dt.datetime(2025, 1, 31, 23, 59, tzinfo=dt.UTC)
    assert services.due_date_for(tenant=tenant, client=on_term, issued_on=moment) == dt.date(2025, 3, 2)
    # zero days: due the same day; an inactive term still applies to its clients
    cash = PaymentTermFactory(tenant=tenant, days=0, discount_days=0, is_active=False)
    on_cash = ClientFactory(tenant=tenant, payment_term=str(cash.pk))
    assert services.due_date_for(tenant=tenant, client=on_cash, issued_on=issued) == issued
    # no term, an unknown id, a malformed id, another company's term: None
    foreign = PaymentTermFactory(tenant=other_tenant, days=7)
    for value in (None, "", "01900000-0000-7000-8000-000000000000", "net30", str(foreign.pk)):
        client = ClientFactory(tenant=tenant, payment_term=value)
        assert services.due_date_for(tenant=tenant, client=client, issued_on=issued) is None, value
    # a client of another company, or an unknown client id: None
    assert services.due_date_for(tenant=other_tenant, client=on_term, issued_on=issued) is None
    assert services.due_date_for(tenant=other_tenant, client=str(on_term.pk), issued_on=issued) is None
    assert services.due_date_for(tenant=tenant, client="nope", issued_on=issued) is None
    # a deleted term's clients fall back to None
    lonely = PaymentTermFactory(tenant=tenant, days=5)
    client = ClientFactory(tenant=tenant, payment_term=str(lonely.pk))
    PaymentTerm.objects.filter(pk=lonely.pk).delete()
    assert services.due_date_for(tenant=tenant, client=client, issued_on=issued) is None


def test_due_date_for_costs_one_query_with_a_client(tenant):
    term = PaymentTermFactory(tenant=tenant, days=14)
    client = ClientFactory(tenant=tenant, payment_term=str(term.pk))
    with CaptureQueriesContext(connection) as queries:
        services.due_date_for(tenant=tenant, client=client, issued_on=dt.date(2025, 6, 1))
    assert len(queries) == 1


# Query dialects ------------------------------------------------------------------------------------
def test_filters_and_the_three_dialects(api, tenant, other_tenant):
    net30 = PaymentTermFactory(tenant=tenant, name="Net 30", days=30)
    net60 = PaymentTermFactory(tenant=tenant, name="Net 60", days=60, is_active=False)
    PaymentTermFactory(tenant=other_tenant, name="Net 90", days=90)

    def ids(body):
        return [d["_id"] for d in body["result"]]

    assert ids(api.get(URL, {"is_active": "false"}).json()) == [str(net60.pk)]
    assert ids(api.get(URL, {"days": "30"}).json()) == [str(net30.pk)]
    assert ids(api.get(URL, {"from_days": 31}).json()) == [str(net60.pk)]
    assert ids(api.get(URL, {"search": "net 6"}).json()) == [str(net60.pk)]
    assert ids(api.get(URL, {"sort": "days", "sortPageOrder": "dsc"}).json()) == [str(net60.pk), str(net30.pk)]
    # where-clause search, in the family's own envelope
    r = api.post(f"{URL}/search", {"where": {"days": {"_gte": 30}, "is_active": {"_eq": True}}}, format="json")
    assert r.status_code == 200 and set(r.json()) == {"success", "result", "pagination"}
    assert ids(r.json()) == [str(net30.pk)]
    # OData
    r = api.get(URL, {"$filter": "days gt 40", "$select": "name,days"})
    assert r.status_code == 200, r.content
    assert r.json()["result"] == [{"name": "Net 60", "days": 60}]
    r = api.get(URL, {"$orderby": "days desc", "$top": "1"})
    assert ids(r.json()) == [str(net60.pk)]
    # company_id cannot be filtered on (it is the caller's, always)
    assert api.get(URL, {"filter": json.dumps({"company_id": "acme"})}).status_code == 400


# Admin -------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="finance"))
    return user


def test_admin_applies_the_rules_and_scopes_to_the_tenant(client, staff, tenant, other_tenant):
    client.force_login(staff)
    form = {"name": "Net 15", "description": "", "days": 15, "discount_percentage": "1.5", "discount_days": 20}
    form |= {"is_active": "on", "integration_meta": "{}"}
    r = client.post("/admin/finance/paymentterm/add/", form)
    assert r.status_code == 200 and "cannot exceed days" in r.text
    r = client.post("/admin/finance/paymentterm/add/", {**form, "discount_days": 5})
    assert r.status_code == 302, r.text[:2000]
    term = PaymentTerm.objects.get(name="Net 15")
    assert term.tenant == tenant and term.discount_days == 5
    page = client.get(f"/admin/finance/paymentterm/{term.pk}/change/")
    assert page.status_code == 200
    fieldsets = [name for name, _ in page.context["adminform"].fieldsets]
    assert page.context["adminform"].fieldsets[0][1]["fields"][0] == "name" and fieldsets[-1] == "JSON data"
    r = client.post(f"/admin/finance/paymentterm/{term.pk}/change/", {**form, "days": 4, "discount_days": 5})
    assert r.status_code == 200 and "cannot exceed days" in r.text
    r = client.post(f"/admin/finance/paymentterm/{term.pk}/change/", {**form, "days": 20, "discount_days": 5})
    assert r.status_code == 302
    term.refresh_from_db()
    assert (term.days, term.version) == (20, 1)
    # another tenant's term is neither listed nor opened
    theirs = PaymentTermFactory(tenant=other_tenant, name="Globex terms")
    assert "Globex terms" not in client.get("/admin/finance/paymentterm/").text
    assert client.get(f"/admin/finance/paymentterm/{theirs.pk}/change/").status_code in (302, 404)
    # a term clients name is protected on the delete page
    ClientFactory(tenant=tenant, payment_term=str(term.pk))
    assert "named by 1 client" in client.get(f"/admin/finance/paymentterm/{term.pk}/delete/").text
    client.post(f"/admin/finance/paymentterm/{term.pk}/delete/", {"post": "yes"})
    assert PaymentTerm.objects.filter(pk=term.pk).exists()


def test_demo_data_has_finance_rows(db):
    from io import StringIO

    from django.core.management import call_command

    from clients.models import Client
    from core.models import Tenant
    from finance.models import Bank, BankList, Check

    out = StringIO()
    call_command("load_demo_data", "--admin-password", "pw", stdout=out)
    demo = Tenant.objects.get(namespace="demo")
    assert PaymentTerm.objects.filter(tenant=demo).count() == 3 and "3 payment terms" in out.getvalue()
    assert Bank.objects.filter(tenant=demo).count() == 4 and BankList.objects.filter(tenant=demo).count() == 1
    assert Check.objects.filter(tenant=demo, status="pending").count() == 4
    on_terms = Client.objects.filter(tenant=demo).exclude(payment_term=None)
    assert on_terms.count() == Client.objects.filter(tenant=demo).count()
    client = on_terms.first()
    assert services.due_date_for(tenant=demo, client=client, issued_on=dt.date(2025, 1, 1)) is not None
    counts = PaymentTerm.objects.count(), Check.objects.count()
    call_command("load_demo_data", "--admin-password", "pw", stdout=StringIO())
    assert (PaymentTerm.objects.count(), Check.objects.count()) == counts
