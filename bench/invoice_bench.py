"""Measure `POST /v1/fullinvoices` under gunicorn: invoices of 5 lines per second at 8 concurrent
clients, with stock (the ledger locks and moves 5 inventory rows) and serials (each invoice draws
from its rep's counter), against a warehouse holding 100,000 variants; compared with a bare psycopg
transaction doing the same row work (counter UPDATE … RETURNING, invoice and 5 line INSERTs, 5
inventory rows locked in order and updated, 5 movement INSERTs), the physical limit of the writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/invoice_bench.py \\
        [--clients 8] [--duration 10] [--workers 2] [--processes 4] [--variants 100000] [--tenant invoicebench]

Needs a migrated PostgreSQL database. Creates (once) the tenant, 8 reps (one per client: each rep
has its own counter, as in the field), a warehouse, a taxed product with `--variants` variants, each
with 1,000,000 units in stock put in through the ledger, and an API key. Each request sells qty 1 of
5 random variants. Checks afterwards: every answered invoice has a distinct serial, the projection
of every touched row equals the sum of its movements. Prints the table and writes it to
bench/results/invoices-<timestamp>.md.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run_bench import CpuMeter, Server, database_url, free_port, git_revision, machine  # noqa: E402
from bench.serial_bench import percentile  # noqa: E402

URL = "/v1/fullinvoices"
GOAL_PER_SECOND = 100
LINES = 5
STOCK = 1_000_000


# Setup ----------------------------------------------------------------------------------------
def prepare(namespace: str, variants: int, clients: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # this process only sets rows up; the server runs with DEBUG off
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connections, transaction

    from core import services
    from core.models import Tenant
    from sales import models as sm
    from sales.services import stock

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    reps = list(sm.Rep.objects.filter(tenant=tenant).order_by("pk"))
    for i in range(len(reps), clients):
        reps.append(
            sm.Rep.objects.create(tenant=tenant, name=f"Bench rep {i}", email=f"bench{i}@example.test", role="rep")
        )
    warehouse = sm.Warehouse.objects.filter(tenant=tenant).first() or sm.Warehouse.objects.create(
        tenant=tenant, name="Bench warehouse"
    )
    client = sm.Invoice._meta.get_field("client").related_model
    buyer = client.objects.filter(tenant=tenant).first() or client.objects.create(tenant=tenant, name="Bench client")
    tax = sm.Tax.objects.filter(tenant=tenant).first() or sm.Tax.objects.create(
        tenant=tenant, name="VAT 16", rate=Decimal(16), type="additive"
    )
    product = sm.Product.objects.filter(tenant=tenant).first()
    if product is None:
        category = sm.ProductCategory.objects.create(tenant=tenant, name="Bench category")
        product = sm.Product.objects.create(tenant=tenant, name="Bench product", category=category, sv_tax=tax)
    have = sm.Variant.objects.filter(tenant=tenant).count()
    batch = 5000
    while have < variants:
        n = min(batch, variants - have)
        sm.Variant.objects.bulk_create(
            [sm.Variant(tenant=tenant, product=product, name=f"V{have + i}", price=Decimal("3.250")) for i in range(n)]
        )
        have += n
        print(f"variants: {have:,}", file=sys.stderr)
    ids = list(sm.Variant.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)[:variants])
    stocked = set(
        sm.Inventory.objects.filter(tenant=tenant, warehouse=warehouse, quantity__gt=0).values_list(
            "variant_id", flat=True
        )
    )
    missing = [pk for pk in ids if pk not in stocked]
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        with transaction.atomic():
            stock.post_movements(
                tenant=tenant,
                lines=[
                    stock.StockLine(
                        warehouse_id=warehouse.pk, variant_id=pk, quantity=Decimal(STOCK), unit_cost=Decimal(1)
                    )
                    for pk in chunk
                ],
                document_type="adjust_inventory",
                document_id=uuid.uuid4(),
            )
        print(f"stocked: {start + len(chunk):,}", file=sys.stderr)
    analyze(database_url())
    _, raw_key = services.create_api_key(tenant=tenant, name="invoice-bench")
    setup = {
        "tenant": str(tenant.pk),
        "reps": [str(r.pk) for r in reps[:clients]],
        "warehouse": str(warehouse.pk),
        "client": str(buyer.pk),
        "product": str(product.pk),
        "variants": [str(pk) for pk in ids],
        "key": raw_key,
    }
    connections.close_all()
    return setup


TOUCHED = (
    "sales_inventory", "sales_stockmovement", "sales_invoice", "sales_invoiceitem", "sales_variant",
    "finance_invoiceserialcounter", "core_rowcount",
)  # fmt: skip


def analyze(url: str) -> None:
    """VACUUM ANALYZE the tables the bench writes. Without statistics (autovacuum off, or a table just
    filled) the planner takes the 100,000-row warehouse for a few rows and locks the 5 inventory rows
    through the (tenant, warehouse) index, filtering every row of the warehouse: 31 ms of CPU per
    invoice instead of 0.2 ms, which is what held the bare transaction at ~90/s."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {', '.join(TOUCHED)}")


