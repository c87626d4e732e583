"""Access tokens (POST /v1/auth/token), the SDK's re-authentication (GET /authenticate) and the
management of API keys (/v1/auth/api-keys)."""

import datetime as dt
import json
import threading

import jwt
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core import services, tokens
from core.models import ApiKey, hash_api_key
from core.models.tenancy import RefreshToken
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    return body


def new_key(tenant, *, is_admin=True, name="test"):
    key, raw = services.create_api_key(tenant=tenant, name=name, is_admin=is_admin)
    return key, raw


def client(**credentials):
    api = APIClient()
    api.credentials(**credentials)
    return api


def obtain(raw_key) -> dict:
    response = APIClient().post("/v1/auth/token", {"api_key": raw_key}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token):
    return client(HTTP_AUTHORIZATION=f"Bearer {token}")


def unverified_claims(token):
    return jwt.decode(token, options={"verify_signature": False})


# --- POST /v1/auth/token -------------------------------------------------------------------------
def test_token_from_the_body(tenant):
    key, raw = new_key(tenant)
    body = obtain(raw)
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    claims = unverified_claims(body["access_token"])
    assert claims["sub"] == str(key.pk)
    assert claims["tid"] == str(tenant.pk)
    assert claims["ns"] == "acme"
    assert claims["scope"] == "admin"
    assert claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


@pytest.mark.parametrize(
    "header", [lambda raw: {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, lambda raw: {"HTTP_API_KEY": raw}]
)
def test_token_from_a_header(tenant, header):
    _, raw = new_key(tenant, is_admin=False)
    response = client(**header(raw)).post("/v1/auth/token")
    assert response.status_code == 200, response.content
    assert unverified_claims(response.json()["access_token"])["scope"] == "standard"


def test_token_ttl_follows_the_setting(tenant, settings):
    settings.ACCESS_TOKEN_TTL_SECONDS = 60
    _, raw = new_key(tenant)
    body = obtain(raw)
    assert body["expires_in"] == 60
    claims = unverified_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize(
    "credentials, body",
    [
        ({}, {"api_key": "rk_not-a-real-key"}),
        ({"HTTP_AUTHORIZATION": "Bearer rk_not-a-real-key"}, None),
        ({}, None),
        ({}, {"api_key": "x" * 600}),
    ],
)
def test_bad_missing_or_oversized_key_is_refused(tenant, credentials, body):
    response = client(**credentials).post("/v1/auth/token", body, format="json")
    assert_error(response, 400 if body and len(body["api_key"]) > 512 else 401)
    assert not RefreshToken.objects.exists()


def test_revoked_key_gets_no_token(tenant):
    key, raw = new_key(tenant)
    services.revoke_api_key(key=key)
    assert_error(APIClient().post("/v1/auth/token", {"api_key": raw}, format="json"), 401)


def test_an_access_token_is_not_a_key_for_a_new_token(tenant):
    _, raw = new_key(tenant)
    token = obtain(raw)["access_token"]
    assert_error(APIClient().post("/v1/auth/token", {"api_key": token}, format="json"), 401)
    assert_error(bearer(token).post("/v1/auth/token"), 401)


def test_key_beside_an_access_token_gets_a_token(tenant):
    _, raw = new_key(tenant)
    token = obtain(raw)["access_token"]
    response = client(HTTP_AUTHORIZATION=token, HTTP_API_KEY=raw).post("/v1/auth/token")  # the SDK's headers
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("body", [{"api_key": 5}, ["rk_x"], {"api_key": None}])
def test_malformed_token_request_is_400(tenant, body):
    assert_error(APIClient().post("/v1/auth/token", body, format="json"), 400)


# --- access tokens on the resources --------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        lambda token: {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        lambda token: {"HTTP_AUTHORIZATION": token},  # the SDK after re-authentication
        lambda token: {"HTTP_API_KEY": token},
    ],
)
@pytest.mark.parametrize("path", ["/v1/tag", "/tag"])
def test_access_token_authenticates_in_every_header_form(tenant, other_tenant, header, path):
    TagFactory(tenant=tenant, name="Mine")
    TagFactory(tenant=other_tenant, name="Theirs")
    _, raw = new_key(tenant)
    response = client(**header(obtain(raw)["access_token"])).get(path)
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["data"]] == ["Mine"]


