"""Client master data around the client: channels, contacts, locations, specialities and the
mail suppression list (tags: test_clients_tag.py)."""

import pytest

from clients.models import ClientChannel, ClientContact, ClientLocation, MailUnsubscribe
from clients.services import people as services
from core.api.exceptions import Conflict
from tests.api_cases import ResourceAPICase
from tests.factories import (
    ClientChannelFactory,
    ClientContactFactory,
    ClientFactory,
    ClientLocationFactory,
    MailUnsubscribeFactory,
    SpecialityFactory,
)

pytestmark = pytest.mark.django_db

WITH_REMOVE = {"list", "create", "retrieve", "update", "destroy", "remove"}


def data_of(response):
    return response.json()["data"]


def error_paths(response) -> set[str]:
    return {d["path"] for d in response.json().get("details", [])}


# client-channel ---------------------------------------------------------------------------------
class TestClientChannelAPI(ResourceAPICase):
    path = "client-channel"
    family = "C"
    create_data = {
        "name": "Retail Channel",
        "local_name": "قناة التجزئة",
        "disabled": False,
        "integration_meta": {"external_id": "ch_123"},
    }
    update_data = {"name": "Updated Retail Channel", "disabled": True}
    invalid_data = [
        {},  # name is required
        {"name": 5},
        {"name": ""},
        {"name": "x", "disabled": "false"},
        {"name": "x", "local_name": ["a"]},
        {"name": "x", "integration_meta": ["not", "an", "object"]},
    ]

    def make(self, tenant, **kwargs):
        return ClientChannelFactory(tenant=tenant, **kwargs)


def test_channel_documented_shape_and_filters(api, tenant):
    r = api.post("/v1/client-channel", {"name": "Retail", "local_name": "Detail"}, format="json")
    assert r.status_code == 201
    assert set(data_of(r)) == {
        "_id", "company_namespace", "createdAt", "updatedAt", "__v", "name", "local_name", "disabled",
        "integration_meta",
    }  # fmt: skip
    ClientChannelFactory(tenant=tenant, name="Wholesale", local_name="Gros", disabled=True)
    ClientChannelFactory(tenant=tenant, name="Pharma")

    def names(**params):
        return sorted(d["name"] for d in data_of(api.get("/v1/client-channel", params)))

    assert names(search="gros") == ["Wholesale"]  # search covers local_name too
    assert names(search="RET") == ["Retail"]
    assert names(name="Pharma") == ["Pharma"]
    assert names(local_name="Detail") == ["Retail"]
    assert names(disabled="true") == ["Wholesale"]
    assert names(disabled="false") == ["Pharma", "Retail"]


def test_deleting_a_channel_used_by_a_client_is_409(api, tenant):
    channel = ClientChannelFactory(tenant=tenant)
    ClientFactory(tenant=tenant, channel=channel)
    r = api.delete(f"/v1/client-channel/{channel.pk}")
    assert r.status_code == 409
    assert "client" in r.json()["error"]
    assert ClientChannel.objects.filter(pk=channel.pk).exists()


# client-contact ---------------------------------------------------------------------------------
class TestClientContactAPI(ResourceAPICase):
    path = "client-contact"
    family = "C"
    create_data = {
        "name": "John Smith",
        "local_name": "جون سميث",
        "phone1": "+1234567890",
        "phone2": "+1234567891",
        "email": "john.smith@example.com",
        "title": "Sales Manager",
        "extra_info": "Primary contact for technical issues",
        "disabled": False,
        "media": ["https://example.com/photo1.jpg"],
        "cover_photo": "https://example.com/cover.jpg",
        "integration_meta": {"external_id": "contact_123"},
    }
    update_data = {"title": "Senior Sales Manager", "media": ["https://example.com/a.jpg", "https://example.com/b.jpg"]}
    invalid_data = [
        {},  # name is required
        {"name": 7},
        {"name": "x", "email": "not-an-email"},
        {"name": "x", "email": 12},
        {"name": "x", "media": "https://example.com/photo1.jpg"},
        {"name": "x", "media": [1, 2]},
        {"name": "x", "disabled": 0},
    ]

    def make(self, tenant, **kwargs):
        return ClientContactFactory(tenant=tenant, **kwargs)