# Load -----------------------------------------------------------------------------------------
def http_clients(port: int, setup: dict, threads: int, seconds: float, out, release) -> None:
    """One load process: `threads` clients, each a rep of its own, posting invoices until the time is up."""
    headers = {"Authorization": f"Bearer {setup['key']}", "Content-Type": "application/json"}
    start_at, stop_at = window(setup, seconds)
    lock = threading.Lock()
    serials, latencies, failures, last = [], [], [], [start_at]
    offset = setup.get("offset", 0)

    def client(index):
        rng = random.Random(index + offset * 1000)
        rep = setup["reps"][(offset + index) % len(setup["reps"])]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, times, bad = [], [], []
        wait_until(start_at)
        while time.time() < stop_at:
            items = [{"variant": v, "qty": 1} for v in rng.sample(setup["variants"], LINES)]
            body = json.dumps(
                {"client": setup["client"], "rep": rep, "warehouse": setup["warehouse"], "items": items}
            ).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", URL, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except OSError as exc:
                bad.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            times.append(time.perf_counter() - started)
            if response.status != 201:
                bad.append(f"{response.status}: {payload[:200]!r}")
                continue
            mine.append(json.loads(payload)["data"]["serial"])
        conn.close()
        with lock:
            serials.extend(mine)
            latencies.extend(times)
            failures.extend(bad)
            last.append(time.time())

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((serials, latencies, failures, max(last)))
    release.wait(60)


def window(setup: dict, seconds: float) -> tuple[float, float]:
    """The wall-clock window every load process measures in: it starts once all of them are up
    (`start_at`, set by run_load_split), so the processes' start-up is not counted as time."""
    start_at = setup.get("start_at") or time.time()
    return start_at, start_at + seconds


def wait_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 0.05))


BARE = {
    "counter": (
        "UPDATE finance_invoiceserialcounter SET current_serial = current_serial + 1, last_used_date = now(), "
        "updated_at = now(), version = version + 1 WHERE tenant_id = %s AND rep_id = %s AND warehouse_id = %s "
        "AND invoice_type = 'sales' RETURNING current_serial"
    ),
    "invoice": (
        "INSERT INTO sales_invoice (id, tenant_id, created_at, updated_at, version, integration_meta, serial, "
        "client_id, rep_id, warehouse_id, issue_date, subtotal, discount_amount, tax_amount, total, notes, kind, "
        "status, is_void) VALUES (%s, %s, now(), now(), 0, '{}', %s, %s, %s, %s, now(), 16.25, 0, 2.6, 18.85, '', "
        "'invoice', 'unpaid', false)"
    ),
    "line": (
        "INSERT INTO sales_invoiceitem (invoice_id, position, variant_id, product_id, factor, qty, base_unit_qty, "
        "listed_price, price, gross, discount_value, discounted_price, tax_rate, tax_type, tax_amount, line_total, "
        "note) VALUES (%s, %s, %s, %s, 1, 1, 1, 3.25, 3.25, 3.25, 0, 3.25, 16, 'additive', 0.52, 3.77, '')"
    ),
    "lock": (
        "SELECT id, quantity FROM sales_inventory WHERE tenant_id = %s AND warehouse_id = %s "
        "AND variant_id = ANY(%s) ORDER BY warehouse_id, variant_id FOR UPDATE"
    ),
    "update": "UPDATE sales_inventory SET quantity = quantity - 1, updated_at = now() WHERE id = %s",
    "movement": (
        "INSERT INTO sales_stockmovement (id, tenant_id, created_at, updated_at, version, integration_meta, "
        "warehouse_id, variant_id, product_id, quantity, unit_cost, document_type, document_id) "
        "VALUES (%s, %s, now(), now(), 0, '{}', %s, %s, %s, -1, 1, 'invoice', %s)"
    ),
}


