"""Client rules shared by the API surfaces, the admin and the import commands."""

from django.db import transaction

from clients.models import Client
from core import services as core_services
from core.api.exceptions import Conflict
from core.dataio.bulk import BulkOutcome, among, insert_rows
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


def _stamp_location(data: dict, now=None) -> dict:
    """A client created with a position records when it was set."""
    if data.get("lat") is not None or data.get("lng") is not None:
        data["last_location_update"] = now or now_ms()
    return data


def _code_conflict(key: str, value, other) -> str:
    return f"{key} '{value}' is already used by client {other}."


def code_owners(*, tenant: Tenant, values: dict, exclude_pk=None) -> dict:
    """{(key, value): client id} for the given client codes / sync ids (`{key: values}`)
    that clients of the tenant already use; one query per key."""
    owners = {}
    for key, wanted in values.items():
        wanted = list({value for value in wanted if value})
        if not wanted:
            continue
        rows = Client.objects.filter(among(Client, key, wanted), tenant=tenant)
        if exclude_pk is not None:
            rows = rows.exclude(pk=exclude_pk)
        for value, pk in rows.values_list(key, "pk"):
            owners[(key, value)] = pk
    return owners


def check_unique_codes(*, tenant: Tenant, data: dict, instance: Client | None = None) -> None:
    owners = code_owners(
        tenant=tenant,
        values={key: [data.get(key)] for key in UNIQUE_PER_TENANT},
        exclude_pk=instance.pk if instance is not None else None,
    )
    for key in UNIQUE_PER_TENANT:
        value = data.get(key)
        if value and (key, value) in owners:
            raise Conflict(_code_conflict(key, value, owners[(key, value)]))


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
    return core_services.create_row(model=Client, tenant=tenant, data=_stamp_location(data))


@transaction.atomic
def create_clients_bulk(*, tenant: Tenant, rows: list[dict]) -> BulkOutcome:
    """`create_client` for a batch (imports), with the same rules applied to all rows at once:
    normalised codes and email, a known `sync_id` returns its client (also one taken by an
    earlier row of the batch), a client code or sync id used by another client (in the
    database or earlier in the batch) refuses the row, a position stamps
    `last_location_update`. The rows are then written with COPY (insert_rows)."""
    outcome = BulkOutcome()
    prepared = [_normalise(data) for data in rows]
    owners = code_owners(tenant=tenant, values={key: [data.get(key) for data in prepared] for key in UNIQUE_PER_TENANT})
    taken = {}  # (key, value) -> index of the row of this batch that uses it
    same_sync, clashes, new = {}, {}, []  # rows that meet an earlier row of the batch: its index
    for index, data in enumerate(prepared):
        sync_id = data.get("sync_id")
        if sync_id and ("sync_id", sync_id) in owners:
            outcome.existing[index] = owners[("sync_id", sync_id)]
            continue
        if sync_id and ("sync_id", sync_id) in taken:
            same_sync[index] = taken[("sync_id", sync_id)]
            continue
        clash = next(
            (k for k in UNIQUE_PER_TENANT if data.get(k) and ((k, data[k]) in owners or (k, data[k]) in taken)), None
        )
        if clash is not None:
            key = (clash, data[clash])
            if key in owners:
                outcome.errors[index] = (clash, _code_conflict(clash, data[clash], owners[key]))
            else:
                clashes[index] = (clash, taken[key])
            continue
        for key in UNIQUE_PER_TENANT:
            if data.get(key):
                taken[(key, data[key])] = index
        new.append(index)
    now = now_ms()
    ids = insert_rows(Client, tenant=tenant, rows=[_stamp_location(prepared[i], now) for i in new])
    outcome.created = dict(zip(new, ids, strict=True))
    for index, first in same_sync.items():
        outcome.existing[index] = outcome.created[first]
    for index, (key, first) in clashes.items():
        outcome.errors[index] = (key, _code_conflict(key, prepared[index][key], outcome.created[first]))
    return outcome