def test_access_token_writes_as_its_tenant(tenant):
    _, raw = new_key(tenant)
    response = bearer(obtain(raw)["access_token"]).post("/v1/tag", {"name": "VIP"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["company_namespace"] == ["acme"]


@pytest.mark.parametrize("header", ["bearer", "api-key", "bare"])
def test_api_keys_keep_working_in_every_header_form(tenant, header):
    from tests.conftest import client_for

    assert client_for(tenant, header=header).get("/v1/tag").status_code == 200


def test_token_authentication_costs_no_more_queries_than_a_key(tenant):
    _, raw = new_key(tenant)
    by_key, by_token = bearer(raw), bearer(obtain(raw)["access_token"])
    by_key.get("/v1/tag")  # warm last_used_at
    with CaptureQueriesContext(connection) as key_queries:
        assert by_key.get("/v1/tag").status_code == 200
    with CaptureQueriesContext(connection) as token_queries:
        assert by_token.get("/v1/tag").status_code == 200
    assert len(token_queries) == len(key_queries)


def test_expired_token_is_401(tenant):
    key, raw = new_key(tenant)
    past = timezone.now() - dt.timedelta(seconds=900 + tokens.CLOCK_SKEW_SECONDS + 5)
    expired = tokens.issue_access_token(api_key=key, now=past)
    body = assert_error(bearer(expired.token).get("/v1/tag"), 401)
    assert "expired" in body["error"]
    fresh = tokens.issue_access_token(api_key=key)
    assert bearer(fresh.token).get("/v1/tag").status_code == 200


def _resign(token, secret, **changes):
    claims = {**unverified_claims(token), **changes}
    return jwt.encode(claims, secret, algorithm="HS256")


def test_tampered_signature_is_401(tenant):
    _, raw = new_key(tenant)
    token = obtain(raw)["access_token"]
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_error(bearer(f"{head}.{payload}.{flipped}").get("/v1/tag"), 401)


def test_tampered_claims_are_401(tenant, other_tenant):
    _, raw = new_key(tenant)
    token = obtain(raw)["access_token"]
    head, _, signature = token.split(".")
    claims = {**unverified_claims(token), "tid": str(other_tenant.pk), "ns": "globex"}
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    assert_error(bearer(f"{head}.{forged_payload}.{signature}").get("/v1/tag"), 401)


def test_token_signed_with_another_secret_is_401(tenant, settings):
    _, raw = new_key(tenant)
    token = obtain(raw)["access_token"]
    assert_error(bearer(_resign(token, "another-secret-of-at-least-32-bytes!!")).get("/v1/tag"), 401)
    assert_error(bearer(_resign(token, settings.SECRET_KEY)).get("/v1/tag"), 401)  # the key is derived
    settings.JWT_SIGNING_KEY = "a-rotated-signing-key-of-32-bytes-or-more"
    assert_error(bearer(token).get("/v1/tag"), 401)


def test_unsigned_token_is_401(tenant):
    _, raw = new_key(tenant)
    claims = unverified_claims(obtain(raw)["access_token"])
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_error(bearer(unsigned + "x").get("/v1/tag"), 401)
    assert_error(bearer(unsigned).get("/v1/tag"), 401)


@pytest.mark.parametrize("changes", [{"typ": "refresh"}, {"sub": "not-a-uuid"}, {"jti": None}])
def test_well_signed_token_with_bad_claims_is_401(tenant, changes):
    _, raw = new_key(tenant)
    claims = {**unverified_claims(obtain(raw)["access_token"]), **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    forged = jwt.encode(claims, tokens._signing_key(), algorithm="HS256")
    assert_error(bearer(forged).get("/v1/tag"), 401)


def test_token_of_a_revoked_key_is_401_at_once(tenant):
    key, raw = new_key(tenant)
    api = bearer(obtain(raw)["access_token"])
    assert api.get("/v1/tag").status_code == 200
    services.revoke_api_key(key=key)
    assert_error(api.get("/v1/tag"), 401)


def test_token_of_a_disabled_tenant_is_401(tenant):
    _, raw = new_key(tenant)
    api = bearer(obtain(raw)["access_token"])
    type(tenant).objects.filter(pk=tenant.pk).update(is_active=False)
    assert_error(api.get("/v1/tag"), 401)


# --- /v1/auth/api-keys ---------------------------------------------------------------------------
@pytest.fixture
def admin_api(tenant):
    _, raw = new_key(tenant, name="admin")
    return bearer(raw)


@pytest.fixture
def standard_raw(tenant):
    return new_key(tenant, is_admin=False, name="standard")[1]


def test_non_admin_key_or_token_is_403(tenant, standard_raw):
    target, _ = new_key(tenant, name="target")
    for api in (bearer(standard_raw), bearer(obtain(standard_raw)["access_token"])):
        assert_error(api.get("/v1/auth/api-keys"), 403)
        assert_error(api.post("/v1/auth/api-keys", {"name": "x", "scope": "admin"}, format="json"), 403)
        assert_error(api.delete(f"/v1/auth/api-keys/{target.pk}"), 403)
    assert ApiKey.objects.filter(tenant=tenant).count() == 2
    assert ApiKey.objects.get(pk=target.pk).revoked_at is None


def test_api_keys_need_credentials(db):
    assert_error(APIClient().get("/v1/auth/api-keys"), 401)
    assert_error(APIClient().post("/v1/auth/api-keys", {"name": "x"}, format="json"), 401)


def test_admin_token_manages_keys(tenant):
    _, raw = new_key(tenant, name="admin")
    api = bearer(obtain(raw)["access_token"])
    response = api.post("/v1/auth/api-keys", {"name": "robot", "scope": "standard"}, format="json")
    assert response.status_code == 201, response.content
    assert api.get("/v1/auth/api-keys").json()["total"] == 2


def test_list_shows_the_tenants_keys_without_secrets(tenant, other_tenant, admin_api, standard_raw):
    revoked, _ = new_key(tenant, name="old")
    services.revoke_api_key(key=revoked)
    new_key(other_tenant, name="theirs")
    response = admin_api.get("/v1/auth/api-keys")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["total"] == len(body["data"]) == 3
    assert {row["name"] for row in body["data"]} == {"admin", "standard", "old"}
    for row in body["data"]:
        assert set(row) == {"id", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"}
    by_name = {row["name"]: row for row in body["data"]}
    assert by_name["admin"]["scope"] == "admin" and by_name["standard"]["scope"] == "standard"
    assert by_name["old"]["revoked_at"].endswith("Z")
    assert by_name["admin"]["last_used_at"] is not None
    assert standard_raw not in response.content.decode()


def test_created_key_is_shown_once_and_works(tenant, admin_api):
    response = admin_api.post("/v1/auth/api-keys", {"name": "robot", "scope": "standard"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    raw = data["key"]
    assert raw.startswith("rk_") and data["prefix"] == raw[:10]
    assert data["scope"] == "standard" and data["name"] == "robot" and data["revoked_at"] is None
    stored = ApiKey.objects.get(pk=data["id"])
    assert stored.tenant == tenant and stored.is_admin is False
    assert stored.key_hash == hash_api_key(raw)
    assert raw not in {str(value) for value in ApiKey.objects.filter(pk=data["id"]).values().get().values()}
    listing = admin_api.get("/v1/auth/api-keys").content.decode()
    assert data["id"] in listing and raw not in listing
    assert bearer(raw).get("/v1/tag").status_code == 200
    assert_error(bearer(raw).get("/v1/auth/api-keys"), 403)  # standard scope


def test_created_admin_key_can_manage_keys(admin_api):
    raw = admin_api.post("/v1/auth/api-keys", {"name": "ops", "scope": "admin"}, format="json").json()["data"]["key"]
    assert bearer(raw).get("/v1/auth/api-keys").status_code == 200


def test_scope_defaults_to_standard(admin_api):
    response = admin_api.post("/v1/auth/api-keys", {"name": "robot"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"]["scope"] == "standard"


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": 5}, {"name": "x", "scope": "root"}, {"name": "x" * 101}, ["x"]]
)
def test_invalid_key_creation_is_400(tenant, admin_api, body):
    assert_error(admin_api.post("/v1/auth/api-keys", body, format="json"), 400)
    assert ApiKey.objects.filter(tenant=tenant).count() == 1


def test_delete_revokes_the_key_and_its_tokens_at_once(tenant, admin_api):
    key, raw = new_key(tenant, is_admin=False, name="leaked")
    pair = obtain(raw)
    by_key, by_token = bearer(raw), bearer(pair["access_token"])
    assert by_key.get("/v1/tag").status_code == by_token.get("/v1/tag").status_code == 200
    response = admin_api.delete(f"/v1/auth/api-keys/{key.pk}")
    assert response.status_code == 200, response.content
    assert response.json() == {"success": True}
    assert_error(by_key.get("/v1/tag"), 401)
    assert_error(by_token.get("/v1/tag"), 401)
    refresh = client(HTTP_X_NAME_SPACE="acme", HTTP_REFRESH_TOKEN=pair["refresh_token"])
    assert_error(refresh.get("/authenticate"), 401)
    listed = {row["id"]: row for row in admin_api.get("/v1/auth/api-keys").json()["data"]}
    assert listed[str(key.pk)]["revoked_at"] is not None
    assert admin_api.delete(f"/v1/auth/api-keys/{key.pk}").status_code == 200  # idempotent


@pytest.mark.parametrize("key_id", ["not-a-uuid", "00000000-0000-7000-8000-000000000000", "other"])
def test_delete_of_an_unknown_or_foreign_key_is_404(other_tenant, admin_api, key_id):
    theirs, their_raw = new_key(other_tenant)
    if key_id == "other":
        key_id = str(theirs.pk)
    assert_error(admin_api.delete(f"/v1/auth/api-keys/{key_id}"), 404)
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert bearer(their_raw).get("/v1/tag").status_code == 200


def test_undocumented_methods_are_405(tenant, admin_api):
    key, _ = new_key(tenant)
    assert_error(admin_api.put("/v1/auth/api-keys", {}, format="json"), 405)
    assert_error(admin_api.get(f"/v1/auth/api-keys/{key.pk}"), 405)
    assert_error(admin_api.patch(f"/v1/auth/api-keys/{key.pk}", {}, format="json"), 405)
    assert_error(APIClient().get("/v1/auth/token"), 405)
    assert_error(APIClient().post("/authenticate"), 405)


# --- GET /authenticate (the SDK's re-authentication) --------------------------------------------
def reauth(refresh_token, namespace="acme"):
    headers = {}
    if namespace is not None:
        headers["HTTP_X_NAME_SPACE"] = namespace
    if refresh_token is not None:
        headers["HTTP_REFRESH_TOKEN"] = refresh_token
    return client(**headers).get("/authenticate")


def test_refresh_token_rotates_and_works_once(tenant):
    TagFactory(tenant=tenant, name="Mine")
    _, raw = new_key(tenant)
    first = obtain(raw)["refresh_token"]
    response = reauth(first)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["login_status"] == "success"
    assert {"access_token", "refresh_token"} <= set(body)
    assert body["refresh_token"] != first
    sdk = client(HTTP_AUTHORIZATION=body["access_token"], HTTP_API_KEY=raw)  # what the SDK sends next
    assert [row["name"] for row in sdk.get("/tag").json()["data"]] == ["Mine"]

    second = reauth(body["refresh_token"])  # the new one works, once
    assert second.status_code == 200, second.content
    third = reauth(second.json()["refresh_token"])
    assert third.status_code == 200, third.content


def test_reused_refresh_token_is_401_and_revokes_its_session(tenant):
    _, raw = new_key(tenant)
    first = obtain(raw)["refresh_token"]
    other_session = obtain(raw)["refresh_token"]
    second = reauth(first).json()["refresh_token"]
    body = assert_error(reauth(first), 401)
    assert "already used" in body["error"]
    assert_error(reauth(second), 401)  # the thief's (or victim's) replacement is dead too
    assert reauth(other_session).status_code == 200  # another session of the key is untouched
    first_row = RefreshToken.objects.get(token_hash=tokens.hash_refresh_token(first))
    assert first_row.replaced_by.token_hash == tokens.hash_refresh_token(second)
    assert first_row.replaced_by.revoked_at is not None


def test_wrong_namespace_is_401_and_leaves_the_token_usable(tenant, other_tenant):
    _, raw = new_key(tenant)
    refresh = obtain(raw)["refresh_token"]
    assert_error(reauth(refresh, namespace="globex"), 401)
    assert_error(reauth(refresh, namespace="nope"), 401)
    assert reauth(refresh).status_code == 200


@pytest.mark.parametrize(
    "refresh_token, namespace", [(None, "acme"), ("VALID", None), (None, None), ("rt_unknown", "acme"), ("", "acme")]
)
def test_missing_headers_or_unknown_token_is_401(tenant, refresh_token, namespace):
    _, raw = new_key(tenant)
    valid = obtain(raw)["refresh_token"]
    assert_error(reauth(valid if refresh_token == "VALID" else refresh_token, namespace), 401)


def test_expired_refresh_token_is_401(tenant):
    _, raw = new_key(tenant)
    refresh = obtain(raw)["refresh_token"]
    RefreshToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(reauth(refresh), 401)


def test_refresh_tokens_are_stored_hashed_and_expire_in_30_days(tenant):
    _, raw = new_key(tenant)
    refresh = obtain(raw)["refresh_token"]
    row = RefreshToken.objects.get()
    assert row.token_hash == tokens.hash_refresh_token(refresh)
    assert refresh not in {str(value) for value in RefreshToken.objects.values().get().values()}
    assert abs((row.expires_at - row.created_at) - dt.timedelta(days=30)) < dt.timedelta(seconds=1)


def test_purge_deletes_only_expired_refresh_tokens(tenant):
    key, _ = new_key(tenant)
    old, _ = tokens.issue_refresh_token(api_key=key, now=timezone.now() - dt.timedelta(days=31))
    used_raw = tokens.issue_refresh_token(api_key=key)[1]
    tokens.rotate_refresh_token(namespace="acme", raw_token=used_raw)
    assert tokens.purge_expired_refresh_tokens() == 1
    assert not RefreshToken.objects.filter(pk=old.pk).exists()
    assert RefreshToken.objects.count() == 2
    assert_error(reauth(used_raw), 401)  # a used token is still recognised as reused
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_refresh_of_a_disabled_tenant_is_401(tenant):
    _, raw = new_key(tenant)
    refresh = obtain(raw)["refresh_token"]
    type(tenant).objects.filter(pk=tenant.pk).update(is_active=False)
    assert_error(reauth(refresh), 401)


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_refresh_token_succeed_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    tenant = services.create_tenant(namespace="race")
    key, _ = new_key(tenant)
    _, raw = tokens.issue_refresh_token(api_key=key)
    barrier = threading.Barrier(2)
    outcomes = []

    def use():
        from django.db import connections

        try:
            barrier.wait()
            tokens.rotate_refresh_token(namespace="race", raw_token=raw)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["AuthenticationFailed", "ok"]


# --- schema ----------------------------------------------------------------------------------------
def test_schema_documents_the_auth_paths(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/v1/auth/token"]) >= {"post"}
    assert set(paths["/v1/auth/api-keys"]) >= {"get", "post"}
    assert set(paths["/v1/auth/api-keys/{key_id}"]) >= {"delete"}
    assert set(paths["/authenticate"]) >= {"get"}
    token_post = paths["/v1/auth/token"]["post"]
    assert "200" in token_post["responses"] and "requestBody" in token_post
    headers = {p["name"] for p in paths["/authenticate"]["get"]["parameters"] if p["in"] == "header"}
    assert headers == {"X-NAME-SPACE", "refresh_token"}
    assert token_post["security"] == paths["/authenticate"]["get"]["security"] == [{}]  # no prior credential
    assert {"ApiKeyAuth": []} in paths["/v1/auth/api-keys"]["get"]["security"]
    assert paths["/v1/auth/api-keys"]["get"]["operationId"] == "auth_api_keys_list"
