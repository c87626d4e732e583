"""Generic write services: what every resource does when it has no rule of its own.

Resource services (clients/services.py, ...) call these and add their rules; serializers,
admin actions and import commands all come through here, so a rule is written once.
"""

from collections.abc import Iterable

from django.db import models, transaction
from rest_framework.exceptions import NotFound

from core.ids import parse_uuid
from core.models import Setting, Tenant


def _split_many_to_many(model, data: dict) -> dict:
    m2m = {}
    for f in model._meta.many_to_many:
        if f.name in data:
            m2m[f.name] = data.pop(f.name)
    return m2m


@transaction.atomic
def create_row(*, model: type[models.Model], tenant: Tenant, data: dict) -> models.Model:
    data = dict(data)
    m2m = _split_many_to_many(model, data)
    instance = model(tenant=tenant, **data)
    instance.save()
    for name, values in m2m.items():
        getattr(instance, name).set(values)
    return instance


@transaction.atomic
def update_row(*, instance: models.Model, data: dict) -> models.Model:
    data = dict(data)
    m2m = _split_many_to_many(type(instance), data)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    for name, values in m2m.items():
        getattr(instance, name).set(values)
    return instance


@transaction.atomic
def delete_row(*, instance: models.Model) -> None:
    """Delete one row. A row others still reference raises ProtectedError (409 naming them)."""
    instance.delete()


@transaction.atomic
def delete_rows(*, model: type[models.Model], tenant: Tenant, ids: Iterable) -> int:
    """Delete rows by id: all or nothing. An id that is not the tenant's is 404 (nothing is
    deleted); a referenced row raises ProtectedError (409) and rolls the whole batch back."""
    wanted = []
    for raw in ids:
        pk = parse_uuid(raw)
        if pk is None:
            raise NotFound(f"Not found: {raw}.")
        if pk not in wanted:
            wanted.append(pk)
    rows = list(model.objects.select_for_update().filter(tenant=tenant, pk__in=wanted))
    found = {row.pk for row in rows}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise NotFound(f"Not found: {', '.join(missing)}.")
    return delete_queryset(queryset=model.objects.filter(tenant=tenant, pk__in=wanted))


@transaction.atomic
def delete_queryset(*, queryset) -> int:
    """Delete rows; a referenced one raises ProtectedError and nothing is deleted."""
    deleted, _ = queryset.delete()
    return deleted


# Settings every tenant starts with (the API can read and change them, not create or delete).
DEFAULT_SETTINGS = [
    ("currency", "USD", "general", "Currency of prices, invoices and payments (ISO 4217)."),
    ("timezone", "UTC", "general", "Time zone used for business days and reports."),
    ("language", "en", "general", "Default language of documents."),
    ("date_format", "YYYY-MM-DD", "general", "How dates are printed on documents."),
    ("allow_negative_stock", False, "inventory", "Let invoices take stock below zero."),
    ("invoice_due_days", 30, "finance", "Days to pay when a client has no payment term."),
    ("tax_inclusive_prices", False, "sales", "Prices already include tax."),
    ("visit_geofence_meters", 200, "field", "How close a rep must be to check in at a client."),
]


@transaction.atomic
def seed_tenant_settings(*, tenant: Tenant) -> int:
    """Give a tenant the default settings it does not have yet. Returns how many were added."""
    existing = set(Setting.objects.filter(tenant=tenant).values_list("key", flat=True))
    rows = [
        Setting(tenant=tenant, key=key, value=value, category=category, description=description)
        for key, value, category, description in DEFAULT_SETTINGS
        if key not in existing
    ]
    Setting.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def create_tenant(*, namespace: str, name: str = "") -> Tenant:
    tenant = Tenant.objects.create(namespace=namespace, name=name or namespace)
    seed_tenant_settings(tenant=tenant)
    return tenant


@transaction.atomic
def create_api_key(*, tenant: Tenant, name: str = "default", is_admin: bool = True, created_by=None):
    """A new key for a tenant. Returns (key row, raw key); the raw key is shown this once."""
    from core.models import ApiKey, hash_api_key

    raw = ApiKey.generate_raw_key()
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        is_admin=is_admin,
        created_by=created_by,
        prefix=raw[:10],
        key_hash=hash_api_key(raw),
    )
    return key, raw


@transaction.atomic
def revoke_api_key(*, key) -> None:
    from django.utils import timezone

    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