@transaction.atomic
def update_client(*, client: Client, data: dict) -> Client:
    data = _normalise(data)
    check_unique_codes(tenant=client.tenant, data=data, instance=client)
    moved = any(key in data and data[key] != getattr(client, key) for key in ("lat", "lng"))
    if moved:
        data["last_location_update"] = now_ms()
    return core_services.update_row(instance=client, data=data)


def client_engagements(*, client: Client) -> list[dict]:
    """The client's engagements (Aiwyn): its contracts, once the finance app keeps them."""
    from django.apps import apps

    try:
        contract_model = apps.get_model("finance", "Contract")
    except LookupError:
        return []
    rows = contract_model.objects.filter(tenant_id=client.tenant_id, client=client).order_by("start_date", "pk")
    return [
        {
            "id": str(row.pk),
            "name": row.title,
            "status": row.status,
            "type": getattr(row, "contract_type", None),
            "startDate": row.start_date,
            "endDate": row.end_date,
        }
        for row in rows
    ]


def client_financial_summary(*, client: Client) -> dict:
    """Aiwyn's financialSummary. Computed from invoices and payments once the finance and sales
    apps keep them; zeros until then. The currency is the tenant's `currency` setting."""
    from core.models import Setting

    currency = (
        Setting.objects.filter(tenant_id=client.tenant_id, key="currency").values_list("value", flat=True).first()
    )
    if not isinstance(currency, str) or not currency:
        currency = "USD"  # a setting holds any JSON value; the summary's currency is a code
    return {"totalRevenue": 0, "outstandingBalance": 0, "currency": currency, "lastPaymentDate": None}


@transaction.atomic
def delete_client(*, client: Client) -> None:
    """Delete a client; one that other rows reference is refused (409 naming them)."""
    core_services.delete_row(instance=client)


@transaction.atomic
def set_silenced(*, client: Client, silenced: bool) -> None:
    """`isSilenced` is the mail suppression list seen from the client: silencing adds the
    client's address to it, un-silencing removes it (re-subscribes)."""
    from clients.models import MailUnsubscribe
    from clients.services.people import normalise_email

    if not client.email:
        return
    email = normalise_email(client.email)
    rows = MailUnsubscribe.objects.filter(tenant_id=client.tenant_id, email=email)
    if silenced and not rows.exists():
        MailUnsubscribe.objects.create(
            tenant_id=client.tenant_id, email=email, reason="Silenced on the client", unsubscribe_types=["all"]
        )
    elif not silenced:
        rows.delete()


def _crm_fields(data: dict, client: Client | None = None) -> tuple[dict, object, object]:
    data = dict(data)
    token = data.pop("login_token", ...)
    silenced = data.pop("is_silenced", ...)
    first = data.get("first_name", client.first_name if client else "")
    last = data.get("last_name", client.last_name if client else "")
    derived_before = f"{client.first_name} {client.last_name}".strip() if client else None
    if client is None or client.name == derived_before:
        data["name"] = f"{first} {last}".strip()  # the CRM has no name: it is first + last
    for key in ("home_phone", "phone", "cell_phone", "fax"):
        if key in data and data[key] is None:
            data[key] = ""
    if token is not ...:
        from django.contrib.auth.hashers import make_password

        data["login_token_hash"] = make_password(token) if token else ""
    return data, silenced, token


@transaction.atomic
def create_crm_client(*, tenant: Tenant, data: dict) -> Client:
    fields, silenced, _ = _crm_fields(data)
    client = create_client(tenant=tenant, data=fields)
    if silenced is not ...:
        set_silenced(client=client, silenced=bool(silenced))
    return client


@transaction.atomic
def update_crm_client(*, client: Client, data: dict) -> Client:
    if data.get("referred_by") is not None and data["referred_by"].pk == client.pk:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"referredById": ["A client cannot refer itself."]})
    fields, silenced, _ = _crm_fields(data, client)
    client = update_client(client=client, data=fields)
    if silenced is not ...:
        set_silenced(client=client, silenced=bool(silenced))
    return client


def check_login_token(*, client: Client, raw_token: str) -> bool:
    from django.contrib.auth.hashers import check_password

    return bool(client.login_token_hash) and check_password(raw_token, client.login_token_hash)
