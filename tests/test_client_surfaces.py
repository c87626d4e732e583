"""The three client surfaces (Repzo /v1/client, Aiwyn /gql/v1, CRM /clients) over one table."""

import json

import pytest
from django.contrib.auth.hashers import check_password

from clients.models import Client, MailUnsubscribe
from tests.factories import ClientContactFactory, ClientFactory

pytestmark = pytest.mark.django_db

CRM_BODY = {"email": "ann.lee@example.com", "firstName": "Ann", "lastName": "Lee"}


def crm_create(api, **extra):
    r = api.post("/clients", {**CRM_BODY, **extra}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


# --- CRM (seed 002) --------------------------------------------------------------------------


def test_crm_create_answers_the_audit_record(api, tenant):
    record = crm_create(api, fico=720, totalIncome=85000.5, firstTimeBuyer=True, homePhone="555-1")
    assert set(record) == {"id", "type", "createdTimestamp", "updatedTimestamp"} and record["type"] == "Client"
    client = Client.objects.get(pk=record["id"])
    assert client.name == "Ann Lee" and client.fico == 720 and client.first_time_buyer is True
    doc = api.get(f"/clients/{record['id']}").json()
    assert doc["totalIncome"] == 85000.5 and doc["homePhone"] == "555-1" and doc["workPhone"] is None


def test_crm_validation(api, tenant):
    for body, field in (
        ({"firstName": "A", "lastName": "B"}, "email"),
        ({**CRM_BODY, "email": "not-an-email"}, "email"),
        ({**CRM_BODY, "email": "a@b.c"}, "email"),  # the seed's pattern wants a 2+ letter TLD
        ({**CRM_BODY, "firstName": ""}, "firstName"),
        ({"email": "a@b.co", "firstName": "A"}, "lastName"),
        ({**CRM_BODY, "fico": 900}, "fico"),
        ({**CRM_BODY, "fico": "700"}, "fico"),
        ({**CRM_BODY, "isSilenced": "yes"}, "isSilenced"),
        ({**CRM_BODY, "referredById": "01890a5d-ac96-774b-bcce-b302099a8057"}, "referredById"),
    ):
        r = api.post("/clients", body, format="json")
        assert r.status_code == 400, (body, r.content)
        assert r.json()["details"][0]["path"] == field
    assert not Client.objects.exists()


def test_crm_read_only_fields_are_ignored_and_login_token_is_hashed(api, tenant):
    record = crm_create(
        api, id="01890a5d-ac96-774b-bcce-b302099a8057", createdOn="2000-01-01T00:00:00Z", loginToken="s3cret"
    )
    assert record["id"] != "01890a5d-ac96-774b-bcce-b302099a8057"
    client = Client.objects.get(pk=record["id"])
    assert client.created_at.year != 2000
    assert "s3cret" not in client.login_token_hash and check_password("s3cret", client.login_token_hash)
    assert "loginToken" not in api.get(f"/clients/{record['id']}").json()


def test_crm_put_replaces_and_patch_merges(api, tenant):
    record = crm_create(api, fico=700, homePhone="555-1", isArchived=True)
    url = f"/clients/{record['id']}"
    r = api.patch(url, {"lastName": "Smith"}, format="json")
    assert r.status_code == 200 and set(r.json()) == {"id", "type", "createdTimestamp", "updatedTimestamp"}
    doc = api.get(url).json()
    assert doc["lastName"] == "Smith" and doc["fico"] == 700 and doc["homePhone"] == "555-1"
    assert api.patch(url, {"email": ""}, format="json").status_code == 400
    assert api.patch(url, {"firstName": None}, format="json").status_code == 400
    r = api.put(url, {**CRM_BODY, "lastName": "Brown"}, format="json")
    assert r.status_code == 200
    doc = api.get(url).json()
    assert doc["lastName"] == "Brown" and doc["fico"] is None and doc["homePhone"] is None
    assert doc["isArchived"] is False
    assert api.put(url, {"firstName": "X"}, format="json").status_code == 400  # PUT needs the required fields


def test_crm_delete(api, tenant):
    record = crm_create(api)
    assert api.delete("/clients").status_code == 405
    assert Client.objects.filter(pk=record["id"]).exists()
    r = api.delete(f"/clients/{record['id']}")
    assert r.status_code == 204 and not r.content
    assert api.delete(f"/clients/{record['id']}").status_code == 404
    assert api.get("/clients/not-a-uuid").status_code == 404


def test_crm_is_silenced_is_the_suppression_list(api, tenant):
    record = crm_create(api, isSilenced=True)
    assert MailUnsubscribe.objects.filter(tenant=tenant, email="ann.lee@example.com").exists()
    check = api.post("/v1/mail-unsubscribe/check", {"email": "Ann.Lee@example.com"}, format="json").json()
    assert check["data"]["is_unsubscribed"] is True
    api.patch(f"/clients/{record['id']}", {"isSilenced": False}, format="json")
    assert not MailUnsubscribe.objects.filter(tenant=tenant).exists()
    api.post("/v1/mail-unsubscribe", {"email": "ann.lee@example.com"}, format="json")
    assert api.get(f"/clients/{record['id']}").json()["isSilenced"] is True


def test_crm_other_tenant_is_404(api, other_api, tenant):
    record = crm_create(api)
    assert other_api.get(f"/clients/{record['id']}").status_code == 404
    assert other_api.patch(f"/clients/{record['id']}", {"lastName": "X"}, format="json").status_code == 404
    assert other_api.delete(f"/clients/{record['id']}").status_code == 404


# --- Aiwyn (seed 000) ------------------------------------------------------------------------


def test_aiwyn_list_pages_from_zero_in_default_order(api, tenant):
    for name in ["Bravo", "alpha", "Charlie"]:
        ClientFactory(tenant=tenant, name=name)
    body = api.post("/gql/v1/clients", {"pageSize": 2, "page": 0}, format="json").json()
    assert body["total"] == {"aggregate": {"count": 3}}
    first = [c["name"] for c in body["clients"]]
    second = [
        c["name"] for c in api.post("/gql/v1/clients", {"pageSize": 2, "page": 1}, format="json").json()["clients"]
    ]
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert api.post("/gql/v1/clients", {"pageSize": 0}, format="json").status_code == 400
    assert api.post("/gql/v1/clients", {"page": -1}, format="json").status_code == 400
    assert api.post("/gql/v1/clients", {"pageSize": 5000}, format="json").status_code == 400
    assert len(api.post("/gql/v1/clients", {}, format="json").json()["clients"]) == 3  # default 50


def test_aiwyn_detail(api, other_api, tenant):
    contact = ClientContactFactory(tenant=tenant, name="John Smith", title="CFO", phone1="+1-555")
    client = ClientFactory(
        tenant=tenant,
        name="Acme",
        legal_name="Acme Corporation, Inc.",
        client_code="A-1045",
        city="New York",
        zip="10001",
        primary_contact=contact,
        billing_address={"street": "456 Finance Blvd", "city": "New York"},
    )
    doc = api.get(f"/gql/v1/client/{client.pk}").json()
    assert doc["id"] == str(client.pk) and doc["legalName"] == "Acme Corporation, Inc." and doc["clientRef"] == "A-1045"
    assert doc["status"] == "ACTIVE" and doc["active"] is True
    assert doc["address"]["city"] == "New York" and doc["address"]["zipCode"] == "10001"
    assert doc["billingAddress"]["street"] == "456 Finance Blvd"
    assert doc["primaryContact"] == {
        "id": str(contact.pk), "name": "John Smith", "title": "CFO", "email": contact.email, "phone": "+1-555",
    }  # fmt: skip
    assert doc["engagements"] == []
    assert doc["financialSummary"] == {
        "totalRevenue": 0,
        "outstandingBalance": 0,
        "currency": "USD",
        "lastPaymentDate": None,
    }
    assert other_api.get(f"/gql/v1/client/{client.pk}").status_code == 404
    assert api.get("/gql/v1/client/789").status_code == 404


# --- one row, three surfaces -----------------------------------------------------------------


def test_a_client_created_anywhere_is_the_same_row_everywhere(api, tenant):
    record = crm_create(api)
    repzo = api.get(f"/v1/client/{record['id']}").json()
    assert repzo["_id"] == record["id"] and repzo["name"] == "Ann Lee" and repzo["email"] == "ann.lee@example.com"
    aiwyn = api.get(f"/gql/v1/client/{record['id']}").json()
    assert aiwyn["id"] == record["id"] and aiwyn["name"] == "Ann Lee"

    created = api.post("/v1/client", {"name": "Repzo Made", "email": "rm@example.com"}, format="json").json()
    assert api.get(f"/gql/v1/client/{created['_id']}").json()["name"] == "Repzo Made"
    assert api.get(f"/clients/{created['_id']}").json()["email"] == "rm@example.com"
    listed = api.get("/v1/client", {"_id": json.dumps([record["id"], created["_id"]])}).json()
    assert listed["total_result"] == 2


def test_archiving_shows_on_every_surface(api, tenant):
    record = crm_create(api)
    api.put(f"/v1/client/{record['id']}", {"disabled": True}, format="json")
    assert api.get(f"/clients/{record['id']}").json()["isArchived"] is True
    aiwyn = api.get(f"/gql/v1/client/{record['id']}").json()
    assert aiwyn["active"] is False and aiwyn["status"] == "INACTIVE"
    api.patch(f"/clients/{record['id']}", {"isArchived": False}, format="json")
    assert api.get(f"/v1/client/{record['id']}").json()["disabled"] is False


def test_crm_list_with_odata_owner_and_search_text(api, tenant):
    for first, last, fico, owner in [
        ("Ann", "Smith", 720, "rep-1"),
        ("Bob", "Smith", 650, "rep-2"),
        ("Cy", "Jones", 800, "rep-1"),
    ]:
        crm_create(api, firstName=first, lastName=last, fico=fico, ownerId=owner, email=f"{first.lower()}@example.com")
    r = api.get("/clients", {"$filter": "lastName eq 'Smith' and fico ge 700"})
    assert r.status_code == 200 and [c["firstName"] for c in r.json()] == ["Ann"]
    assert [c["firstName"] for c in api.get("/clients", {"ownerId": "rep-1", "$orderby": "firstName desc"}).json()] == [
        "Cy", "Ann",
    ]  # fmt: skip
    assert [c["firstName"] for c in api.get("/clients", {"searchText": "bob@"}).json()] == ["Bob"]
    selected = api.get("/clients", {"$select": "id,email", "$top": 1}).json()
    assert len(selected) == 1 and set(selected[0]) == {"id", "email"}
    counted = api.get("/clients", {"$count": "true", "$top": 1}).json()
    assert counted["@odata.count"] == 3 and len(counted["value"]) == 1
    r = api.get("/clients", {"$filter": "loginToken eq 'x'"})
    assert r.status_code == 400 and r.json()["error"]["target"] == "$filter"
    assert api.get("/clients", {"$top": 100000}).status_code == 400


def test_crm_top_defaults_to_50(api, tenant):
    from clients.models import Client

    Client.objects.bulk_create(
        [
            Client(tenant=tenant, name=f"P {i}", first_name="P", last_name=str(i), email=f"p{i}@example.com")
            for i in range(55)
        ]
    )
    assert len(api.get("/clients").json()) == 50
    assert len(api.get("/clients", {"$skip": 50}).json()) == 5


def test_aiwyn_search_runs_the_seed_example_as_written(api, tenant):
    import datetime as dt

    matching = ClientFactory(tenant=tenant, name="Acme Technologies", client_code="A-1045", owner="5")
    ClientFactory(tenant=tenant, name="biotech labs", client_code="B-2001", owner="6")
    ClientFactory(tenant=tenant, name="Zeta Corp", client_code="Z-4501", owner="7", disabled=True)
    ClientFactory(tenant=tenant, name="TECHNO 50% Off", client_code="T_45", owner="99")
    Client_ = matching.__class__
    Client_.objects.filter(pk=matching.pk).update(created_at=dt.datetime(2021, 3, 1, 10, tzinfo=dt.UTC))
    seed = {
        "pageSize": 1,
        "where": {
            "_and": [
                {"_or": [{"name": {"_ilike": "%tech%"}}, {"clientRef": {"_ilike": "%45%"}}]},
                {"active": {"_eq": True}},
                {"createdAt": {"_gte": "1900-01-01T00:00:00Z"}},
                {"partnerStaffId": {"_in": [5, 6, 7, 8]}},
            ]
        },
        "orderBy": [{"name": "asc"}, {"createdAt": "desc"}],
    }
    r = api.post("/gql/v1/clients/search", seed, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"]["aggregate"]["count"] == 2  # Acme Technologies and biotech labs
    assert [c["name"] for c in body["clients"]] == ["Acme Technologies"]
    limit_form = {**seed, "limit": 1}
    del limit_form["pageSize"]
    assert api.post("/gql/v1/clients/search", limit_form, format="json").json()["total"]["aggregate"]["count"] == 2
    r = api.post("/gql/v1/clients/search", {"where": {"legalName": {"_regex": "("}}}, format="json")
    assert r.status_code == 400
    r = api.post("/gql/v1/clients/search", {"where": {"primaryContact": {"name": {"_eq": "x"}}}}, format="json")
    assert r.status_code == 200 and r.json()["total"]["aggregate"]["count"] == 0