def test_contact_creator_and_editor_come_from_the_caller(api, tenant):
    forged = {"_id": "someone", "name": "Mallory", "type": "rep"}
    r = api.post("/v1/client-contact", {"name": "Jane", "creator": forged, "editor": forged}, format="json")
    assert r.status_code == 201
    doc = data_of(r)
    assert doc["creator"]["type"] == "admin"
    assert doc["creator"]["name"] == "test"  # the API key's name (tests/conftest.py)
    assert doc["creator"]["_id"] and doc["creator"]["_id"] != "someone"
    assert doc["editor"] is None
    contact = ClientContact.objects.get(pk=doc["_id"])
    assert contact.creator == doc["creator"]

    r = api.put(f"/v1/client-contact/{contact.pk}", {"title": "CFO", "creator": forged}, format="json")
    assert r.status_code == 200
    doc = data_of(r)
    assert doc["editor"]["name"] == "test" and doc["editor"]["type"] == "admin"
    assert doc["creator"]["name"] == "test"  # unchanged by the update


def test_contact_search_and_name_filter(api, tenant):
    ClientContactFactory(tenant=tenant, name="Alice", email="alice@acme.test", phone1="111")
    ClientContactFactory(tenant=tenant, name="Bob", email="bob@globex.test", phone1="222")

    def names(**params):
        return sorted(d["name"] for d in data_of(api.get("/v1/client-contact", params)))

    assert names(search="globex") == ["Bob"]
    assert names(search="111") == ["Alice"]
    assert names(search="ali") == ["Alice"]
    assert names(name="Bob") == ["Bob"]


def test_deleting_a_contact_removes_it_from_clients(api, tenant):
    kept, gone = ClientContactFactory(tenant=tenant), ClientContactFactory(tenant=tenant)
    client = ClientFactory(tenant=tenant)
    client.contacts.set([kept, gone])
    r = api.delete(f"/v1/client-contact/{gone.pk}")
    assert r.status_code == 200 and data_of(r)["_id"] == str(gone.pk)
    assert list(client.contacts.all()) == [kept]
    assert api.get(f"/v1/client/{client.pk}").json()["contacts"] == [str(kept.pk)]


# client-location --------------------------------------------------------------------------------
WEEK = {
    "monday": {"open": "08:00", "close": "17:00", "is_closed": False},
    "friday": {"open": "09:30", "close": "13:00"},
    "sunday": {"is_closed": True},
}


