"""Tenants (company namespaces), staff users and API keys."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from core.ids import uuid7

API_KEY_PREFIX = "rk_"


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    namespace = models.SlugField(max_length=64, unique=True, help_text="The company namespace clients see.")
    name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["namespace"]

    def __str__(self):
        return self.namespace


class User(AbstractUser):
    """A staff user. Belongs to one tenant and sees only its rows in the admin; superusers see all."""

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT, related_name="users")


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random strings: a plain SHA-256 is enough (no dictionary to defend
    # against) and lets the lookup be a single indexed equality.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, tenant__is_active=True)


class ApiKey(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, editable=False, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_admin = models.BooleanField(default=True, help_text="Admin scope: may manage API keys.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def generate_raw_key() -> str:
        return API_KEY_PREFIX + secrets.token_urlsafe(32)


class RefreshToken(models.Model):
    """A single-use refresh token (stored as its SHA-256) that re-authenticates an API key's
    client at `GET /authenticate`. Each use replaces it with a new one in the same family; a used
    token presented again means it leaked, so the whole family is revoked."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="refresh_tokens")
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    family = models.UUIDField(db_index=True, editable=False, help_text="Shared by a token and its replacements.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces", editable=False
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"refresh token of {self.api_key_id} ({self.created_at:%Y-%m-%d %H:%M})"
