"""Invoice serial counters: the numbers invoices, returns and proformas are issued under.

* A counter is unique per (tenant, rep, warehouse, invoice_type): creating a second one is a 409
  naming the existing counter's `_id`.
* `next_serial` consumes one number atomically and answers it with its formatted form
  (`prefix + zero-padded number + suffix`, e.g. `INV-2024-001001`). The first use of a
  (rep, warehouse, invoice_type) creates the counter at 0, so the first number is 1. It is one
  statement, `INSERT … SELECT … WHERE <rep and warehouse are the tenant's> ON CONFLICT (key) DO
  UPDATE SET current_serial = current_serial + 1 … RETURNING`: the row lock of the UPDATE (or
  the unique index, when two first uses race) orders concurrent callers, so every caller gets a
  distinct number and the numbers are contiguous. Called inside a caller's transaction (the
  invoice service), the lock is held until that transaction ends and a rolled-back invoice
  gives its number back: no gap.
* `current_serial` never goes down: a PATCH (or an admin edit, or an import) that lowers it is
  refused with a 422 naming the field; raising it skips numbers, which is allowed. The key
  (rep, warehouse, invoice_type) is fixed once created (422 when a change is asked).
* A counter that has issued numbers (`current_serial > 0`) cannot be deleted (409): recreated,
  it would issue the same numbers again.
"""

import uuid

from django.apps import apps
from django.db import IntegrityError, connections, router, transaction
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from core.ids import parse_uuid, uuid7
from core.models import Tenant
from core.models.base import now_ms
from finance.models import InvoiceSerialCounter
from finance.models.serials import MAX_PAD_LENGTH, MAX_SERIAL

INVOICE_TYPES = tuple(InvoiceSerialCounter.InvoiceType.values)
KEY_FIELDS = ("rep", "warehouse", "invoice_type")


def format_serial(*, number: int, prefix: str = "", suffix: str = "", pad_length: int = 6) -> str:
    """`prefix + number zero-padded to pad_length digits + suffix`; a number longer than the
    padding is written whole (never cut)."""
    return f"{prefix}{str(number).zfill(pad_length)}{suffix}"


# Checks shared by the API, the admin and imports ---------------------------------------------------
def lowering_error(*, stored: int, requested: int) -> str | None:
    """Why `current_serial` may not become `requested` (None when it may)."""
    if requested < stored:
        return (
            f"Cannot lower current_serial from {stored} to {requested}: numbers up to {stored} were already "
            "issued and would be issued again."
        )
    return None


def _check_values(data: dict) -> None:
    errors = {}
    if "current_serial" in data and not 0 <= data["current_serial"] <= MAX_SERIAL:
        errors["current_serial"] = [f"Expected an integer from 0 to {MAX_SERIAL}."]
    if "pad_length" in data and not 0 <= data["pad_length"] <= MAX_PAD_LENGTH:
        errors["pad_length"] = [f"Expected an integer from 0 to {MAX_PAD_LENGTH}."]
    if "invoice_type" in data and data["invoice_type"] not in INVOICE_TYPES:
        errors["invoice_type"] = [f"Expected one of: {', '.join(INVOICE_TYPES)}."]
    for name in ("rep", "warehouse"):
        target = data.get(name)
        if name in data and target is None:
            errors[name] = ["This field is required."]
    if errors:
        raise ValidationError(errors)


def _duplicate(existing: InvoiceSerialCounter) -> Conflict:
    message = (
        f"A {existing.invoice_type} serial counter for this rep and warehouse already exists ({existing.pk}); "
        "there is one counter per rep, warehouse and invoice type."
    )
    details = [{"path": "invoice_type", "message": message, "code": "unique", "_id": str(existing.pk)}]
    return Conflict(message, details=details)


def find_counter(*, tenant: Tenant, rep_id, warehouse_id, invoice_type: str) -> InvoiceSerialCounter | None:
    return InvoiceSerialCounter.objects.filter(
        tenant=tenant, rep_id=rep_id, warehouse_id=warehouse_id, invoice_type=invoice_type
    ).first()


# Writes ------------------------------------------------------------------------------------------
@transaction.atomic
def create_counter(*, tenant: Tenant, data: dict) -> InvoiceSerialCounter:
    """A new counter (`current_serial` defaults to 0, `pad_length` to 6). `rep` and `warehouse`
    are the tenant's rows (the serializer resolves them); a second counter for the same key is
    a 409 naming the first."""
    data = dict(data)
    _check_values(data)
    missing = [name for name in KEY_FIELDS if data.get(name) in (None, "")]
    if missing:
        raise ValidationError({name: ["This field is required."] for name in missing})
    for name in ("rep", "warehouse"):
        if data[name].tenant_id != tenant.pk:
            raise ValidationError({name: [f"Not found: {data[name].pk}."]})
    existing = find_counter(
        tenant=tenant, rep_id=data["rep"].pk, warehouse_id=data["warehouse"].pk, invoice_type=data["invoice_type"]
    )
    if existing is not None:
        raise _duplicate(existing)
    counter = InvoiceSerialCounter(tenant=tenant, **data)
    try:
        with transaction.atomic():
            counter.save()
    except IntegrityError:  # a concurrent create (or a first /next) took the key meanwhile
        existing = find_counter(
            tenant=tenant, rep_id=counter.rep_id, warehouse_id=counter.warehouse_id, invoice_type=counter.invoice_type
        )
        if existing is None:
            raise
        raise _duplicate(existing) from None
    return counter


