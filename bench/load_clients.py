"""Load N clients into one tenant of the configured database, fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench \\
        python bench/load_clients.py --rows 100000 [--tenant bench] [--channels 10] [--tags 20]

Resets the tenant (its rows are deleted first), creates an API key (saved to
bench/results/key-<tenant>.txt and key.txt), channels and tags through the ORM, then streams
the clients and about 30 % client-tag links with COPY in batches (PostgreSQL; `bulk_create` on
SQLite), so memory does not grow with --rows. Every concrete column of the Client model is written: the ones
generated here, and each other field's default, so new columns keep working.
"""

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

# Columns generated per row; every other column takes its model default.
GENERATED = (
    "id",
    "tenant",
    "created_at",
    "updated_at",
    "version",
    "integration_meta",
    "name",
    "local_name",
    "client_code",
    "channel",
    "city",
    "state",
    "country",
    "formatted_address",
    "phone",
    "email",
    "lat",
    "lng",
    "disabled",
)
# Callable defaults that give the same (empty) value every time, written once per batch.
CONSTANT_FACTORIES = (list, dict, tuple, set, str, int, float, bool)
TAGGED_SHARE = 0.3
HISTORY = dt.timedelta(days=3 * 365)  # created_at spread over the last three years


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-loader-only")  # the loader serves no request
    os.environ.setdefault("STATEMENT_TIMEOUT_MS", "0")  # the app's timeout is for requests, not bulk loads
    import django

    django.setup()


def require_migrated():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise SystemExit("The database has unapplied migrations: run `python manage.py migrate` first.")


# Tenant ---------------------------------------------------------------------------------------
def tenant_owned_models():
    """(model, tenant column) for every model with a foreign key to Tenant."""
    from django.apps import apps

    from core.models import Tenant

    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model is Tenant:
                yield model, f.column
                break


def delete_tenant_rows(tenant):
    """Delete a tenant's rows table by table in one transaction: the ORM's cascade would load
    a million ids first. Foreign keys are deferred, so the order of the tables does not matter."""
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    tenant_id = tenant._meta.pk.get_db_prep_value(tenant.pk, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        for model, tenant_column in tenant_owned_models():
            table = quote(model._meta.db_table)
            owned = f"SELECT {quote(model._meta.pk.column)} FROM {table} WHERE {quote(tenant_column)} = %s"
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                if through._meta.auto_created:
                    column = through._meta.get_field(m2m.m2m_field_name()).column
                    cursor.execute(
                        f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(column)} IN ({owned})",
                        [tenant_id],
                    )
            cursor.execute(f"DELETE FROM {table} WHERE {quote(tenant_column)} = %s", [tenant_id])
    tenant.delete()


def reset_tenant(namespace):
    from core import services
    from core.models import Tenant

    existing = Tenant.objects.filter(namespace=namespace).first()
    if existing is not None:
        started = time.perf_counter()
        delete_tenant_rows(existing)
        print(f"deleted the previous '{namespace}' tenant in {time.perf_counter() - started:.1f} s")
    return services.create_tenant(namespace=namespace, name=f"Benchmark ({namespace})")


