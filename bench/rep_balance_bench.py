"""Measure `GET /v1/rep-balance-summary?rep=<id>` for a rep with 50,000 invoices, under gunicorn
(sync workers, DEBUG off), one client at a time: p50/p95/p99 against the bare statement (the
service's grouped SQL through psycopg, no Django, no HTTP), the physical limit. Goal: p95 < 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/rep_balance_bench.py \\
        [--invoices 50000] [--requests 300] [--tenant repbalbench]

Needs a migrated PostgreSQL database. Creates (once) the tenant, a client, a warehouse, the rep and
its invoices (COPY-free bulk inserts, a few seconds): 60 % paid in part or whole by a payment with
its allocation, 5 % void, 2 % with a return, and another rep's 5,000 invoices beside them. The
server runs with EXPENSIVE_QUERY_RATE unset (the report counts as an expensive query: the company
throttle would otherwise answer 429 to a benchmark's loop). Prints the table and writes it to
bench/results/rep-balance-<timestamp>.md; exits non-zero on a failed request or a wrong total.
"""

import argparse
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run_bench import Server, database_url, free_port, get, git_revision, machine  # noqa: E402


def prepare(namespace: str, invoices: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connections, transaction

    from clients.models import Client
    from core import services
    from core.ids import uuid7
    from core.models import Tenant
    from finance.models import Payment, PaymentAllocation
    from sales.models import Invoice, Rep, Warehouse

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    rep = Rep.objects.filter(tenant=tenant, email="bench@example.test").first()
    if rep is None or Invoice.objects.filter(tenant=tenant, rep=rep).count() != invoices:
        with transaction.atomic():
            PaymentAllocation.objects.filter(tenant=tenant)._raw_delete("default")
            Payment.objects.filter(tenant=tenant).delete()
            Invoice.objects.filter(tenant=tenant, kind="return").delete()
            Invoice.objects.filter(tenant=tenant).delete()
            rep = rep or Rep.objects.create(
                tenant=tenant, name="Bench rep", email="bench@example.test", role="rep", password="!"
            )
            other = Rep.objects.filter(tenant=tenant, email="other@example.test").first() or Rep.objects.create(
                tenant=tenant, name="Other rep", email="other@example.test", role="rep", password="!"
            )
            client = Client.objects.filter(tenant=tenant).first() or Client.objects.create(tenant=tenant, name="C")
            warehouse = Warehouse.objects.filter(tenant=tenant).first() or Warehouse.objects.create(
                tenant=tenant, name="Bench warehouse"
            )
            now = dt.datetime.now(dt.UTC)
            rows, payments, allocations, returns = [], [], [], []
            for n in range(invoices + 5000):
                owner = rep if n < invoices else other
                total = Decimal(100 + n % 400)
                void = n % 20 == 7
                row = Invoice(
                    id=uuid7(), tenant=tenant, serial=f"RB-{n:07d}", client=client, rep=owner, warehouse=warehouse,
                    total=total, subtotal=total, is_void=void, issue_date=now,
                )  # fmt: skip
                rows.append(row)
                if not void and n % 10 < 6:
                    paid = total if n % 10 < 3 else (total / 2).quantize(Decimal("0.01"))
                    payment = Payment(id=uuid7(), tenant=tenant, client=client, amount=paid, allocated=paid, date=now)
                    payments.append(payment)
                    allocations.append(
                        PaymentAllocation(id=uuid7(), tenant=tenant, payment=payment, invoice=row, amount=paid)
                    )
                    row.status = "paid" if paid == total else "partially_paid"
                if not void and n % 50 == 11:
                    returns.append(
                        Invoice(
                            id=uuid7(), tenant=tenant, serial=f"RB-R-{n:07d}", client=client, rep=owner,
                            warehouse=warehouse, kind="return", returned_from=row, total=Decimal(30), issue_date=now,
                        )
                    )  # fmt: skip
            Invoice.objects.bulk_create(rows, batch_size=5000)
            Invoice.objects.bulk_create(returns, batch_size=5000)
            Payment.objects.bulk_create(payments, batch_size=5000)
            PaymentAllocation.objects.bulk_create(allocations, batch_size=5000)
        with connections["default"].cursor() as cursor:
            cursor.execute("ANALYZE sales_invoice; ANALYZE finance_paymentallocation;")
    _, raw_key = services.create_api_key(tenant=tenant, name=f"rep-balance-bench-{secrets.token_hex(3)}")
    from finance.services.rep_balances import outstanding_by_rep

    expected = outstanding_by_rep(tenant=tenant, rep_ids=[rep.pk])[rep.pk]
    connections.close_all()
    return {"tenant": str(tenant.pk), "rep": str(rep.pk), "key": raw_key, "expected": float(expected)}


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--tenant", default="repbalbench")
    args = parser.parse_args(argv)
    url = database_url()
    started = time.monotonic()
    setup = prepare(args.tenant, args.invoices)
    print(f"data ready in {time.monotonic() - started:.1f} s; expected outstanding {setup['expected']:.2f}")

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "EXPENSIVE_QUERY_RATE": "",
        "EXPENSIVE_QUERY_CONCURRENCY": "0",
    }
    port = free_port()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    server = Server("app", "config.wsgi", port, 2, env, results / "rep-balance-server.log")
    path = f"/v1/rep-balance-summary?rep={setup['rep']}"
    headers = {"Authorization": f"Bearer {setup['key']}"}
    failures = 0
    try:
        server.wait_ready(path, headers, timeout=60)
        status, body = get(port, path, headers)
        got = json.loads(body)["data"][0]["total_outstanding_balance_of_invoices_created_by_rep"]
        if status != 200 or abs(got - setup["expected"]) > 0.005:
            print(f"wrong answer: {status} {got} != {setup['expected']}")
            return 1
        for _ in range(20):
            get(port, path, headers)
        app = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            status, _ = get(port, path, headers)
            app.append((time.perf_counter() - t0) * 1000)
            failures += status != 200
    finally:
        server.stop()

    import psycopg

    from finance.services.rep_balances import SQL

    bare_sql = SQL.format(invoice="sales_invoice", allocation="finance_paymentallocation", reps="%s")
    tenant, rep = uuid.UUID(setup["tenant"]), uuid.UUID(setup["rep"])
    params = [tenant, rep, tenant, rep, tenant, rep]
    bare = []
    with psycopg.connect(url) as conn:
        for _ in range(20):
            conn.execute(bare_sql, params).fetchall()
        for _ in range(args.requests):
            t0 = time.perf_counter()
            conn.execute(bare_sql, params).fetchall()
            bare.append((time.perf_counter() - t0) * 1000)

    a, b = percentiles(app), percentiles(bare)
    lines = [
        f"# rep-balance-summary, one rep with {args.invoices:,} invoices (+5,000 of another rep)",
        "",
        f"{machine()}; revision {git_revision()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; c=1, "
        f"{args.requests} requests each",
        "",
        "| what | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|",
        f"| GET /v1/rep-balance-summary (gunicorn, 2 sync workers) | {a['p50']:.1f} | {a['p95']:.1f} | "
        f"{a['p99']:.1f} | {a['mean']:.1f} |",
        f"| bare SQL (psycopg, the same statement) | {b['p50']:.1f} | {b['p95']:.1f} | {b['p99']:.1f} | "
        f"{b['mean']:.1f} |",
        f"| ratio app / bare | {a['p50'] / b['p50']:.2f}x | {a['p95'] / b['p95']:.2f}x | | |",
        "",
        f"Goal p95 < 50 ms: {'met' if a['p95'] < 50 else 'NOT met'}; failed requests: {failures}.",
    ]
    text = "\n".join(lines)
    print(text)
    (results / f"rep-balance-{dt.datetime.now():%Y%m%d-%H%M%S}.md").write_text(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