class TestClientLocationAPI(ResourceAPICase):
    path = "client-location"
    family = "B"
    operations = WITH_REMOVE
    update_data = {
        "name": "Warehouse 2",
        "location_type": "warehouse",
        "coordinates": {"latitude": -12.5, "longitude": 179},
    }

    @pytest.fixture(autouse=True)
    def _client_row(self, tenant):
        self.client_row = ClientFactory(tenant=tenant)

    def base(self):
        return {"client": str(self.client_row.pk), "name": "Main Office", "address": "123 Main St"}

    def make(self, tenant, **kwargs):
        return ClientLocationFactory(tenant=tenant, **kwargs)

    def get_create_data(self, tenant):
        return {
            **self.base(),
            "city": "New York",
            "state": "NY",
            "postal_code": "10001",
            "country": "United States",
            "coordinates": {"latitude": 40.7128, "longitude": -74.006},
            "is_primary": True,
            "location_type": "retail",
            "contact_info": {"phone": "+1 212 555 0100", "email": "office@acme.test", "fax": ""},
            "business_hours": WEEK,
            "notes": "Ring twice",
            "disabled": False,
        }

    @property
    def invalid_data(self):
        base = self.base()
        without_client = {k: v for k, v in base.items() if k != "client"}
        return [
            {},
            without_client,  # missing required client
            {**base, "address": ""},
            {**base, "name": 5},  # wrong type
            {**base, "location_type": "castle"},  # bad enum
            {**base, "is_primary": "yes"},
            {**base, "client": "01890a5d-ac96-774b-bcce-b302099a8057"},  # unknown client
            {**base, "coordinates": {"latitude": 91, "longitude": 0}},
            {**base, "coordinates": {"latitude": "40.7", "longitude": 0}},
            {**base, "coordinates": {"latitude": 40.7}},
            {**base, "coordinates": "40.7,-74.0"},
            {**base, "contact_info": {"email": "not-an-email"}},
            {**base, "contact_info": {"phone": 5}},
            {**base, "business_hours": {"funday": {"is_closed": True}}},
            {**base, "business_hours": {"monday": {"open": "9:00", "close": "17:00"}}},
            {**base, "business_hours": {"monday": {"open": "18:00", "close": "09:00"}}},
        ]

    def test_create_answers_the_nested_objects(self, api, tenant):
        r = api.post(self.url, self.get_create_data(tenant), format="json")
        assert r.status_code == 201
        doc = data_of(r)
        assert doc["coordinates"] == {"latitude": 40.7128, "longitude": -74.006}
        assert doc["business_hours"] == WEEK
        assert doc["contact_info"]["email"] == "office@acme.test"
        assert doc["client"] == str(self.client_row.pk)
        assert set(doc) >= {"SVClient", "__v", "modifiedAt", "createdAt", "company_namespace"}

    def test_defaults(self, api, tenant):
        doc = data_of(api.post(self.url, self.base(), format="json"))
        assert doc["location_type"] == "office"
        assert doc["is_primary"] is False and doc["disabled"] is False
        assert doc["coordinates"] is None and doc["business_hours"] is None


def test_second_primary_location_unsets_the_first(api, tenant):
    client = ClientFactory(tenant=tenant)
    other_client = ClientFactory(tenant=tenant)
    body = {"client": str(client.pk), "address": "1 St", "is_primary": True}
    first = data_of(api.post("/v1/client-location", {**body, "name": "A"}, format="json"))
    elsewhere = ClientLocationFactory(tenant=tenant, client=other_client, is_primary=True)
    second = data_of(api.post("/v1/client-location", {**body, "name": "B"}, format="json"))
    assert second["is_primary"] is True
    first_now = data_of(api.get(f"/v1/client-location/{first['_id']}"))
    assert first_now["is_primary"] is False
    assert first_now["__v"] == first["__v"] + 1  # the unset is a write
    elsewhere.refresh_from_db()
    assert elsewhere.is_primary is True  # another client's primary is untouched

    # PATCH makes the first primary again; the second loses it
    r = api.patch(f"/v1/client-location/{first['_id']}", {"is_primary": True}, format="json")
    assert r.status_code == 200 and data_of(r)["is_primary"] is True
    primaries = ClientLocation.objects.filter(client=client, is_primary=True)
    assert [str(pk) for pk in primaries.values_list("pk", flat=True)] == [first["_id"]]

    # deleting the primary promotes none
    assert api.delete(f"/v1/client-location/{first['_id']}").json() == {"success": True}
    assert not ClientLocation.objects.filter(client=client, is_primary=True).exists()


def test_primary_location_service(tenant):
    client = ClientFactory(tenant=tenant)
    first = services.create_client_location(
        tenant=tenant, data={"client": client, "name": "A", "address": "1 St", "is_primary": True}
    )
    second = services.create_client_location(
        tenant=tenant, data={"client": client, "name": "B", "address": "2 St", "is_primary": True}
    )
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    services.update_client_location(location=first, data={"is_primary": True})
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (True, False)
    # re-saving the primary keeps it primary
    services.save_client_location(location=first)
    first.refresh_from_db()
    assert first.is_primary is True