# Rows -----------------------------------------------------------------------------------------
class ClientGenerator:
    """Deterministic client rows (seeded), in the column order of `self.columns`."""

    def __init__(self, *, tenant, rows, channel_ids, tag_ids, seed=7):
        from django.db.models import JSONField

        from clients.models import Client

        self.tenant_id = tenant.pk
        self.rows = rows
        self.channel_ids = channel_ids
        self.tag_ids = tag_ids
        self.random = random.Random(seed)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.start = self.now - HISTORY
        self.step_ms = HISTORY.total_seconds() * 1000 / max(rows, 1)

        fields = {f.name: f for f in Client._meta.concrete_fields}
        missing = [name for name in GENERATED if name not in fields]
        if missing:
            raise SystemExit(f"bench/load_clients.py generates fields the model no longer has: {missing}")
        self.generated = [fields[name] for name in GENERATED]
        self.constant, self.per_row = [], []  # fields filled from their defaults
        constant_values = []
        for name, f in fields.items():
            if name in GENERATED:
                continue
            if f.has_default() and callable(f.default) and f.default not in CONSTANT_FACTORIES:
                self.per_row.append(f)  # e.g. a generated id: a new value per row
                continue
            value = f.get_default()
            if value is None and not f.null:
                raise SystemExit(f"Client.{name} is NOT NULL without a default: generate it in bench/load_clients.py")
            self.constant.append(f)
            constant_values.append(self._dump(f, value))
        self.constant_values = tuple(constant_values)
        self.fields = self.generated + self.per_row + self.constant
        self.columns = [f.column for f in self.fields]
        self.json_fields = {f.name for f in self.fields if isinstance(f, JSONField)}

    @staticmethod
    def _dump(field, value):
        from django.db.models import JSONField

        if isinstance(field, JSONField) and value is not None:
            return json.dumps(value)  # COPY's text format: the server parses it as jsonb
        return value

    def batch(self, start, count):
        """(rows, (client id, tag id) links) for rows start..start+count-1. A row holds the
        values of `self.generated` then `self.per_row`; `self.constant_values` follow them."""
        from core.ids import uuid7

        rnd = self.random
        rare_every = dataset.RARE_EVERY
        words = rnd.choices(dataset.WORDS, k=count)
        suffixes = rnd.choices(dataset.SUFFIXES, k=count)
        cities = rnd.choices(dataset.CITIES, k=count)
        channels = rnd.choices(self.channel_ids, k=count) if self.channel_ids else [None] * count
        rows, links = [], []
        for n, i in enumerate(range(start, start + count)):
            pk = uuid7()
            created = self.start + dt.timedelta(milliseconds=int(i * self.step_ms))
            updated = min(created + dt.timedelta(milliseconds=int(rnd.random() * 30 * 86_400_000)), self.now)
            city, state, country = cities[n]
            rare = f" {dataset.RARE_WORD}" if i % rare_every == rare_every // 2 else ""
            rows.append(
                (
                    pk,
                    self.tenant_id,
                    created,
                    updated,
                    0,
                    "{}",
                    f"Client {i:07d} {words[n]}{rare} {suffixes[n]}",
                    f"عميل {i}" if i % 2 else "",
                    f"C{i:07d}",
                    channels[n],
                    city,
                    state,
                    country,
                    f"{int(rnd.random() * 9999) + 1} King Road, {city}",
                    f"+9665{int(rnd.random() * 90_000_000) + 10_000_000}",
                    f"client{i}@example.com",
                    round(rnd.uniform(12.0, 36.0), 6),
                    round(rnd.uniform(30.0, 58.0), 6),
                    rnd.random() < 0.02,
                    *(self._dump(f, f.get_default()) for f in self.per_row),
                )
            )
            if self.tag_ids and rnd.random() < TAGGED_SHARE:
                links.append((pk, self.tag_ids[int(rnd.random() * len(self.tag_ids))]))
        return rows, links


# Writers --------------------------------------------------------------------------------------
def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


class CopyWriter:
    """PostgreSQL: COPY in text format. The constant columns are formatted once; `prepare`
    (the Python half) runs in a thread while the previous batch is in the server."""

    method = "COPY"

    def __init__(self, generator):
        from django.db import connection

        from clients.models import Client

        quote = connection.ops.quote_name
        through = Client.tags.through
        columns = ", ".join(quote(c) for c in generator.columns)
        link_columns = ", ".join(
            quote(through._meta.get_field(name).column) for name in (Client.tags.field.m2m_field_name(), "tag")
        )
        self.client_sql = f"COPY {quote(Client._meta.db_table)} ({columns}) FROM STDIN"
        self.link_sql = f"COPY {quote(through._meta.db_table)} ({link_columns}) FROM STDIN"
        tail = "\t".join(copy_text(v) for v in generator.constant_values)
        self.tail = f"\t{tail}\n" if tail else "\n"

    def prepare(self, rows, links):
        tail = self.tail
        clients = "".join("\t".join(map(copy_text, row)) + tail for row in rows).encode()
        tagged = "".join(f"{client}\t{tag}\n" for client, tag in links).encode()
        return clients, tagged

    def write(self, payload):
        from django.db import connection, transaction

        clients, tagged = payload
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                with cursor.copy(self.client_sql) as copy:
                    copy.write(clients)
                if tagged:
                    with cursor.copy(self.link_sql) as copy:
                        copy.write(tagged)


class BulkCreateWriter:
    """Other databases (SQLite): bulk_create in batches."""

    method = "bulk_create"

    def __init__(self, generator):
        self.generator = generator

    def prepare(self, rows, links):
        from clients.models import Client

        generator = self.generator
        attnames = [f.attname for f in generator.fields]
        json_columns = {f.attname for f in generator.fields if f.name in generator.json_fields}
        objs = []
        for row in rows:
            values = dict(zip(attnames, row + generator.constant_values, strict=True))
            for key in json_columns:
                if isinstance(values[key], str):
                    values[key] = json.loads(values[key])
            objs.append(Client(**values))
        through = Client.tags.through
        return objs, [through(client_id=c, tag_id=t) for c, t in links]

    def write(self, payload):
        from django.db import transaction

        from clients.models import Client

        objs, through_objs = payload
        with transaction.atomic():
            Client.objects.bulk_create(objs, batch_size=500)
            Client.tags.through.objects.bulk_create(through_objs, batch_size=500)