@transaction.atomic
def update_counter(*, counter: InvoiceSerialCounter, data: dict) -> InvoiceSerialCounter:
    """A partial update of `current_serial`, `prefix`, `suffix`, `pad_length`. The row is locked
    first, so a `/next` running at the same time is either before the check or after the write:
    `current_serial` is compared with the number really issued last."""
    data = dict(data)
    _check_values(data)
    locked = InvoiceSerialCounter.objects.select_for_update().get(pk=counter.pk)
    errors = {}
    for name in KEY_FIELDS:
        if name in data:
            value = data.pop(name)
            stored = getattr(locked, f"{name}_id" if name != "invoice_type" else name)
            given = getattr(value, "pk", value)
            if given != stored:
                errors[name] = ["Cannot be changed: a counter's rep, warehouse and invoice type are fixed."]
    if "current_serial" in data:
        error = lowering_error(stored=locked.current_serial, requested=data["current_serial"])
        if error:
            errors["current_serial"] = [error]
    if errors:
        raise ValidationError(errors)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def delete_counter(*, counter: InvoiceSerialCounter) -> None:
    """Refused (409) once the counter has issued numbers: recreated at 0 it would issue them again."""
    from core import services as core_services

    locked = InvoiceSerialCounter.objects.select_for_update().get(pk=counter.pk)
    if locked.current_serial > 0:
        raise Conflict(
            f"Cannot delete this serial counter: it has issued numbers up to {locked.current_serial}, "
            "which a new counter would issue again."
        )
    core_services.delete_row(instance=locked)


# The next number -----------------------------------------------------------------------------------
_SQL_CACHE: dict[str, str] = {}


def _upsert_sql(connection) -> str:
    sql = _SQL_CACHE.get(connection.vendor)
    if sql is not None:
        return sql
    q = connection.ops.quote_name
    table = q(InvoiceSerialCounter._meta.db_table)
    reps = q(apps.get_model("sales", "Rep")._meta.db_table)
    warehouses = q(apps.get_model("sales", "Warehouse")._meta.db_table)
    empty_json = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
    sql = (
        f"INSERT INTO {table} (id, tenant_id, rep_id, warehouse_id, invoice_type, current_serial, prefix, suffix, "
        "pad_length, last_used_date, created_at, updated_at, version, integration_meta) "
        f"SELECT %s, %s, %s, %s, %s, 1, %s, '', 6, %s, %s, %s, 0, {empty_json} "
        f"WHERE EXISTS (SELECT 1 FROM {reps} WHERE id = %s AND tenant_id = %s) "
        f"AND EXISTS (SELECT 1 FROM {warehouses} WHERE id = %s AND tenant_id = %s) "
        "ON CONFLICT (tenant_id, rep_id, warehouse_id, invoice_type) DO UPDATE SET "
        f"current_serial = {table}.current_serial + 1, last_used_date = excluded.last_used_date, "
        f"updated_at = excluded.updated_at, version = {table}.version + 1 "
        "RETURNING current_serial, prefix, suffix, pad_length"
    )
    _SQL_CACHE[connection.vendor] = sql
    return sql


def _reference(name: str, value) -> uuid.UUID:
    pk = parse_uuid(getattr(value, "pk", value))
    if pk is None:
        raise ValidationError({name: [f"Not found: {str(value)[:100]}."]})
    return pk


@transaction.atomic
def next_serial(*, tenant: Tenant, rep_id, warehouse_id, invoice_type: str, prefix: str = "") -> tuple[int, str]:
    """Consume the next number of the (rep, warehouse, invoice_type) counter: `(number, formatted)`.
    Creates the counter at 0 on first use, with `prefix` (an existing counter keeps its own). A rep
    or warehouse that is not the tenant's is a
    ValidationError naming `rep` or `warehouse`; an unknown type names `invoice_type`."""
    if invoice_type not in INVOICE_TYPES:
        raise ValidationError({"invoice_type": [f"Expected one of: {', '.join(INVOICE_TYPES)}."]})
    rep_pk, warehouse_pk = _reference("rep", rep_id), _reference("warehouse", warehouse_id)
    tenant_pk = getattr(tenant, "pk", tenant)
    using = router.db_for_write(InvoiceSerialCounter)
    connection = connections[using]
    fields = InvoiceSerialCounter._meta

    def prep(name, value):
        return fields.get_field(name).get_db_prep_value(value, connection)

    now = now_ms()
    rep_key, warehouse_key, tenant_key = prep("rep", rep_pk), prep("warehouse", warehouse_pk), prep("tenant", tenant_pk)
    stamp = prep("updated_at", now)
    params = [
        prep("id", uuid7()), tenant_key, rep_key, warehouse_key, invoice_type, prefix, stamp, stamp, stamp,
        rep_key, tenant_key, warehouse_key, tenant_key,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection), params)
        row = cursor.fetchone()
    if row is None:  # the rep or the warehouse is not the tenant's
        Rep = apps.get_model("sales", "Rep")
        if not Rep.objects.filter(tenant_id=tenant_pk, pk=rep_pk).exists():
            raise ValidationError({"rep": [f"Not found: {rep_pk}."]})
        raise ValidationError({"warehouse": [f"Not found: {warehouse_pk}."]})
    number, prefix, suffix, pad_length = row
    return number, format_serial(number=number, prefix=prefix, suffix=suffix, pad_length=pad_length)
