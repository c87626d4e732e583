"""Trigram indexes behind `?search=` on clients (PostgreSQL only).

Django's icontains compiles to `UPPER(col::text) LIKE UPPER('%term%')`; a GIN trigram index on
that same expression turns a selective search from a scan of the tenant into an index lookup
(PERFORMANCE-NOTES.md, lesson 5). SQLite keeps scanning, which is fine at its sizes.
"""

from django.db import migrations

SEARCHED = ("name", "local_name", "client_code")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS client_{column}_trgm ON clients_client "
            f"USING gin (upper(({column})::text) gin_trgm_ops)"
        )
        schema_editor.execute(f"ALTER TABLE clients_client ALTER COLUMN {column} SET STATISTICS 1000")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS client_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