def table_never_analyzed() -> bool:
    from django.db import connection

    from clients.models import Client

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Client._meta.db_table])
        return cursor.fetchone()[0] < 0  # -1: never vacuumed nor analyzed (PostgreSQL 14+)


def analyze(vendor, vacuum=False):
    from django.db import connection

    from clients.models import Client, ClientChannel, Tag

    tables = [m._meta.db_table for m in (Client, Client.tags.through, ClientChannel, Tag)]
    with connection.cursor() as cursor:
        for table in tables:
            # VACUUM sets the visibility map, as autovacuum would in production: without it
            # every index-only COUNT(*) visits the heap.
            cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum and vendor == "postgresql" else f"ANALYZE {table}")


# Main -----------------------------------------------------------------------------------------
def _batches(generator, writer, rows, batch_size):
    for start in range(0, rows, batch_size):
        count = min(batch_size, rows - start)
        client_rows, links = generator.batch(start, count)
        yield count, len(links), writer.prepare(client_rows, links)


def _produce(generator, writer, rows, batch_size, queue):
    for item in _batches(generator, writer, rows, batch_size):
        queue.put(item)
    queue.put(None)


def prepared_batches(generator, writer, rows, batch_size):
    """(count, link count, payload) per batch. With COPY the rows are generated and formatted in
    a forked process (its own core and GIL) while this one streams the previous batch: a thread
    would contend for the GIL with the COPY and slow it down."""
    if writer.method != "COPY" or "fork" not in multiprocessing.get_all_start_methods():
        yield from _batches(generator, writer, rows, batch_size)
        return
    from django.db import connections

    connections.close_all()  # the child must not share the parent's database socket
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)  # bounded: memory does not grow with --rows
    producer = context.Process(target=_produce, args=(generator, writer, rows, batch_size, queue), daemon=True)
    producer.start()
    try:
        while (item := queue.get()) is not None:
            yield item
    finally:
        producer.terminate()
        producer.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tenant", default=dataset.DEFAULT_TENANT, help="namespace of the tenant to (re)create")
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--tags", type=int, default=20)
    parser.add_argument("--batch", type=int, default=20_000, help="rows per COPY (one transaction each)")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection

    from clients.models import ClientChannel, Tag
    from core import services

    vendor = connection.vendor
    require_migrated()
    tenant = reset_tenant(args.tenant)
    _key, raw_key = services.create_api_key(tenant=tenant, name="bench")
    results = ROOT / dataset.RESULTS_DIR
    results.mkdir(parents=True, exist_ok=True)
    for path in (dataset.KEY_FILE, dataset.key_file_of(tenant.namespace)):
        (ROOT / path).write_text(raw_key + "\n")
    channels = ClientChannel.objects.bulk_create(
        [ClientChannel(tenant=tenant, name=f"Channel {n + 1}") for n in range(args.channels)]
    )
    tags = Tag.objects.bulk_create([Tag(tenant=tenant, name=f"Tag {n + 1}") for n in range(args.tags)])
    print(f"tenant '{tenant.namespace}' ({tenant.pk}), {len(channels)} channels, {len(tags)} tags")
    print(f"API key: {raw_key}  (saved to {dataset.key_file_of(tenant.namespace)})")

    generator = ClientGenerator(
        tenant=tenant, rows=args.rows, channel_ids=[c.pk for c in channels], tag_ids=[t.pk for t in tags]
    )
    writer = (CopyWriter if vendor == "postgresql" else BulkCreateWriter)(generator)

    never_analyzed = vendor == "postgresql" and table_never_analyzed()
    started = time.perf_counter()
    loaded = linked = 0
    for count, link_count, payload in prepared_batches(generator, writer, args.rows, args.batch):
        writer.write(payload)
        if loaded == 0 and never_analyzed:
            # A never-analyzed table can get foreign-key checks planned as full scans of
            # (tenant_id, id) (quadratic commits on a fresh database): give it statistics.
            analyze(vendor)
        loaded, linked = loaded + count, linked + link_count
        rate = loaded / (time.perf_counter() - started)
        print(f"\r{writer.method}: {loaded:,}/{args.rows:,} clients, {linked:,} tag links, {rate:,.0f} rows/s", end="")
        sys.stdout.flush()
    load_seconds = time.perf_counter() - started
    print()
    started = time.perf_counter()
    analyze(vendor, vacuum=True)
    print(f"loaded {loaded:,} clients in {load_seconds:.1f} s ({loaded / max(load_seconds, 1e-9):,.0f} rows/s)")
    print(f"{'VACUUM ANALYZE' if vendor == 'postgresql' else 'ANALYZE'}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