def bare_clients(url: str, setup: dict, threads: int, seconds: float, out, release) -> None:
    """One load process: `threads` psycopg connections doing each invoice's row work in a transaction."""
    import psycopg

    start_at, stop_at = window(setup, seconds)
    lock = threading.Lock()
    serials, latencies, last = [], [], [start_at]
    conns = [psycopg.connect(url) for _ in range(threads)]
    offset = setup.get("offset", 0)
    tenant, warehouse = setup["tenant"], setup["warehouse"]

    def client(index, conn):
        rng = random.Random(index + offset * 1000 + 7)
        rep = setup["reps"][(offset + index) % len(setup["reps"])]
        mine, times = [], []
        wait_until(start_at)
        while time.time() < stop_at:
            variants = sorted(rng.sample(setup["variants"], LINES))
            started = time.perf_counter()
            with conn.transaction():
                number = conn.execute(BARE["counter"], [tenant, rep, warehouse], prepare=True).fetchone()[0]
                invoice = uuid.uuid4()
                serial = f"BARE-{rep[-6:]}-{number}"
                conn.execute(BARE["invoice"], [invoice, tenant, serial, setup["client"], rep, warehouse], prepare=True)
                for position, variant in enumerate(variants):
                    conn.execute(BARE["line"], [invoice, position, variant, setup["product"]], prepare=True)
                rows = conn.execute(BARE["lock"], [tenant, warehouse, variants], prepare=True).fetchall()
                for row_id, _ in rows:
                    conn.execute(BARE["update"], [row_id], prepare=True)
                for variant in variants:
                    conn.execute(
                        BARE["movement"],
                        [uuid.uuid4(), tenant, warehouse, variant, setup["product"], invoice],
                        prepare=True,
                    )
            times.append(time.perf_counter() - started)
            mine.append(serial)
        with lock:
            serials.extend(mine)
            latencies.extend(times)
            last.append(time.time())

    workers = [threading.Thread(target=client, args=(i, conn)) for i, conn in enumerate(conns)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((serials, latencies, [], max(last)))
    release.wait(60)
    for conn in conns:
        conn.close()


def ledger_differences(url: str, setup: dict) -> int:
    """Rows of the bench warehouse whose quantity is not the sum of their movements."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM sales_inventory i LEFT JOIN (SELECT variant_id, sum(quantity) s FROM "
            "sales_stockmovement WHERE tenant_id = %s AND warehouse_id = %s GROUP BY variant_id) m "
            "ON m.variant_id = i.variant_id WHERE i.tenant_id = %s AND i.warehouse_id = %s "
            "AND i.quantity <> coalesce(m.s, 0)",
            [setup["tenant"], setup["warehouse"], setup["tenant"], setup["warehouse"]],
        ).fetchone()[0]


# Main -----------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="invoicebench")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (at most 120)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are split over")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--quiet", type=float, default=0.0, help="before each row, wait until other processes use less than this "
        "share of the machine (0..1; 0: do not wait)",
    )  # fmt: skip
    parser.add_argument("--quiet-timeout", type=float, default=120.0, help="longest wait for --quiet, seconds")
    args = parser.parse_args(argv)
    duration = min(max(args.duration, 1.0), 120.0)

    url = database_url()
    setup = prepare(args.tenant, args.variants, args.clients)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url)
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    server = Server(
        "app", "config.wsgi:application", free_port(), args.workers, env, results_dir / f"invoices-{stamp}-app.log"
    )
    # The load processes are children of this process: their CPU is ours, not the other sessions'.
    meter = CpuMeter(urllib.parse.urlsplit(url).path.lstrip("/"), [server], roots=[os.getpid()])
    rows = []
    # run_load gives every process the same args: each process's clients take their own reps
    # through `offset` (the process index is not known to it), so split the reps by process.
    per_process = [{**setup, "offset": i * (args.clients // args.processes or 1)} for i in range(args.processes)]
    try:
        server.wait_ready("/healthz", {})
        run_load_split(http_clients, server.port, per_process[:1], min(args.clients, 2), 1, args.warmup, meter)
        if args.quiet:
            meter.wait_quiet(args.quiet, args.quiet_timeout)
        serials, latencies, failures, elapsed, others = run_load_split(
            http_clients, server.port, per_process, args.clients, args.processes, duration, meter
        )
        rows.append(("app: POST /fullinvoices (HTTP, gunicorn)", serials, latencies, failures, elapsed, others))
        if args.quiet:
            meter.wait_quiet(args.quiet, args.quiet_timeout)
        bare = run_load_split(bare_clients, url, per_process, args.clients, args.processes, duration, meter)
        rows.append(("bare: the same rows in one psycopg transaction", *bare))
    finally:
        server.stop()
    differences = ledger_differences(url, setup)
    load_after = os.getloadavg()

    lines = [
        f"# invoice benchmark {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {machine()}",
        f"- app revision: {git_revision()}; gunicorn {args.workers} sync workers; {args.clients} clients over "
        f"{args.processes} load processes; {duration:g} s per row; {LINES} lines per invoice; "
        f"{len(setup['variants']):,} variants in stock in the warehouse",
        f"- load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{', '.join(f'{x:.2f}' for x in load_after)}; others' CPU below: the share of both cores other "
        "processes used during the row",
        "",
        "| what | invoices | invoices/s | p50 ms | p95 ms | duplicate serials | failed | others' CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rates, failed = [], False
    for label, serials, latencies, failures, elapsed, others in rows:
        rate = len(serials) / elapsed if elapsed else 0.0
        rates.append(rate)
        duplicates = len(serials) - len(set(serials))
        lines.append(
            f"| {label} | {len(serials):,} | {rate:,.1f} | {percentile(latencies, 50):.1f} | "
            f"{percentile(latencies, 95):.1f} | {duplicates} | {len(failures)} | {others:.0%} |"
        )
        failed |= bool(duplicates or failures)
        for failure in failures[:5]:
            lines.append(f"  - {label}: {failure}")
    ratio = rates[0] / rates[1] if len(rates) == 2 and rates[1] else 0.0
    lines += [
        "",
        f"ledger rows differing from their movements: {differences}",
        f"app/bare: {ratio:.2f}; goal ≥ {GOAL_PER_SECOND} invoices/s: "
        + ("met" if rates and rates[0] >= GOAL_PER_SECOND and not failed and not differences else "NOT met"),
    ]
    text = "\n".join(lines)
    print(text)
    (results_dir / f"invoices-{stamp}.md").write_text(text + "\n")
    if failed or differences:
        raise SystemExit("duplicate serials, failed requests or ledger differences: see above")


def run_load_split(target, first_arg, per_process, clients, processes, seconds, meter, spawn_margin=4.0):
    """run_load with each process given its own setup (its reps). The processes start measuring
    together at a moment `spawn_margin` s ahead (their start-up, imports and connections are not
    counted as time); the time is from then to the last answer."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    out, release = context.Queue(), context.Event()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    offsets, at = [], 0
    for n in shares:
        offsets.append(at)
        at += n
    start_at = time.time() + spawn_margin
    procs = [
        context.Process(
            target=target,
            args=(first_arg, {**per_process[i], "offset": offsets[i], "start_at": start_at}, n, seconds, out, release),
        )
        for i, n in enumerate(shares)
        if n
    ]
    for proc in procs:
        proc.start()
    wait_until(start_at)
    meter.start()
    serials, latencies, failures, ends = [], [], [], []
    for _ in procs:
        got_serials, got_latencies, got_failures, ended = out.get()
        serials += got_serials
        latencies += got_latencies
        failures += got_failures
        ends.append(ended)
    elapsed = max(ends) - start_at
    others = meter.others_share()
    release.set()
    for proc in procs:
        proc.join()
    return serials, latencies, failures, elapsed, others


if __name__ == "__main__":
    main()