def test_business_hours_errors_name_their_paths(api, tenant):
    client = ClientFactory(tenant=tenant)
    hours = {
        "monday": {"open": "8am", "close": "17:00"},
        "tuesday": {"open": "17:00", "close": "09:00"},
        "wednesday": {"open": "09:00"},
        "thursday": {"open": "09:00", "close": "17:00", "is_closed": "no"},
        "friday": {"open": "09:00", "close": "17:00", "lunch": "12:00"},
        "saturday": "closed",
        "holiday": {"is_closed": True},
    }
    body = {"client": str(client.pk), "name": "A", "address": "1 St", "business_hours": hours}
    r = api.post("/v1/client-location", body, format="json")
    assert r.status_code == 422
    assert r.json()["success"] is False
    assert error_paths(r) == {
        "business_hours.monday.open",
        "business_hours.tuesday.close",
        "business_hours.wednesday.close",
        "business_hours.thursday.is_closed",
        "business_hours.friday.lunch",
        "business_hours.saturday",
        "business_hours.holiday",
    }
    assert "business_hours.monday.open" in r.json()["error"]
    assert not ClientLocation.objects.exists()

    # a closed day needs no times; 23:59 is a valid close
    ok = {"saturday": {"is_closed": True}, "monday": {"open": "00:00", "close": "23:59", "is_closed": False}}
    r = api.patch(
        f"/v1/client-location/{ClientLocationFactory(tenant=tenant).pk}", {"business_hours": ok}, format="json"
    )
    assert r.status_code == 200 and data_of(r)["business_hours"] == ok


def test_nested_object_errors_name_their_paths(api, tenant):
    client = ClientFactory(tenant=tenant)
    body = {
        "client": str(client.pk),
        "name": "A",
        "address": "1 St",
        "coordinates": {"latitude": -91, "longitude": True, "altitude": 3},
        "contact_info": {"email": "nope"},
    }
    r = api.post("/v1/client-location", body, format="json")
    assert r.status_code == 422
    assert error_paths(r) == {
        "coordinates.latitude",
        "coordinates.longitude",
        "coordinates.altitude",
        "contact_info.email",
    }


def test_location_for_another_tenants_client_is_refused(api, tenant, other_tenant):
    foreign = ClientFactory(tenant=other_tenant)
    r = api.post("/v1/client-location", {"client": str(foreign.pk), "name": "A", "address": "1 St"}, format="json")
    assert r.status_code == 422
    assert error_paths(r) == {"client"}
    assert not ClientLocation.objects.exists()
    # nor can a location be moved onto it
    location = ClientLocationFactory(tenant=tenant)
    r = api.patch(f"/v1/client-location/{location.pk}", {"client": str(foreign.pk)}, format="json")
    assert r.status_code == 422
    location.refresh_from_db()
    assert location.client.tenant_id == tenant.pk


def test_location_filters(api, tenant):
    a, b = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    la = ClientLocationFactory(tenant=tenant, client=a)
    lb = ClientLocationFactory(tenant=tenant, client=b, disabled=True)

    def ids(**params):
        r = api.get("/v1/client-location", params)
        assert r.status_code == 200
        return {d["_id"] for d in data_of(r)}

    assert ids(client=str(a.pk)) == {str(la.pk)}
    assert ids(disabled="true") == {str(lb.pk)}
    assert ids(_id=[str(lb.pk)]) == {str(lb.pk)}
    assert ids(company_namespace=tenant.namespace) == {str(la.pk), str(lb.pk)}
    assert ids(company_namespace="someone-else") == set()


def test_location_search_looks_in_name_address_and_city(api, tenant):
    depot = ClientLocationFactory(tenant=tenant, name="North Depot", address="9 Dock Road", city="Aqaba")
    ClientLocationFactory(tenant=tenant, name="Shop", address="1 High Street", city="Amman")
    for term in ("north dep", "DOCK", "aqab"):
        assert [d["_id"] for d in data_of(api.get("/v1/client-location", {"search": term}))] == [str(depot.pk)], term


