"""Client rules shared by the API surfaces, the admin and the import commands."""

from django.db import transaction

from clients.models import Client
from core import services as core_services
from core.api.exceptions import Conflict
from core.models import Tenant, now_ms

UNIQUE_PER_TENANT = ("client_code", "sync_id")


def _normalise(data: dict) -> dict:
    data = dict(data)
    for key in UNIQUE_PER_TENANT:
        if key in data and data[key] == "":
            data[key] = None  # empty means "none": it must not collide with other empty codes
    if "email" in data and isinstance(data["email"], str):
        data["email"] = data["email"].strip()
    return data


def check_unique_codes(*, tenant: Tenant, data: dict, instance: Client | None = None) -> None:
    for key in UNIQUE_PER_TENANT:
        value = data.get(key)
        if not value:
            continue
        clash = Client.objects.filter(tenant=tenant, **{key: value})
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        other = clash.values_list("pk", flat=True).first()
        if other:
            raise Conflict(f"{key} '{value}' is already used by client {other}.")


@transaction.atomic
def create_client(*, tenant: Tenant, data: dict) -> Client:
    """Create a client. A `sync_id` seen before (a mobile app retrying) returns that client
    unchanged instead of creating a second one."""
    data = _normalise(data)
    if data.get("sync_id"):
        existing = Client.objects.filter(tenant=tenant, sync_id=data["sync_id"]).first()
        if existing is not None:
            return existing
    check_unique_codes(tenant=tenant, data=data)
    if data.get("lat") is not None or data.get("lng") is not None:
        data["last_location_update"] = now_ms()
    return core_services.create_row(model=Client, tenant=tenant, data=data)


@transaction.atomic
def update_client(*, client: Client, data: dict) -> Client:
    data = _normalise(data)
    check_unique_codes(tenant=client.tenant, data=data, instance=client)
    moved = any(key in data and data[key] != getattr(client, key) for key in ("lat", "lng"))
    if moved:
        data["last_location_update"] = now_ms()
    return core_services.update_row(instance=client, data=data)
