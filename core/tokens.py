"""Access tokens and refresh tokens for API keys.

An access token is a short-lived JWT (HS256) naming an API key and its tenant. It is checked
against the key on every request (one indexed query), so revoking the key, or disabling the
tenant, ends its tokens at once.

A refresh token is a random string stored as its SHA-256 and usable once: `GET /authenticate`
trades it for a new access token and a new refresh token of the same family. A used token
presented again means two parties hold it (it leaked), so the whole family is revoked.
"""

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from core.ids import parse_uuid, uuid7
from core.models import ApiKey
from core.models.tenancy import RefreshToken

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"
REQUIRED_CLAIMS = ["sub", "tid", "ns", "scope", "iat", "exp", "jti", "typ"]
# Tolerated clock difference between the web processes that issue and check tokens.
CLOCK_SKEW_SECONDS = 5
MAX_ACCESS_TOKEN_LENGTH = 4096
MAX_REFRESH_TOKEN_LENGTH = 512
REFRESH_TOKEN_PREFIX = "rt_"

_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

INVALID_ACCESS_TOKEN = "Invalid access token."
INVALID_REFRESH_TOKEN = "Invalid or expired refresh token."
REUSED_REFRESH_TOKEN = "Refresh token already used; every token of its session is revoked. Authenticate again."


def looks_like_jwt(credentials: str) -> bool:
    """Three base64url segments: API keys (`rk_...`) never contain a dot."""
    return _JWT_SHAPE.fullmatch(credentials) is not None


def _signing_key() -> bytes:
    # A key bound to this purpose, derived from the setting: SECRET_KEY (its default) also signs
    # sessions and password-reset links, and HMAC-SHA256 wants 32 bytes.
    return hmac.new(settings.JWT_SIGNING_KEY.encode(), b"core.tokens.access-token", hashlib.sha256).digest()


def scope_of(api_key: ApiKey) -> str:
    return "admin" if api_key.is_admin else "standard"


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int  # seconds
    claims: dict


@dataclass(frozen=True)
class TokenPair:
    access: AccessToken
    refresh_token: str  # raw; only its hash is stored
    refresh: RefreshToken


def issue_access_token(
    *, api_key: ApiKey, now: dt.datetime | None = None, ttl_seconds: int | None = None
) -> AccessToken:
    """A signed access token for the key (reads `api_key.tenant`: select it with the key)."""
    ttl = settings.ACCESS_TOKEN_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    issued_at = int((now or timezone.now()).timestamp())
    claims = {
        "sub": str(api_key.pk),
        "tid": str(api_key.tenant_id),
        "ns": api_key.tenant.namespace,
        "scope": scope_of(api_key),
        "iat": issued_at,
        "exp": issued_at + ttl,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TOKEN_TYPE,
    }
    return AccessToken(token=jwt.encode(claims, _signing_key(), algorithm=ALGORITHM), expires_in=ttl, claims=claims)


def verify_access_token(token: str) -> dict:
    """The claims of a genuine, unexpired access token; AuthenticationFailed (401) otherwise."""
    if len(token) > MAX_ACCESS_TOKEN_LENGTH:
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN)
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],  # never trust the token's own `alg` (no `none`, no key confusion)
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Access token expired.")
    except jwt.PyJWTError:
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN)
    if claims.get("typ") != ACCESS_TOKEN_TYPE:
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN)
    return claims


def api_key_for_access_token(token: str) -> ApiKey:
    """The live key (with its tenant) an access token speaks for; AuthenticationFailed otherwise."""
    claims = verify_access_token(token)
    key_id, tenant_id = parse_uuid(claims["sub"]), parse_uuid(claims["tid"])
    if key_id is None or tenant_id is None:
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN)
    found = list(ApiKey.objects.active().select_related("tenant").filter(pk=key_id, tenant_id=tenant_id).order_by()[:1])
    if not found:
        raise AuthenticationFailed("The access token's API key is revoked or its tenant is disabled.")
    return found[0]