def test_deleting_a_client_with_locations_is_409(api, tenant):
    location = ClientLocationFactory(tenant=tenant)
    assert api.delete(f"/v1/client/{location.client_id}").status_code == 409
    assert ClientLocation.objects.filter(pk=location.pk).exists()


def test_location_checks_are_plain_functions():
    assert services.business_hours_errors({"monday": {"is_closed": True}}) == {}
    assert services.business_hours_errors({"monday": {"open": "10:00", "close": "10:00"}}) == {
        "monday.close": "Must be later than open."
    }
    assert services.business_hours_errors([]) == {"": "Expected an object keyed by weekday."}
    assert services.coordinates_errors({"latitude": 90, "longitude": -180}) == {}
    assert set(services.coordinates_errors({"latitude": float("nan"), "longitude": 0})) == {"latitude"}
    assert services.contact_info_errors({"phone": "1", "email": "", "fax": None}) == {}


# speciality -------------------------------------------------------------------------------------
class TestSpecialityAPI(ResourceAPICase):
    path = "speciality"
    family = "B"
    operations = WITH_REMOVE
    create_data = {"name": "Cardiology", "disabled": False}
    update_data = {"name": "Neurology", "disabled": True}
    invalid_data = [{}, {"name": 5}, {"name": ""}, {"name": "x", "disabled": "no"}, {"name": None}]

    def make(self, tenant, **kwargs):
        return SpecialityFactory(tenant=tenant, **kwargs)


def test_speciality_shape_and_disabled_filter(api, tenant):
    r = api.post("/v1/speciality", {"name": "Cardiology"}, format="json")
    assert set(data_of(r)) == {
        "_id", "company_namespace", "createdAt", "modifiedAt", "__v", "SVClient", "name", "disabled",
    }  # fmt: skip
    SpecialityFactory(tenant=tenant, name="Old", disabled=True)
    r = api.get("/v1/speciality", {"disabled": "true"})
    assert [d["name"] for d in data_of(r)] == ["Old"]


def test_removing_specialities_pulls_them_from_clients(api, tenant):
    kept, gone1, gone2 = (SpecialityFactory(tenant=tenant) for _ in range(3))
    client = ClientFactory(tenant=tenant)
    client.speciality.set([kept, gone1, gone2])
    r = api.post("/v1/speciality/remove", {"ids": [str(gone1.pk), str(gone2.pk)]}, format="json")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert api.get(f"/v1/client/{client.pk}").json()["speciality"] == [str(kept.pk)]
    assert api.delete(f"/v1/speciality/{kept.pk}").json() == {"success": True}
    assert api.get(f"/v1/client/{client.pk}").json()["speciality"] == []


# mail-unsubscribe -------------------------------------------------------------------------------
class TestMailUnsubscribeAPI(ResourceAPICase):
    path = "mail-unsubscribe"
    family = "B"
    operations = {"list", "create", "retrieve", "destroy", "remove"}
    create_data = {
        "email": "user@example.com",
        "reason": "User requested unsubscribe",
        "unsubscribe_types": ["marketing", "newsletter"],
        "user_agent": "Mozilla/5.0",
        "ip_address": "203.0.113.7",
    }
    invalid_data = [
        {},  # email is required
        {"email": "not-an-email"},
        {"email": 42},
        {"email": "a@example.com", "unsubscribe_types": "all"},
        {"email": "a@example.com", "unsubscribe_types": []},
        {"email": "a@example.com", "unsubscribe_types": [1]},
        {"email": "a@example.com", "reason": False},
    ]

    def make(self, tenant, **kwargs):
        return MailUnsubscribeFactory(tenant=tenant, **kwargs)


def test_unsubscribe_email_is_normalised_and_types_default_to_all(api, tenant):
    r = api.post("/v1/mail-unsubscribe", {"email": "  John.Doe@Example.COM "}, format="json")
    assert r.status_code == 201
    doc = data_of(r)
    assert doc["email"] == "john.doe@example.com"
    assert doc["unsubscribe_types"] == ["all"]
    assert set(doc) == {
        "_id", "company_namespace", "createdAt", "modifiedAt", "__v", "SVClient", "email", "reason",
        "unsubscribe_types", "user_agent", "ip_address",
    }  # fmt: skip
    assert MailUnsubscribe.objects.get(pk=doc["_id"]).email == "john.doe@example.com"


