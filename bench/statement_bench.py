"""Measure `GET /v1/client/{id}/statement` for a client with 100,000 ledger entries under gunicorn,
against the bare SQL the page needs (the physical limit).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/statement_bench.py \\
        [--entries 100000] [--duration 10] [--concurrency 1] [--workers 2] [--tenant stmtbench]

Needs a migrated PostgreSQL database. Loads (once, when the client holds fewer entries) one client
and its entries with one `INSERT … SELECT generate_series` (one entry every ~15 minutes over about
three years, signed amounts), sets its account's balance to their sum, then `VACUUM (ANALYZE)`.
Starts `gunicorn config.wsgi` (sync workers, DEBUG off), warms up, then runs `--concurrency`
keep-alive clients for `--duration` seconds on: one page of 100 entries from the middle of the
history with its opening balance (`from=` the middle day: the opening balance sums ~50,000
entries), the first page of the whole history (no bounds) and a one-month window. The bare limit is
the same statements (the aggregate and the page) run over psycopg in a loop for as long. Prints the
table (p50/p95 and the app/raw ratio) and writes it to bench/results/statement-<timestamp>.md.
The goal: p95 < 50 ms at c=1 for the middle page with its opening balance.
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
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
STEP_MINUTES = 15


def prepare(namespace: str, entries: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # this process only sets rows up; the server runs with DEBUG off
    import django

    django.setup()
    from django.db import connection, connections
    from django.db.models import Sum

    from clients.models import Client
    from core import services
    from core.models import Tenant
    from finance.models import ClientAccount, ClientLedgerEntry

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    client = Client.objects.filter(tenant=tenant).order_by("id").first()
    if client is None:
        client = Client.objects.create(tenant=tenant, name="Statement bench client")
    have = ClientLedgerEntry.objects.filter(tenant=tenant, client=client).count()
    if have < entries:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")  # a bulk load, not a request
            cursor.execute("DELETE FROM finance_clientledgerentry WHERE tenant_id = %s", [tenant.pk])
            cursor.execute(
                """
                INSERT INTO finance_clientledgerentry (id, tenant_id, created_at, updated_at, version,
                    integration_meta, client_id, amount, document_type, document_id, occurred_at)
                SELECT gen_random_uuid(), %s, now(), now(), 0, '{}'::jsonb, %s,
                       CASE WHEN n %% 3 = 0 THEN (n %% 97) + 10.25 ELSE -((n %% 53) + 5.5) END,
                       CASE WHEN n %% 3 = 0 THEN 'payment' ELSE 'invoice' END,
                       gen_random_uuid(), %s + make_interval(mins => n * %s)
                FROM generate_series(1, %s) AS n
                """,
                [tenant.pk, client.pk, START, STEP_MINUTES, entries],
            )
        total = ClientLedgerEntry.objects.filter(tenant=tenant, client=client).aggregate(s=Sum("amount"))["s"]
        ClientAccount.objects.update_or_create(tenant=tenant, client=client, defaults={"balance": total})
        connection.cursor().execute("VACUUM (ANALYZE) finance_clientledgerentry")
        print(f"loaded {entries:,} ledger entries in {time.perf_counter() - started:.1f} s")
    count = ClientLedgerEntry.objects.filter(tenant=tenant, client=client).count()
    _, raw_key = services.create_api_key(tenant=tenant, name="statement-bench")
    connections.close_all()
    middle = (START + dt.timedelta(minutes=STEP_MINUTES * count // 2)).date()
    return {"tenant": str(tenant.pk), "client": str(client.pk), "key": raw_key, "count": count, "middle": middle}


AGG_SQL = (
    "SELECT SUM(amount) FILTER (WHERE occurred_at < %(lower)s), SUM(amount) FILTER (WHERE occurred_at >= %(lower)s), "
    "COUNT(id) FILTER (WHERE occurred_at >= %(lower)s) FROM finance_clientledgerentry "
    "WHERE tenant_id = %(tenant)s AND client_id = %(client)s AND occurred_at < %(upper)s"
)
PAGE_SQL = (
    "SELECT id, occurred_at, document_type, document_id, amount FROM finance_clientledgerentry "
    "WHERE tenant_id = %(tenant)s AND client_id = %(client)s AND occurred_at >= %(lower)s AND occurred_at < %(upper)s "
    "ORDER BY occurred_at, id LIMIT 100"
)


def run_raw(url, setup, lower, upper, duration) -> tuple[int, float, float, float]:
    import psycopg

    latencies = []
    params = {"tenant": setup["tenant"], "client": setup["client"], "lower": lower, "upper": upper}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")
        stop_at = time.perf_counter() + duration
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            conn.execute(AGG_SQL, params).fetchone()
            conn.execute(PAGE_SQL, params).fetchall()
            latencies.append(time.perf_counter() - started)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000

    return len(latencies), pct(50), pct(95), len(latencies) / duration


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="stmtbench")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    url = database_url()
    setup = prepare(args.tenant, args.entries)
    print(f"{setup['count']:,} ledger entries for client {setup['client']} in tenant '{args.tenant}'")

    import secrets

    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url, SECURE_SSL_REDIRECT="0")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    port = free_port()
    server = Server("app", "config.wsgi", port, args.workers, env, results / f"statement-{stamp}-app.log")
    headers = {"Authorization": f"Bearer {setup['key']}"}
    base = f"/v1/client/{setup['client']}/statement"
    middle = setup["middle"]
    month_end = middle + dt.timedelta(days=30)

    def day_start(day):
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)

    far = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    scenarios = [
        ("middle", f"{base}?from={middle}&per_page=100", day_start(middle), far),
        ("whole", f"{base}?per_page=100", dt.datetime(1970, 1, 1, tzinfo=dt.UTC), far),
        ("month", f"{base}?from={middle}&to={month_end}&per_page=100", day_start(middle),
         day_start(month_end + dt.timedelta(days=1))),
    ]  # fmt: skip
    table = []
    try:
        server.wait_ready(base, headers, timeout=60)
        for name, path, lower, upper in scenarios:
            status, body = get(port, path, headers)
            if status != 200:
                raise SystemExit(f"{name}: {status} {body[:300]!r}")
            run_python(port, path, headers, args.concurrency, 2)  # warm-up
            app = run_python(port, path, headers, args.concurrency, args.duration)
            raw_n, raw_p50, raw_p95, raw_rps = run_raw(url, setup, lower, upper, args.duration)
            table.append((name, app, raw_p50, raw_p95, raw_rps))
            print(
                f"{name:7} c={args.concurrency} app {app.rps:6.1f} req/s p50 {app.p50_ms:6.1f} ms p95 "
                f"{app.p95_ms:6.1f} ms (non-200: {app.non200}) | raw SQL {raw_rps:6.1f}/s p50 {raw_p50:6.2f} ms "
                f"p95 {raw_p95:6.2f} ms | app/raw p95 {app.p95_ms / raw_p95:.1f}x"
            )
    finally:
        server.stop()
    first = table[0][1]
    verdict = "met" if first.p95_ms < GOAL_P95_MS else "NOT met"
    lines = [
        f"# GET /v1/client/{{id}}/statement, {setup['count']:,} ledger entries for the client",
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
        f"- goal, one page of 100 with its opening balance (middle) p95 < {GOAL_P95_MS} ms at c=1: "
        f"{first.p95_ms:.1f} ms, {verdict}",
    ]
    report = "\n".join(lines) + "\n"
    (results / f"statement-{stamp}.md").write_text(report)
    print(report)
    if any(a.non200 for _, a, *_ in table):
        raise SystemExit("some answers were not 200")


if __name__ == "__main__":
    main()
