"""Import benchmark: N client rows from a CSV through `manage.py import_data`, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dataio_bench \\
        python bench/import_bench.py [--rows 100000,1000000] [--tenant importbench]

For each size: resets the tenant (its rows are deleted), creates 10 channels and 20 tags,
writes a CSV of N clients (name, local name, code, channel and tags by name, address, phone,
email, position, disabled) to a temporary directory, then runs `import_data client <file>` as
a child process and reports its wall time, rows/s and peak resident memory (the child's
ru_maxrss), and checks that the tenant has exactly N clients, in the table and in the kept
count that list totals read. Memory that does not grow with the file shows as the same peak
at 100,000 and 1,000,000 rows. See bench/IMPORT.md for the numbers.
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

COLUMNS = [
    "name",
    "local_name",
    "client_code",
    "channel",
    "tags",
    "city",
    "state",
    "country",
    "formatted_address",
    "phone",
    "email",
    "lat",
    "lng",
    "disabled",
]
CHANNELS = [f"Channel {n}" for n in range(1, 11)]
TAGS = [f"Tag {n}" for n in range(1, 21)]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "import-bench-only")
    import django

    django.setup()


def write_csv(path: Path, rows: int, seed: int = 11) -> None:
    """N deterministic client rows; about 30 % have one or two tags, 2 % are disabled."""
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            city, state, country = rnd.choice(dataset.CITIES)
            tags = ""
            if rnd.random() < 0.3:
                tags = ";".join(rnd.sample(TAGS, rnd.choice((1, 2))))
            writer.writerow(
                [
                    f"Client {i:07d} {rnd.choice(dataset.WORDS)} {rnd.choice(dataset.SUFFIXES)}",
                    f"عميل {i}" if i % 2 else "",
                    f"IMP{i:07d}",
                    rnd.choice(CHANNELS),
                    tags,
                    city,
                    state,
                    country,
                    f"{rnd.randint(1, 9999)} King Road, {city}",
                    f"+9665{rnd.randint(10_000_000, 99_999_999)}",
                    f"client{i}@example.com",
                    f"{rnd.uniform(12.0, 36.0):.6f}",
                    f"{rnd.uniform(30.0, 58.0):.6f}",
                    "true" if rnd.random() < 0.02 else "false",
                ]
            )


def reset_tenant(namespace: str):
    """Delete the tenant and its rows (table by table, in one transaction: the ORM's cascade
    would load every id first), then create it afresh."""
    from django.apps import apps
    from django.db import connection, transaction

    from core import services
    from core.models import Tenant

    existing = Tenant.objects.filter(namespace=namespace).first()
    if existing is not None:
        quote = connection.ops.quote_name
        tenant_id = existing._meta.pk.get_db_prep_value(existing.pk, connection)
        with transaction.atomic(), connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in apps.get_models():
                column = next(
                    (f.column for f in model._meta.concrete_fields if f.many_to_one and f.related_model is Tenant), None
                )
                if column is None or model._meta.db_table not in tables:
                    continue
                table = quote(model._meta.db_table)
                owned = f"SELECT {quote(model._meta.pk.column)} FROM {table} WHERE {quote(column)} = %s"
                for m2m in model._meta.local_many_to_many:
                    through = m2m.remote_field.through
                    if through._meta.auto_created and through._meta.db_table in tables:
                        src = through._meta.get_field(m2m.m2m_field_name()).column
                        cursor.execute(
                            f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(src)} IN ({owned})", [tenant_id]
                        )
                cursor.execute(f"DELETE FROM {table} WHERE {quote(column)} = %s", [tenant_id])
            cursor.execute(f"DELETE FROM {quote(Tenant._meta.db_table)} WHERE id = %s", [tenant_id])
    return services.create_tenant(namespace=namespace, name=f"Import benchmark ({namespace})")


def prepare_tenant(namespace: str):
    from clients.models import ClientChannel, Tag

    tenant = reset_tenant(namespace)
    ClientChannel.objects.bulk_create([ClientChannel(tenant=tenant, name=name) for name in CHANNELS])
    Tag.objects.bulk_create([Tag(tenant=tenant, name=name) for name in TAGS])
    return tenant


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def wait_until_quiet(threshold: float, timeout: float) -> float:
    """Wait until the machine's CPUs are busy less than `threshold` of the time over 3 s (other
    sessions' tests and benchmarks skew the numbers); returns the share seen last."""
    deadline = time.monotonic() + timeout
    while True:
        before = machine_busy()
        time.sleep(3)
        after = machine_busy()
        share = (after[0] - before[0]) / max(after[1] - before[1], 1)
        if share < threshold or time.monotonic() > deadline:
            return share
        print(f"waiting for a quiet machine ({share:.0%} busy)", flush=True)


