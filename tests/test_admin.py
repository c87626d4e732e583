"""The admin: staff users see and write only their tenant's rows; API keys shown once, revocable."""

import re

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from clients.models import ClientLocation, Tag
from core.models import ApiKey, User, hash_api_key
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"rk_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def rows(tenant, other_tenant):
    return {
        "tag": TagFactory(tenant=tenant, name="Acme VIP tag"),
        "other_tag": TagFactory(tenant=other_tenant, name="Globex VIP tag"),
        "client": ClientFactory(tenant=tenant, name="Acme Corner Shop"),
        "other_client": ClientFactory(tenant=other_tenant, name="Globex Corner Shop"),
    }


@pytest.fixture
def staff(tenant):
    user = User.objects.create_user(username="staff", password="pw", is_staff=True, is_superuser=False, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["clients", "core"]))
    return user


@pytest.fixture
def superuser(tenant):
    return User.objects.create_superuser(username="root", password="pw", email="root@example.test", tenant=tenant)


@pytest.mark.parametrize(("url", "mine", "theirs"), [("tag", "tag", "other_tag"), ("client", "client", "other_client")])
def test_staff_sees_only_their_tenant(client, staff, rows, url, mine, theirs):
    client.force_login(staff)
    response = client.get(f"/admin/clients/{url}/")
    assert response.status_code == 200
    assert rows[mine].name in response.text
    assert rows[theirs].name not in response.text

    assert client.get(f"/admin/clients/{url}/{rows[mine].pk}/change/").status_code == 200
    other = client.get(f"/admin/clients/{url}/{rows[theirs].pk}/change/")
    assert other.status_code in (302, 404)
    assert rows[theirs].name not in other.text


@pytest.mark.parametrize("url", ["tag", "client"])
def test_superuser_sees_every_tenant(client, superuser, rows, url):
    client.force_login(superuser)
    response = client.get(f"/admin/clients/{url}/")
    assert response.status_code == 200
    names = [row.name for row in rows.values() if row._meta.model_name == url]
    assert len(names) == 2 and all(name in response.text for name in names)
    for row in rows.values():
        if row._meta.model_name == url:
            assert client.get(f"/admin/clients/{url}/{row.pk}/change/").status_code == 200


def test_staff_without_a_tenant_sees_nothing(client, staff, rows):
    staff.tenant = None
    staff.save()
    client.force_login(staff)
    response = client.get("/admin/clients/tag/")
    assert response.status_code == 200
    assert rows["tag"].name not in response.text and rows["other_tag"].name not in response.text