def test_unsubscribing_the_same_address_twice_is_409(api, tenant, other_api):
    assert api.post("/v1/mail-unsubscribe", {"email": "a@example.com"}, format="json").status_code == 201
    r = api.post("/v1/mail-unsubscribe", {"email": " A@EXAMPLE.com"}, format="json")
    assert r.status_code == 409
    assert r.json()["success"] is False and "a@example.com" in r.json()["error"]
    assert MailUnsubscribe.objects.filter(tenant=tenant).count() == 1
    # another tenant keeps its own list
    assert other_api.post("/v1/mail-unsubscribe", {"email": "a@example.com"}, format="json").status_code == 201


def test_check_answers_true_false_and_refuses_bad_emails(api, tenant, other_tenant):
    created = data_of(api.post("/v1/mail-unsubscribe", {"email": "a@example.com"}, format="json"))
    MailUnsubscribeFactory(tenant=other_tenant, email="b@example.com")

    r = api.post("/v1/mail-unsubscribe/check", {"email": " A@Example.com "}, format="json")
    assert r.status_code == 200
    assert r.json() == {"success": True, "data": {"is_unsubscribed": True, "unsubscribe_date": created["createdAt"]}}

    r = api.post("/v1/mail-unsubscribe/check", {"email": "b@example.com"}, format="json")
    assert r.status_code == 200  # another tenant's list does not count
    assert r.json() == {"success": True, "data": {"is_unsubscribed": False, "unsubscribe_date": None}}

    for body in ({"email": "not-an-email"}, {}, {"email": 5}, ["a@example.com"]):
        r = api.post("/v1/mail-unsubscribe/check", body, format="json")
        assert r.status_code == 422, body
        assert r.json()["success"] is False

    assert api.get("/v1/mail-unsubscribe/check").status_code == 405
    assert api.get("/mail-unsubscribe/check").status_code == 405  # the SDK copy of the route too


def test_check_by_unsubscribe_type(api, tenant):
    MailUnsubscribeFactory(tenant=tenant, email="news@example.com", unsubscribe_types=["newsletter"])
    MailUnsubscribeFactory(tenant=tenant, email="all@example.com", unsubscribe_types=["all"])

    def check(email, kind):
        body = {"email": email, "unsubscribe_type": kind}
        return data_of(api.post("/v1/mail-unsubscribe/check", body, format="json"))["is_unsubscribed"]

    assert check("news@example.com", "newsletter") is True
    assert check("news@example.com", "transactional") is False
    assert check("all@example.com", "transactional") is True


def test_delete_and_remove_resubscribe(api, tenant):
    rows = [data_of(api.post("/v1/mail-unsubscribe", {"email": f"u{i}@example.com"}, format="json")) for i in range(3)]

    def unsubscribed(email):
        r = api.post("/v1/mail-unsubscribe/check", {"email": email}, format="json")
        return data_of(r)["is_unsubscribed"]

    assert api.delete(f"/v1/mail-unsubscribe/{rows[0]['_id']}").json() == {"success": True}
    assert unsubscribed("u0@example.com") is False
    r = api.post("/v1/mail-unsubscribe/remove", {"ids": [rows[1]["_id"], rows[2]["_id"]]}, format="json")
    assert r.json() == {"success": True}
    assert not unsubscribed("u1@example.com") and not unsubscribed("u2@example.com")
    # once re-subscribed, the address can be unsubscribed again
    assert api.post("/v1/mail-unsubscribe", {"email": "u0@example.com"}, format="json").status_code == 201
    assert unsubscribed("u0@example.com") is True