def hash_refresh_token(raw_token: str) -> str:
    # 256-bit random tokens: a plain SHA-256 suffices and keeps the lookup one indexed equality.
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def issue_refresh_token(
    *, api_key: ApiKey, family: uuid.UUID | None = None, now: dt.datetime | None = None
) -> tuple[RefreshToken, str]:
    """A new refresh token for the key: (row, raw token). The raw token is shown this once."""
    now = now or timezone.now()
    raw = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = RefreshToken.objects.create(
        tenant_id=api_key.tenant_id,
        api_key=api_key,
        token_hash=hash_refresh_token(raw),
        family=family or uuid7(),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
    )
    return row, raw


@transaction.atomic
def issue_tokens(*, api_key: ApiKey, now: dt.datetime | None = None) -> TokenPair:
    """An access token and the first refresh token of a new family (POST /v1/auth/token)."""
    now = now or timezone.now()
    refresh, raw = issue_refresh_token(api_key=api_key, now=now)
    return TokenPair(access=issue_access_token(api_key=api_key, now=now), refresh_token=raw, refresh=refresh)


@transaction.atomic
def revoke_refresh_family(*, family: uuid.UUID, now: dt.datetime | None = None) -> int:
    """Revoke every still-valid token of a family. Returns how many were revoked."""
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def rotate_refresh_token(*, namespace: str, raw_token: str, now: dt.datetime | None = None) -> TokenPair:
    """Trade a refresh token of `namespace` for a new access token and refresh token.

    Unknown, expired, revoked or another namespace's tokens raise AuthenticationFailed (401). A
    token already used raises it too, after revoking its family: that revocation is committed
    although the call fails, which is why the check runs in its own transaction.
    """
    outcome = _rotate(namespace=namespace, raw_token=raw_token, now=now or timezone.now())
    if isinstance(outcome, str):
        raise AuthenticationFailed(outcome)
    return outcome


@transaction.atomic
def _rotate(*, namespace: str, raw_token: str, now: dt.datetime) -> TokenPair | str:
    """The new pair, or the reason for refusing it (committed changes included)."""
    if not namespace or not raw_token or len(raw_token) > MAX_REFRESH_TOKEN_LENGTH:
        return INVALID_REFRESH_TOKEN
    found = list(
        RefreshToken.objects.select_for_update(of=("self",))
        .select_related("api_key", "tenant")
        .filter(token_hash=hash_refresh_token(raw_token))
        .order_by()[:1]
    )
    if not found:
        return INVALID_REFRESH_TOKEN
    token = found[0]
    if token.tenant.namespace != namespace:
        return INVALID_REFRESH_TOKEN  # not a sign of theft: leave the token usable
    if token.used_at is not None:
        revoke_refresh_family(family=token.family, now=now)
        return REUSED_REFRESH_TOKEN
    key = token.api_key
    if token.revoked_at is not None or token.expires_at <= now or key.revoked_at is not None:
        return INVALID_REFRESH_TOKEN
    if not token.tenant.is_active:
        return INVALID_REFRESH_TOKEN
    # The row lock already serialises concurrent uses on PostgreSQL; the conditional update makes
    # the use single on every engine: of two racing requests only one changes the row.
    claimed = RefreshToken.objects.filter(pk=token.pk, used_at__isnull=True, revoked_at__isnull=True).update(
        used_at=now
    )
    if claimed != 1:
        revoke_refresh_family(family=token.family, now=now)
        return REUSED_REFRESH_TOKEN
    replacement, raw = issue_refresh_token(api_key=key, family=token.family, now=now)
    RefreshToken.objects.filter(pk=token.pk).update(replaced_by=replacement)
    key.tenant = token.tenant
    return TokenPair(access=issue_access_token(api_key=key, now=now), refresh_token=raw, refresh=replacement)


@transaction.atomic
def purge_expired_refresh_tokens(*, now: dt.datetime | None = None) -> int:
    """Delete refresh tokens past their expiry (they can no longer be used, nor reused). Used
    and revoked tokens are kept until then: a used one presented again must still be recognised
    to revoke its family. Returns how many were deleted."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
