"""API authentication: an API key (hashed at rest), or an access token issued for one
(core/tokens.py), identifies the caller's tenant.

Accepted as `Authorization: Bearer <key or token>`, `api-key: <key or token>`, or a bare
`authorization: <token>` (what the Repzo SDK sends after re-authentication). Credentials shaped
like a JWT take the token path; anything else is looked up as a key.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core import tokens
from core.models import ApiKey, Tenant, hash_api_key

# last_used_at is written at most this often per key: a write per request would cost more
# than the request itself on a hot list.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
MAX_API_KEY_LENGTH = 512


@dataclass
class ApiCaller:
    """Who is calling: the tenant and the key (request.user in API views)."""

    tenant: Tenant
    api_key: ApiKey | None = None
    name: str = ""
    is_admin: bool = False
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False

    @property
    def id(self):
        return self.api_key.pk if self.api_key else None

    def as_actor(self) -> dict:
        """The caller as documents record it (`creator`, `editor`, `uploadedBy`)."""
        return {"_id": str(self.id) if self.id else None, "name": self.name, "type": "admin"}


def credentials_from_headers(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if header:
        scheme, _, rest = header.partition(" ")
        if rest and scheme.lower() == "bearer":
            return rest.strip()
        if not rest:
            return header  # bare token
    api_key = request.META.get("HTTP_API_KEY", "").strip()
    return api_key or None


def caller_for_key(key: ApiKey) -> ApiCaller:
    """The caller a live key (with its tenant selected) stands for; records when it was used."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return ApiCaller(tenant=key.tenant, api_key=key, name=key.name, is_admin=key.is_admin)


def authenticate_key(raw_key: str) -> ApiCaller | None:
    found = list(ApiKey.objects.active().select_related("tenant").filter(key_hash=hash_api_key(raw_key)).order_by()[:1])
    if not found:
        return None
    return caller_for_key(found[0])


def authenticate_credentials(raw: str) -> ApiCaller:
    """The caller behind a key or an access token; AuthenticationFailed (401) otherwise."""
    if tokens.looks_like_jwt(raw):
        return caller_for_key(tokens.api_key_for_access_token(raw))
    if len(raw) > MAX_API_KEY_LENGTH:
        raise exceptions.AuthenticationFailed("Invalid credentials.")
    caller = authenticate_key(raw)
    if caller is None:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
    return caller


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = credentials_from_headers(request)
        if raw is None:
            return None
        return authenticate_credentials(raw), raw

    def authenticate_header(self, request):
        return 'Bearer realm="api"'  # makes DRF answer 401 (not 403) without credentials


class HasTenant(permissions.BasePermission):
    message = "Authentication credentials were not provided."

    def has_permission(self, request, view):
        if isinstance(request.user, ApiCaller):
            return True
        raise exceptions.NotAuthenticated()


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document (and Swagger UI's Authorize button) tells clients to authenticate."""

    target_class = ApiKeyAuthentication
    name = ["ApiKeyAuth", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "API key or access token",
                "description": (
                    "`Authorization: Bearer <key>`: an API key, or an access token from `POST /v1/auth/token`. "
                    "A bare `Authorization: <token>` is accepted too."
                ),
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "api-key",
                "description": "`api-key: <key>`: an API key (or an access token).",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{"ApiKeyAuth": []}, {"ApiKeyHeader": []}]
