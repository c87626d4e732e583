"""Platform: API-key authentication, the key commands, health, static files, 404s, demo data."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Client, ClientContact, ClientLocation, Tag
from core import services
from core.models import ApiKey, Setting, Tenant, User, hash_api_key
from tests.conftest import client_for
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def assert_401(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]


# --- authentication ----------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["bearer", "api-key", "bare"])
def test_each_header_form_authenticates(tenant, header):
    TagFactory(tenant=tenant, name="VIP")
    api = client_for(tenant, header=header)
    response = api.get("/v1/tag")
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["data"]] == ["VIP"]


def test_bearer_scheme_is_case_insensitive(tenant):
    _, raw = services.create_api_key(tenant=tenant)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"bearer {raw}")
    assert api.get("/v1/tag").status_code == 200


@pytest.mark.parametrize("path", ["/v1/tag", "/v1/client", "/tag"])
def test_no_key_is_401_in_the_error_envelope(db, path):
    response = APIClient().get(path)
    assert_401(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "credentials",
    [
        {"HTTP_AUTHORIZATION": "Bearer rk_not-a-real-key"},
        {"HTTP_API_KEY": "rk_not-a-real-key"},
        {"HTTP_AUTHORIZATION": "rk_not-a-real-key"},
        {"HTTP_AUTHORIZATION": "Bearer " + "x" * 5000},
    ],
)
def test_bad_key_is_401(tenant, credentials):
    api = APIClient()
    api.credentials(**credentials)
    assert_401(api.get("/v1/tag"))
    assert_401(api.post("/v1/tag", {"name": "x"}, format="json"))
    assert not Tag.objects.exists()


def test_revoked_key_is_401(tenant):
    api = client_for(tenant)
    assert api.get("/v1/tag").status_code == 200
    services.revoke_api_key(key=ApiKey.objects.get(key_hash=hash_api_key(api.raw_key)))
    assert_401(api.get("/v1/tag"))


def test_key_of_a_disabled_tenant_is_401(tenant):
    api = client_for(tenant)
    assert api.get("/v1/tag").status_code == 200
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)
    assert_401(api.get("/v1/tag"))


def test_last_used_at_is_recorded_at_most_once_a_minute(tenant):
    api = client_for(tenant)
    key = ApiKey.objects.get(key_hash=hash_api_key(api.raw_key))
    assert key.last_used_at is None

    before = timezone.now()
    assert api.get("/v1/tag").status_code == 200
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None and first >= before

    assert api.get("/v1/tag").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first  # within the minute: no write

    stale = timezone.now() - dt.timedelta(minutes=5)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=stale)
    assert api.get("/v1/tag").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at > stale + dt.timedelta(minutes=4)


def test_keys_are_stored_hashed(tenant):
    key, raw = services.create_api_key(tenant=tenant, name="hashed")
    key.refresh_from_db()
    assert key.key_hash == hash_api_key(raw) and key.key_hash != raw
    assert key.prefix == raw[: len(key.prefix)] and len(key.prefix) < len(raw) // 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert not any(raw in value for value in stored)


# --- create_api_key command --------------------------------------------------------------------
def run_create_api_key(*args):
    out = StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=StringIO())
    lines = out.getvalue().strip().splitlines()
    return lines, lines[-1]


def test_create_api_key_prints_a_working_key_on_the_last_line(tenant):
    lines, raw = run_create_api_key(tenant.namespace, "--name", "ci")
    assert len(lines) >= 2 and raw not in "\n".join(lines[:-1])
    key = ApiKey.objects.get(key_hash=hash_api_key(raw))
    assert key.tenant == tenant and key.name == "ci" and key.is_admin
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/v1/tag").status_code == 200


def test_create_api_key_no_admin(tenant):
    _, raw = run_create_api_key(tenant.namespace, "--no-admin")
    assert ApiKey.objects.get(key_hash=hash_api_key(raw)).is_admin is False


def test_create_api_key_can_create_the_tenant_with_its_settings(db):
    _, raw = run_create_api_key("newco", "--create-tenant")
    tenant = Tenant.objects.get(namespace="newco")
    assert Setting.objects.filter(tenant=tenant).count() == len(services.DEFAULT_SETTINGS)
    api = APIClient()
    api.credentials(HTTP_API_KEY=raw)
    response = api.get("/v1/tag")
    assert response.status_code == 200 and response.json()["data"] == []
    # A second run reuses the tenant.
    run_create_api_key("newco", "--create-tenant")
    assert Tenant.objects.filter(namespace="newco").count() == 1
    assert ApiKey.objects.filter(tenant=tenant).count() == 2


def test_create_api_key_unknown_namespace_is_an_error(db):
    with pytest.raises(CommandError, match="nope"):
        run_create_api_key("nope")
    with pytest.raises(CommandError):
        run_create_api_key("not a slug", "--create-tenant")
    assert not Tenant.objects.exists()
    assert not ApiKey.objects.exists()


# --- health, static files, 404 -----------------------------------------------------------------
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_admin_css_is_served_with_debug_off(client, settings):
    assert settings.DEBUG is False
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content)


@pytest.mark.parametrize("path", ["/no/such/page", "/v1/no-such-resource", "/v1/tag/x/y/z"])
def test_unknown_url_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["success"] is False


# --- demo data ---------------------------------------------------------------------------------
def test_load_demo_data_is_idempotent(db):
    def counts():
        return [m.objects.count() for m in (Tenant, User, Client, ClientContact, ClientLocation, Tag, Setting)]

    out = StringIO()
    call_command("load_demo_data", "--admin-password", "first-pass", stdout=out)
    first = counts()
    assert first[2] >= 30  # clients
    assert f"{first[2]} clients" in out.getvalue() and " products, " in out.getvalue() and " routes." in out.getvalue()
    call_command("load_demo_data", "--admin-password", "second-pass", stdout=StringIO())
    assert counts() == first

    demo = Tenant.objects.get(namespace="demo")
    admin = User.objects.get(username="admin")
    staff = User.objects.get(username="demo-staff")
    assert admin.is_superuser and admin.check_password("second-pass")
    assert staff.is_staff and not staff.is_superuser and staff.tenant == demo
    assert staff.has_perm("clients.change_client") and staff.has_perm("core.add_apikey")
    assert not staff.has_perm("core.change_tenant")
    assert ClientLocation.objects.filter(tenant=demo, is_primary=True).count() == first[2]
