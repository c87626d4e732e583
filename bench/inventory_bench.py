"""Measure `GET /v1/inventory?warehouse=<id>` at 1,000,000 projection rows under gunicorn, against
the bare SQL the page needs (the physical limit).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/inventory_bench.py \\
        [--rows 1000000] [--warehouses 10] [--duration 10] [--concurrency 1] [--workers 2] [--tenant invbench]

Needs a migrated PostgreSQL database. Loads (once, when the tenant holds fewer rows) a catalogue of
rows / warehouses variants (bench/load_catalogue.py, three variants per product) and the projection
rows of every (warehouse, variant) with one `INSERT … SELECT` over the cross product (quantities
from a hash of the ids, some at zero), then `VACUUM (ANALYZE)`. Starts `gunicorn config.wsgi`
(sync workers, DEBUG off), warms up, then runs `--concurrency` keep-alive clients for `--duration`
seconds on three requests: the first page of one warehouse (100,000 rows: its count and 25 rows), a
deep page (page 2000) and a warehouse + zero=false filter. The bare limit is the same two
statements (COUNT and the page, with its columns) run over psycopg in a loop for as long.
Prints the table (p50/p95 and the app/raw ratio) and writes it to bench/results/inventory-<timestamp>.md.
The goal: p95 < 50 ms at c=1 for the first page.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run_bench import Server, database_url, free_port, get, git_revision, machine, run_python  # noqa: E402

GOAL_P95_MS = 50


def prepare(namespace: str, rows: int, warehouses: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # this process only sets rows up; the server runs with DEBUG off
    import django

    django.setup()
    from django.db import connection, connections

    from core import services
    from core.models import Tenant
    from sales.models import Inventory, Variant, Warehouse

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    have = Inventory.objects.filter(tenant=tenant).count()
    if have < rows:
        started = time.perf_counter()
        Inventory.objects.filter(tenant=tenant).delete()
        per_warehouse = rows // warehouses
        if Variant.objects.filter(tenant=tenant).count() < per_warehouse:
            from bench.load_catalogue import load

            load(tenant, products=(per_warehouse + 2) // 3)
        while Warehouse.objects.filter(tenant=tenant).count() < warehouses:
            Warehouse.objects.create(tenant=tenant, name=f"Bench warehouse {Warehouse.objects.count():02d}")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")  # a bulk load, not a request
            cursor.execute(
                """
                INSERT INTO sales_inventory (id, tenant_id, created_at, updated_at, version, integration_meta,
                    warehouse_id, variant_id, product_id, quantity, reserved_quantity, cost)
                SELECT gen_random_uuid(), %s, now(), now(), 0, '{}'::jsonb, w.id, v.id, v.product_id,
                       CASE WHEN abs(hashtext(v.id::text || w.id::text)) %% 10 = 0 THEN 0
                            ELSE abs(hashtext(w.id::text || v.id::text)) %% 500 END,
                       0, 1.25
                FROM (SELECT id FROM sales_warehouse WHERE tenant_id = %s ORDER BY id LIMIT %s) w
                CROSS JOIN (SELECT id, product_id FROM sales_variant WHERE tenant_id = %s ORDER BY id LIMIT %s) v
                """,
                [tenant.pk, tenant.pk, warehouses, tenant.pk, per_warehouse],
            )
            inserted = cursor.rowcount
        connection.cursor().execute("VACUUM (ANALYZE) sales_inventory")
        print(f"loaded {inserted:,} inventory rows in {time.perf_counter() - started:.1f} s")
    warehouse = Warehouse.objects.filter(tenant=tenant).order_by("id").first()
    total = Inventory.objects.filter(tenant=tenant).count()
    in_warehouse = Inventory.objects.filter(tenant=tenant, warehouse=warehouse).count()
    _, raw_key = services.create_api_key(tenant=tenant, name="inventory-bench")
    connections.close_all()
    return {"tenant": str(tenant.pk), "warehouse": str(warehouse.pk), "key": raw_key, "total": total,
            "in_warehouse": in_warehouse}  # fmt: skip


PAGE_SQL = (
    "SELECT id, created_at, updated_at, warehouse_id, product_id, variant_id, quantity, reserved_quantity, "
    "quantity - reserved_quantity, cost FROM sales_inventory WHERE tenant_id = %s AND warehouse_id = %s{extra} "
    "ORDER BY id LIMIT 25 OFFSET %s"
)
COUNT_SQL = "SELECT COUNT(*) FROM sales_inventory WHERE tenant_id = %s AND warehouse_id = %s{extra}"


def run_raw(url, setup, offset, extra, duration) -> tuple[int, float, float, float]:
    import psycopg

    latencies = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute("SET jit = off")
        params = [setup["tenant"], setup["warehouse"]]
        page_sql, count_sql = PAGE_SQL.format(extra=extra), COUNT_SQL.format(extra=extra)
        stop_at = time.perf_counter() + duration
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            conn.execute(count_sql, params).fetchone()
            conn.execute(page_sql, [*params, offset]).fetchall()
            latencies.append(time.perf_counter() - started)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000

    return len(latencies), pct(50), pct(95), len(latencies) / duration


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="invbench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--warehouses", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    url = database_url()
    setup = prepare(args.tenant, args.rows, args.warehouses)
    print(f"{setup['total']:,} inventory rows in tenant '{args.tenant}', {setup['in_warehouse']:,} in the warehouse")

    import secrets

    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url)
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    port = free_port()
    server = Server("app", "config.wsgi", port, args.workers, env, results / f"inventory-{stamp}-app.log")
    headers = {"Authorization": f"Bearer {setup['key']}"}
    base = f"/v1/inventory?warehouse={setup['warehouse']}"
    scenarios = [
        ("first", base, 0, ""),
        ("page2000", f"{base}&page=2000", 25 * 1999, ""),
        ("nonzero", f"{base}&zero=false", 0, " AND NOT (quantity = 0)"),
    ]
    table = []
    try:
        server.wait_ready(base, headers, timeout=60)
        for name, path, offset, extra in scenarios:
            status, body = get(port, path, headers)
            if status != 200:
                raise SystemExit(f"{name}: {status} {body[:300]!r}")
            run_python(port, path, headers, args.concurrency, 2)  # warm-up
            app = run_python(port, path, headers, args.concurrency, args.duration)
            raw_n, raw_p50, raw_p95, raw_rps = run_raw(url, setup, offset, extra, args.duration)
            table.append((name, app, raw_p50, raw_p95, raw_rps))
            print(
                f"{name:9} c={args.concurrency} app {app.rps:6.1f} req/s p50 {app.p50_ms:6.1f} ms p95 "
                f"{app.p95_ms:6.1f} ms (non-200: {app.non200}) | raw SQL {raw_rps:6.1f}/s p50 {raw_p50:6.2f} ms "
                f"p95 {raw_p95:6.2f} ms | app/raw p95 {app.p95_ms / raw_p95:.1f}x"
            )
    finally:
        server.stop()
    first = table[0][1]
    verdict = "met" if first.p95_ms < GOAL_P95_MS else "NOT met"
    lines = [
        f"# GET /v1/inventory?warehouse=, {setup['total']:,} rows ({setup['in_warehouse']:,} in the warehouse)",
        "",
        f"{machine()}; revision {git_revision()}; {args.workers} sync workers; python load generator; "
        f"{args.duration:g} s per cell",
        "",
        "| scenario | c | app req/s | app p50 ms | app p95 ms | raw SQL p50 ms | raw SQL p95 ms | app/raw p95 |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {n} | {args.concurrency} | {a.rps:.1f} | {a.p50_ms:.1f} | {a.p95_ms:.1f} | {rp50:.2f} | {rp95:.2f} "
            f"| {a.p95_ms / rp95:.1f} |"
            for n, a, rp50, rp95, _ in table
        ),
        "",
        f"- goal, first page p95 < {GOAL_P95_MS} ms at c=1: {first.p95_ms:.1f} ms, {verdict}",
    ]
    report = "\n".join(lines) + "\n"
    (results / f"inventory-{stamp}.md").write_text(report)
    print(report)
    if any(a.non200 for _, a, *_ in table):
        raise SystemExit("some answers were not 200")


if __name__ == "__main__":
    main()
