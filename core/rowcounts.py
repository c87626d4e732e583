"""Install and read the kept row counts (see core/models/counts.py)."""

from django.apps import apps
from django.db import connections, transaction

from core.models import RowCount, TenantModel

COMPACT_AFTER = 64  # delta rows per (tenant, table) before they are folded into one

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION core_rowcount_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO core_rowcount (tenant_id, table_name, delta)
  SELECT tenant_id, TG_TABLE_NAME, count(*) FROM core_new_rows GROUP BY tenant_id;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION core_rowcount_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO core_rowcount (tenant_id, table_name, delta)
  SELECT tenant_id, TG_TABLE_NAME, -count(*) FROM core_old_rows GROUP BY tenant_id;
  RETURN NULL;
END $$;
"""

PG_TRIGGERS = """
CREATE TRIGGER core_rowcount_ins AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS core_new_rows FOR EACH STATEMENT EXECUTE FUNCTION core_rowcount_insert();
CREATE TRIGGER core_rowcount_del AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS core_old_rows FOR EACH STATEMENT EXECUTE FUNCTION core_rowcount_delete();
"""

SQLITE_TRIGGERS = """
CREATE TRIGGER core_rowcount_ins_{table} AFTER INSERT ON {table} BEGIN
  INSERT INTO core_rowcount (tenant_id, table_name, delta)
  SELECT NEW.tenant_id, '{table}', 0
  WHERE NOT EXISTS (SELECT 1 FROM core_rowcount WHERE tenant_id = NEW.tenant_id AND table_name = '{table}');
  UPDATE core_rowcount SET delta = delta + 1 WHERE id = (
    SELECT id FROM core_rowcount WHERE tenant_id = NEW.tenant_id AND table_name = '{table}' LIMIT 1);
END;
CREATE TRIGGER core_rowcount_del_{table} AFTER DELETE ON {table} BEGIN
  UPDATE core_rowcount SET delta = delta - 1 WHERE id = (
    SELECT id FROM core_rowcount WHERE tenant_id = OLD.tenant_id AND table_name = '{table}' LIMIT 1);
END;
"""


def counted_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy and model._meta.managed
    )


def _has_trigger(cursor, vendor, table) -> bool:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = 'core_rowcount_ins' AND tgrelid = %s::regclass", [table]
        )
    else:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [f"core_rowcount_ins_{table}"]
        )
    return cursor.fetchone() is not None


def install(using="default", tables=None) -> list[str]:
    """Put the counting triggers on every tenant table that lacks them, and seed the counts of
    rows already there. Idempotent; runs after every `migrate`."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return []
    installed = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(PG_FUNCTIONS)
        existing = set(connection.introspection.table_names(cursor))
        for table in tables or counted_tables():
            if table not in existing or _has_trigger(cursor, vendor, table):
                continue
            if vendor == "postgresql":
                # No write may slip between the seed count and the trigger.
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
                cursor.execute(PG_TRIGGERS.format(table=f'"{table}"'))
            else:
                for statement in SQLITE_TRIGGERS.format(table=table).split("END;")[:-1]:
                    cursor.execute(statement + "END;")
            _seed(cursor, table)
            installed.append(table)
    return installed


def _seed(cursor, table):
    cursor.execute("DELETE FROM core_rowcount WHERE table_name = %s", [table])
    cursor.execute(
        f'INSERT INTO core_rowcount (tenant_id, table_name, delta) SELECT tenant_id, %s, COUNT(*) FROM "{table}" GROUP BY tenant_id',
        [table],
    )


def recount(using="default") -> None:
    """Rebuild every kept count from the tables (after a TRUNCATE or a restore)."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        existing = set(connections[using].introspection.table_names(cursor))
        for table in counted_tables():
            if table not in existing:
                continue
            if connections[using].vendor == "postgresql":
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            _seed(cursor, table)


def kept_count(*, tenant, table: str) -> int:
    rows = RowCount.objects.filter(tenant=tenant, table_name=table)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(delta), 0), COUNT(*) FROM core_rowcount WHERE tenant_id = %s AND table_name = %s",
            [RowCount._meta.get_field("tenant").get_db_prep_value(tenant.pk, connections[rows.db]), table],
        )
        total, pieces = cursor.fetchone()
    if pieces > COMPACT_AFTER:
        compact(tenant=tenant, table=table)
    return int(total)


@transaction.atomic
def compact(*, tenant, table: str) -> None:
    """Fold the deltas of one (tenant, table) into a single row. Safe under concurrent writers:
    it only deletes deltas it can see and re-inserts exactly their sum."""
    deltas = list(
        RowCount.objects.select_for_update().filter(tenant=tenant, table_name=table).values_list("pk", "delta")
    )
    if len(deltas) <= 1:
        return
    RowCount.objects.filter(pk__in=[pk for pk, _ in deltas]).delete()
    RowCount.objects.create(tenant=tenant, table_name=table, delta=sum(d for _, d in deltas))


def is_counted(model) -> bool:
    return issubclass(model, TenantModel)