def test_tag_added_by_staff_gets_their_tenant(client, staff, tenant):
    client.force_login(staff)
    form = client.get("/admin/clients/tag/add/")
    assert form.status_code == 200
    assert 'name="tenant"' not in form.text  # staff do not choose the tenant
    response = client.post(
        "/admin/clients/tag/add/", {"name": "Added by staff", "integration_meta": "{}", "_save": "Save"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    tag = Tag.objects.get(name="Added by staff")
    assert tag.tenant == tenant


def test_empty_json_fields_store_their_default(client, staff, tenant):
    client.force_login(staff)
    response = client.post("/admin/clients/tag/add/", {"name": "No meta", "integration_meta": "", "_save": "Save"})
    assert response.status_code == 302
    assert Tag.objects.get(name="No meta").integration_meta == {}


def test_admin_delete_goes_through_tenant_scope(client, staff, rows):
    client.force_login(staff)
    response = client.post(f"/admin/clients/tag/{rows['other_tag'].pk}/delete/", {"post": "yes"})
    assert response.status_code in (302, 404)
    assert Tag.objects.filter(pk=rows["other_tag"].pk).exists()


def add_key(client, data):
    response = client.post("/admin/core/apikey/add/", {**data, "_save": "Save"}, follow=True)
    assert response.status_code == 200
    found = RAW_KEY.findall(response.text)
    assert len(set(found)) == 1, "the new key is shown once, in a message"
    return found[0]


def api_status(raw):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.get("/v1/tag").status_code


def test_api_key_admin_shows_the_key_once_and_revoke_disables_it(client, superuser, other_tenant):
    client.force_login(superuser)
    raw = add_key(client, {"tenant": other_tenant.pk, "name": "from admin", "is_admin": "on"})
    key = ApiKey.objects.get(key_hash=hash_api_key(raw))
    assert key.tenant == other_tenant and key.name == "from admin" and key.created_by == superuser
    assert api_status(raw) == 200

    # Never shown again: not on the list nor on the key's own page.
    assert raw not in client.get("/admin/core/apikey/").text
    assert raw not in client.get(f"/admin/core/apikey/{key.pk}/change/").text

    response = client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [str(key.pk)]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_status(raw) == 401


def test_staff_key_belongs_to_their_tenant(client, staff, tenant):
    client.force_login(staff)
    raw = add_key(client, {"name": "staff key"})
    assert ApiKey.objects.get(key_hash=hash_api_key(raw)).tenant == tenant
    assert api_status(raw) == 200


# --- every resource of the core and clients apps -----------------------------------------------
def _factories():
    from tests import factories as f

    return [
        ("clients", "client", f.ClientFactory),
        ("clients", "clientchannel", f.ClientChannelFactory),
        ("clients", "clientcontact", f.ClientContactFactory),
        ("clients", "clientlocation", f.ClientLocationFactory),
        ("clients", "speciality", f.SpecialityFactory),
        ("clients", "tag", f.TagFactory),
        ("clients", "mailunsubscribe", f.MailUnsubscribeFactory),
        ("core", "setting", f.SettingFactory),
        ("core", "media", f.MediaFactory),
        ("core", "mediastorage", f.MediaStorageFactory),
        ("core", "customstatus", f.CustomStatusFactory),
        ("core", "customlist", f.CustomListFactory),
        ("core", "customlistitem", f.CustomListItemFactory),
    ]


@pytest.mark.parametrize(("app", "model", "factory"), _factories(), ids=[m for _, m, _ in _factories()])
def test_every_resource_admin_is_declared_and_tenant_scoped(client, staff, tenant, other_tenant, app, model, factory):
    from django.contrib import admin

    mine, theirs = factory(tenant=tenant), factory(tenant=other_tenant)
    model_admin = admin.site._registry[type(mine)]
    assert model_admin.list_display != ("__str__",) and model_admin.search_fields and model_admin.list_filter
    for name in ("id", "created_at", "updated_at", "version"):
        assert name in model_admin.get_readonly_fields(type("R", (), {"user": staff})(), mine)

    client.force_login(staff)
    base = f"/admin/{app}/{model}/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert f"{mine.pk}/change/" in listing.text and f"{theirs.pk}/change/" not in listing.text
    searched = client.get(base, {"q": str(mine)[:6]})
    assert searched.status_code == 200 and f"{theirs.pk}/change/" not in searched.text
    # another tenant's row cannot be opened, changed or deleted by URL
    for suffix in ("change/", "delete/", "history/"):
        r = client.get(f"{base}{theirs.pk}/{suffix}")
        assert r.status_code in (302, 403, 404), (suffix, r.status_code)
        assert str(theirs) not in r.text
    client.post(f"{base}{theirs.pk}/delete/", {"post": "yes"})
    client.post(base, {"action": "delete_selected", "_selected_action": [str(theirs.pk)], "post": "yes"})
    assert type(theirs).objects.filter(pk=theirs.pk).exists()
    assert client.get(f"{base}{mine.pk}/change/").status_code == 200


@pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")  # pages are ordered
def test_autocomplete_offers_only_the_staff_tenant_rows(client, staff, tenant, other_tenant):
    mine = ClientFactory(tenant=tenant, name="Acme Pharmacy")
    theirs = ClientFactory(tenant=other_tenant, name="Globex Pharmacy")
    client.force_login(staff)
    params = {"app_label": "clients", "model_name": "clientlocation", "field_name": "client", "term": "Pharmacy"}
    r = client.get("/admin/autocomplete/", params)
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["results"]] == [str(mine.pk)]
    # posting the other tenant's id anyway is refused by the form
    form = {"client": str(theirs.pk), "name": "Depot", "address": "1 Road", "location_type": "office"}
    r = client.post("/admin/clients/clientlocation/add/", {**form, "integration_meta": "{}"})
    assert r.status_code == 200 and "client" in r.context["adminform"].form.errors
    assert not ClientLocation.objects.exists()
