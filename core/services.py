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


def bump_versions(queryset, **changes) -> int:
    """Update rows in bulk as a save() would: `__v` and `updatedAt` move on with `changes`
    (so clients syncing by `from_updatedAt` or `__v` see them)."""
    from core.models.base import now_ms

    return queryset.update(version=models.F("version") + 1, updated_at=now_ms(), **changes)


def touch_referrers(*, model: type[models.Model], pks) -> None:
    """Rows whose documents show the ids of rows about to be deleted change with them: an id
    leaves a many-to-many list (`client.tags`, `client.speciality`, ...) or a SET_NULL
    reference becomes null. Move those rows' `__v` and `updatedAt` on, as a save() would, so
    clients syncing by `from_updatedAt` or `__v` see the change. `pks`: ids or a subquery."""
    from core.models.base import TenantModel

    for relation in model._meta.get_fields(include_hidden=True):  # hidden: related_name="+"
        if not (relation.auto_created and not relation.concrete and relation.is_relation):
            continue
        source = relation.related_model
        if not issubclass(source, TenantModel):
            continue
        if relation.many_to_many:
            field = relation.field  # the ManyToManyField on `source`
            links = field.remote_field.through.objects.filter(**{f"{field.m2m_reverse_field_name()}__in": pks})
            changed = links.values(field.m2m_field_name())
        elif relation.on_delete is models.SET_NULL:
            changed = source.objects.filter(**{f"{relation.field.name}__in": pks}).values("pk")
        else:
            continue  # CASCADE rows go too; PROTECT/RESTRICT refuse the delete
        bump_versions(source.objects.filter(pk__in=changed))


@transaction.atomic
def delete_row(*, instance: models.Model) -> None:
    """Delete one row. A row others still reference raises ProtectedError (409 naming them);
    rows that list it lose it and count a new version (touch_referrers)."""
    touch_referrers(model=type(instance), pks=[instance.pk])
    instance.delete()


@transaction.atomic
def delete_rows(*, model: type[models.Model], tenant: Tenant, ids: Iterable) -> int:
    """Delete rows by id: all or nothing. An id that is not the tenant's is 404 (nothing is
    deleted); a referenced row raises ProtectedError (409) and rolls the whole batch back."""
    wanted = []
    for raw in ids:
        pk = parse_uuid(raw)
        if pk is None:
            raise NotFound(f"Not found: {str(raw)[:100]}.")
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
    touch_referrers(model=queryset.model, pks=queryset.values("pk"))
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


# Platform resources (settings, media storage, custom lists) -------------------------------------
def _conflict(message: str):
    from core.api.exceptions import Conflict

    return Conflict(message)


@transaction.atomic
def update_setting(*, setting: Setting, data: dict) -> Setting:
    """Change a setting's value, category, description or key. The key stays unique in the
    tenant: taking another setting's key is a conflict (409), not a silent merge."""
    key = data.get("key")
    if key is not None and Setting.objects.filter(tenant_id=setting.tenant_id, key=key).exclude(pk=setting.pk).exists():
        raise _conflict(f"A setting with key '{key}' already exists.")
    return update_row(instance=setting, data=data)


# What an upload is: fixed once stored (a new file is a new item). Model field -> documented name.
MEDIA_STORAGE_CREATE_ONLY = {"url": "url", "mime_type": "mimeType", "size": "size"}


@transaction.atomic
def create_media_storage(*, tenant: Tenant, data: dict, uploaded_by: str) -> models.Model:
    """Record an uploaded file; `uploaded_by` is the caller, never the client's word."""
    from core.models import MediaStorage

    return create_row(model=MediaStorage, tenant=tenant, data={**data, "uploaded_by": uploaded_by[:200]})


@transaction.atomic
def update_media_storage(*, item: models.Model, data: dict) -> models.Model:
    """Update an item's description fields. url, mimeType and size are create-only: sending
    the stored value back is accepted (a client may PUT the document it read), changing it
    is refused (400 naming the field) rather than silently ignored."""
    from rest_framework.exceptions import ValidationError

    data = dict(data)
    errors = {}
    for field, public in MEDIA_STORAGE_CREATE_ONLY.items():
        if field in data and data.pop(field) != getattr(item, field):
            errors[public] = ["Cannot be changed after upload; create a new item instead."]
    if errors:
        raise ValidationError(errors)
    return update_row(instance=item, data=data)


def _require_tenant_list(tenant_id, custom_list) -> None:
    from rest_framework.exceptions import ValidationError

    if custom_list is not None and custom_list.tenant_id != tenant_id:
        raise ValidationError({"customList": [f"Not found: {custom_list.pk}."]})


@transaction.atomic
def create_custom_list_item(*, tenant: Tenant, data: dict) -> models.Model:
    """An item of one of the tenant's custom lists (another tenant's list is "not found")."""
    from core.models import CustomListItem

    _require_tenant_list(tenant.pk, data.get("custom_list"))
    return create_row(model=CustomListItem, tenant=tenant, data=data)


@transaction.atomic
def update_custom_list_item(*, item: models.Model, data: dict) -> models.Model:
    _require_tenant_list(item.tenant_id, data.get("custom_list"))
    return update_row(instance=item, data=data)


@transaction.atomic
def delete_custom_list(*, custom_list: models.Model) -> None:
    """Delete a list that has no items. A list with items is a conflict (409) naming some of
    them: deleting it would orphan the values documents picked from it."""
    items = custom_list.items.order_by("name")
    count = items.count()
    if count:
        shown = list(items.values_list("name", flat=True)[:5])
        more = f" and {count - len(shown)} more" if count > len(shown) else ""
        raise _conflict(
            f"Custom list '{custom_list.name}' still has {count} item(s): {', '.join(shown)}{more}. "
            "Delete or move them first."
        )
    delete_row(instance=custom_list)


def validate_hex_color(value: str) -> None:
    """`#RGB` or `#RRGGBB` (an empty value means no color)."""
    import re

    from django.core.exceptions import ValidationError

    if value and not re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", value):
        raise ValidationError("Expected a color as #RGB or #RRGGBB.")