def test_email_list_filter_matches_the_normalised_address(api, tenant):
    row = MailUnsubscribeFactory(tenant=tenant, email="john@example.com")
    MailUnsubscribeFactory(tenant=tenant, email="jane@example.com")

    def ids(**params):
        return [d["_id"] for d in data_of(api.get("/v1/mail-unsubscribe", params))]

    assert ids(email=" John@Example.COM ") == [str(row.pk)]
    assert ids(email='["JOHN@example.com", "nobody@example.com"]') == [str(row.pk)]
    assert ids(email="nobody@example.com") == []
    assert len(ids()) == 2
    assert ids(search="JOHN@") == [str(row.pk)]  # search: a part of the address, any case


def test_mail_unsubscribe_service(tenant):
    row = services.create_mail_unsubscribe(tenant=tenant, data={"email": " X@Example.com"})
    assert (row.email, row.unsubscribe_types) == ("x@example.com", ["all"])
    with pytest.raises(Conflict):
        services.create_mail_unsubscribe(tenant=tenant, data={"email": "x@EXAMPLE.com"})
    assert services.find_unsubscribe(tenant=tenant, email="X@example.COM") == row
    assert services.find_unsubscribe(tenant=tenant, email="y@example.com") is None


# admin ------------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client, tenant, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw", tenant=tenant)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["tag", "speciality", "clientchannel", "clientcontact", "clientlocation", "mailunsubscribe"]
)
def test_admin_pages_render(admin_client, tenant, model):
    ClientLocationFactory(tenant=tenant)
    ClientContactFactory(tenant=tenant)
    MailUnsubscribeFactory(tenant=tenant)
    assert admin_client.get(f"/admin/clients/{model}/").status_code == 200
    assert admin_client.get(f"/admin/clients/{model}/", {"q": "a"}).status_code == 200
    assert admin_client.get(f"/admin/clients/{model}/add/").status_code == 200


def location_form(tenant, client, **extra):
    return {
        "tenant": str(tenant.pk),
        "client": str(client.pk),
        "name": "Depot",
        "address": "9 Dock Road",
        "location_type": "warehouse",
        "integration_meta": "{}",
        **extra,
    }


def test_admin_location_save_goes_through_the_primary_rule(admin_client, tenant):
    client = ClientFactory(tenant=tenant)
    old = ClientLocationFactory(tenant=tenant, client=client, is_primary=True)
    r = admin_client.post("/admin/clients/clientlocation/add/", location_form(tenant, client, is_primary="on"))
    assert r.status_code == 302, r.context["adminform"].form.errors
    old.refresh_from_db()
    assert old.is_primary is False
    assert ClientLocation.objects.get(client=client, is_primary=True).name == "Depot"

    bad_hours = '{"monday": {"open": "18:00", "close": "09:00"}}'
    r = admin_client.post("/admin/clients/clientlocation/add/", location_form(tenant, client, business_hours=bad_hours))
    assert r.status_code == 200 and "monday.close" in r.content.decode()


def test_admin_contact_and_unsubscribe_use_their_services(admin_client, tenant):
    r = admin_client.post(
        "/admin/clients/clientcontact/add/",
        {"tenant": str(tenant.pk), "name": "Desk", "media": "[]", "integration_meta": "{}"},
    )
    assert r.status_code == 302, r.context["adminform"].form.errors
    assert ClientContact.objects.get(name="Desk").creator["name"] == "root"

    form = {"tenant": str(tenant.pk), "email": " Mixed@Case.COM", "unsubscribe_types": "[]", "integration_meta": "{}"}
    assert admin_client.post("/admin/clients/mailunsubscribe/add/", form).status_code == 302
    row = MailUnsubscribe.objects.get(tenant=tenant)
    assert (row.email, row.unsubscribe_types) == ("mixed@case.com", ["all"])
    r = admin_client.post("/admin/clients/mailunsubscribe/add/", {**form, "email": "MIXED@case.com"})
    assert r.status_code == 200 and "already on the unsubscribe list" in r.content.decode()