class DatabaseCpu(threading.Thread):
    """CPU seconds of the PostgreSQL backends serving one database (their process titles name
    it), sampled from /proc while the import runs: what the import costs the server."""

    def __init__(self, database: str):
        super().__init__(daemon=True)
        self.database = database
        self.seen: dict[int, float] = {}
        self.done = threading.Event()

    def sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
                if not title.startswith("postgres:") or f" {self.database} " not in title:
                    continue
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.sample()

    def stop(self) -> float:
        self.done.set()
        self.join()
        return sum(self.seen.values())


def run_import(path: Path, namespace: str) -> dict:
    """Wall time, exit code, peak RSS, CPU and the machine's load of one import_data run."""
    command = [sys.executable, "manage.py", "import_data", "client", str(path), "--tenant", namespace]
    from django.db import connection

    busy_before = machine_busy()
    database = DatabaseCpu(connection.settings_dict["NAME"])
    database.sample()
    base = dict(database.seen)  # this script's own connection: not the import's
    database.start()
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    database_cpu = database.stop() - sum(base.values())
    busy_after = machine_busy()
    ticks = os.sysconf("SC_CLK_TCK")
    lines = [line for line in output.splitlines() if line.strip()]
    return {
        "seconds": seconds,
        "code": os.waitstatus_to_exitcode(status),
        "rss_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,  # the import process (Python, all threads)
        "machine_cpu": (busy_after[0] - busy_before[0]) / ticks,  # every process, PostgreSQL included
        "database_cpu": database_cpu,
        "cpus": os.cpu_count(),
        "last": lines[-1] if lines else "",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000", help="Comma-separated sizes (default: %(default)s).")
    parser.add_argument("--tenant", default="importbench")
    parser.add_argument("--workdir", help="Where to write the CSV files (default: a temporary directory).")
    parser.add_argument("--quiet", type=float, default=0.15, help="Wait for CPUs busier than this to calm down.")
    parser.add_argument("--quiet-timeout", type=float, default=600, help="Give up waiting after this many seconds.")
    args = parser.parse_args()
    os.environ.setdefault("STATEMENT_TIMEOUT_MS", "0")
    setup_django()
    from django.db import connection

    from clients.models import Client
    from core import rowcounts

    if connection.vendor != "postgresql":
        print("warning: the target is PostgreSQL (set DATABASE_URL); this run uses", connection.vendor)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in (int(n) for n in args.rows.split(",")):
        path = workdir / f"clients-{rows}.csv"
        if not path.exists():
            started = time.perf_counter()
            write_csv(path, rows)
            print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
        tenant = prepare_tenant(args.tenant)
        idle_share = wait_until_quiet(args.quiet, args.quiet_timeout)
        run = run_import(path, args.tenant)
        in_table = Client.objects.filter(tenant=tenant).count()
        kept = rowcounts.kept_count(tenant=tenant, table=Client._meta.db_table)
        print(run["last"])
        ok = run["code"] == 0 and in_table == kept == rows
        others = run["machine_cpu"] - run["cpu"] - run["database_cpu"]  # other sessions' work
        results.append((rows, run, ok))
        print(
            f"{rows:,} rows: {run['seconds']:.1f} s, {rows / run['seconds']:,.0f} rows/s, peak RSS {run['rss_mb']:.0f} MB, "
            f"CPU: import {run['cpu']:.0f} s ({run['cpu'] / rows * 1e6:.0f} us/row), PostgreSQL "
            f"{run['database_cpu']:.0f} s ({run['database_cpu'] / rows * 1e6:.0f} us/row), other processes {others:.0f} s, "
            f"of {run['cpus'] * run['seconds']:.0f} s available (machine {idle_share:.0%} busy before); "
            f"exit {run['code']}, {in_table:,} in the table, kept count {kept:,}{'' if ok else '  <-- MISMATCH'}"
        )
    print(
        "\n| rows | seconds | rows/s | peak RSS (MB) | import CPU (us/row) | PostgreSQL CPU (us/row) "
        "| other processes (CPU s) | counts exact |\n|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    for rows, run, ok in results:
        others = run["machine_cpu"] - run["cpu"] - run["database_cpu"]
        print(
            f"| {rows:,} | {run['seconds']:.1f} | {rows / run['seconds']:,.0f} | {run['rss_mb']:.0f} | "
            f"{run['cpu'] / rows * 1e6:.0f} | {run['database_cpu'] / rows * 1e6:.0f} | {others:.0f} | "
            f"{'yes' if ok else 'NO'} |"
        )
    if not all(ok for *_, ok in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
