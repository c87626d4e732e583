"""Measure `POST /v1/payments` with allocation under gunicorn: payments per second at 8 concurrent
clients (each collecting from its own client, whose oldest open invoice every payment pays in
part), against the same writes as bare SQL over psycopg (the physical limit).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/payment_bench.py \\
        [--clients 8] [--invoices 300] [--duration 10] [--workers 2] [--processes 4] [--tenant paybench]

Needs a migrated PostgreSQL database. Creates (once) the tenant, a rep, a warehouse, a product with
stock, `2 × --clients` clients and `--invoices` invoices of 10.00 for each, issued through the
invoice service (the ledger posts them). Starts `gunicorn config.wsgi` (sync workers, DEBUG off),
warms up, then runs the clients for `--duration` seconds (`--processes` load processes): each POSTs
payments of 3.00 for its client, allocated by the server to the client's oldest open invoice. The
bare limit runs, on the other half of the clients, the statements one payment needs (lock the
account, lock and read the oldest open invoice and what is paid on it, insert the payment, its
allocation and the ledger entry, update the invoice's status and the balance) in one transaction
per payment, for as long. Afterwards `check_ledgers` must find no difference. Prints the table and
writes it to bench/results/payments-<timestamp>.md.
"""

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run_bench import Server, database_url, free_port, git_revision, machine  # noqa: E402

PAYMENTS = "/v1/payments"
AMOUNT = "3.00"


def prepare(namespace: str, clients: int, invoices: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # this process only sets rows up; the server runs with DEBUG off
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connections

    from clients.models import Client
    from core import services
    from core.models import Tenant
    from sales import models as sm
    from sales.services import stock
    from sales.services.invoices import issue_invoice

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    rep = sm.Rep.objects.filter(tenant=tenant).first() or sm.Rep.objects.create(
        tenant=tenant, name="Bench rep", email="paybench@example.test", role="rep", password="!"
    )
    warehouse = sm.Warehouse.objects.filter(tenant=tenant).first() or sm.Warehouse.objects.create(
        tenant=tenant, name="Bench warehouse"
    )
    variant = sm.Variant.objects.filter(tenant=tenant).first()
    if variant is None:
        category = sm.ProductCategory.objects.create(tenant=tenant, name="Bench category")
        product = sm.Product.objects.create(tenant=tenant, name="Bench product", category=category)
        variant = sm.Variant.objects.create(tenant=tenant, product=product, name="Bench variant", price=Decimal(10))
        stock.post_movements(
            tenant=tenant,
            lines=[stock.StockLine(warehouse.pk, variant.pk, Decimal(10**7), Decimal(1))],
            document_type="adjust_inventory",
            document_id=uuid.uuid4(),
        )
    rows = list(Client.objects.filter(tenant=tenant).order_by("id")[: 2 * clients])
    while len(rows) < 2 * clients:
        rows.append(Client.objects.create(tenant=tenant, name=f"Payment bench client {len(rows):02d}"))
    started = time.perf_counter()
    made = 0
    for client in rows:
        have = sm.Invoice.objects.filter(tenant=tenant, client=client, kind="invoice").exclude(status="paid").count()
        for _ in range(invoices - have):
            issue_invoice(
                tenant=tenant,
                data={"client": client, "rep": rep, "warehouse": warehouse,
                      "items": [{"variant": str(variant.pk), "qty": 1}]},
            )  # fmt: skip
            made += 1
    if made:
        print(f"issued {made:,} invoices in {time.perf_counter() - started:.1f} s")
    _, raw_key = services.create_api_key(tenant=tenant, name="payment-bench")
    connections.close_all()
    ids = [str(c.pk) for c in rows]
    return {"tenant": str(tenant.pk), "rep": str(rep.pk), "key": raw_key, "app": ids[:clients], "raw": ids[clients:]}


# Load -----------------------------------------------------------------------------------------
def http_clients(port: int, key: str, rep: str, client_ids: list, seconds: float, out, release) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies, failures, consumed = [], [], []

    def client(client_id):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps({"client": client_id, "rep": rep, "amount": float(AMOUNT), "paymentMethod": "cash"})
        times, bad, used = [], [], 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("POST", PAYMENTS, body=body, headers=headers)
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
            used += json.loads(payload)["data"]["consumption"]["status"] == "consumed"
        conn.close()
        with lock:
            latencies.extend(times)
            failures.extend(bad)
            consumed.append(used)

    workers = [threading.Thread(target=client, args=(c,)) for c in client_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((latencies, failures, sum(consumed)))
    release.wait(60)


BARE = {
    "account": "SELECT id, balance FROM finance_clientaccount WHERE tenant_id = %s AND client_id = %s FOR UPDATE",
    "invoice": (
        "SELECT id, total FROM sales_invoice WHERE tenant_id = %s AND client_id = %s AND kind = 'invoice' "
        "AND NOT is_void AND status <> 'paid' ORDER BY issue_date, id LIMIT 1 FOR UPDATE"
    ),
    "paid": "SELECT COALESCE(SUM(amount), 0) FROM finance_paymentallocation WHERE tenant_id = %s AND invoice_id = %s",
    "payment": (
        "INSERT INTO finance_payment (id, tenant_id, created_at, updated_at, version, integration_meta, client_id, "
        "rep_id, amount, payment_method, reference, description, date, allocated) "
        "VALUES (%s, %s, now(), now(), 0, '{}', %s, %s, %s, 'cash', '', '', now(), %s)"
    ),
    "allocation": (
        "INSERT INTO finance_paymentallocation (id, tenant_id, created_at, updated_at, version, integration_meta, "
        "payment_id, invoice_id, amount) VALUES (%s, %s, now(), now(), 0, '{}', %s, %s, %s)"
    ),
    "status": "UPDATE sales_invoice SET status = %s, updated_at = now(), version = version + 1 WHERE id = %s",
    "entry": (
        "INSERT INTO finance_clientledgerentry (id, tenant_id, created_at, updated_at, version, integration_meta, "
        "client_id, amount, document_type, document_id, occurred_at) "
        "VALUES (%s, %s, now(), now(), 0, '{}', %s, %s, 'payment', %s, now())"
    ),
    "balance": "UPDATE finance_clientaccount SET balance = balance + %s, updated_at = now(), version = version + 1 "
    "WHERE id = %s",
}


def bare_clients(url: str, tenant: str, rep: str, client_ids: list, seconds: float, out, release) -> None:
    from decimal import Decimal

    import psycopg

    amount = Decimal(AMOUNT)
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies = []

    def client(client_id):
        times = []
        with psycopg.connect(url) as conn:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                with conn.transaction():
                    account_id, _ = conn.execute(BARE["account"], [tenant, client_id], prepare=True).fetchone()
                    invoice = conn.execute(BARE["invoice"], [tenant, client_id], prepare=True).fetchone()
                    share = Decimal(0)
                    if invoice:
                        paid = conn.execute(BARE["paid"], [tenant, invoice[0]], prepare=True).fetchone()[0]
                        share = min(amount, invoice[1] - paid)
                    payment_id = uuid.uuid4()
                    conn.execute(BARE["payment"], [payment_id, tenant, client_id, rep, amount, share], prepare=True)
                    if share > 0:
                        conn.execute(
                            BARE["allocation"], [uuid.uuid4(), tenant, payment_id, invoice[0], share], prepare=True
                        )
                        status = "paid" if paid + share >= invoice[1] else "partially_paid"
                        conn.execute(BARE["status"], [status, invoice[0]], prepare=True)
                    conn.execute(BARE["entry"], [uuid.uuid4(), tenant, client_id, amount, payment_id], prepare=True)
                    conn.execute(BARE["balance"], [amount, account_id], prepare=True)
                times.append(time.perf_counter() - started)
        with lock:
            latencies.extend(times)

    workers = [threading.Thread(target=client, args=(c,)) for c in client_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((latencies, [], 0))
    release.wait(60)


def run_load(target, args_of, client_ids: list, processes: int, seconds: float) -> tuple:
    context = multiprocessing.get_context("spawn")
    out, release = context.Queue(), context.Event()
    groups = [client_ids[i::processes] for i in range(processes)]
    procs = [context.Process(target=target, args=(*args_of, g, seconds, out, release)) for g in groups if g]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    latencies, failures, consumed = [], [], 0
    for _ in procs:
        got, bad, used = out.get()
        latencies += got
        failures += bad
        consumed += used
    elapsed = time.perf_counter() - started
    release.set()
    for proc in procs:
        proc.join()
    return latencies, failures, consumed, elapsed


def percentile(latencies, p):
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000 if ordered else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="paybench")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args(argv)
    url = database_url()
    setup = prepare(args.tenant, args.clients, args.invoices)
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url, SECURE_SSL_REDIRECT="0")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    port = free_port()
    server = Server("app", "config.wsgi", port, args.workers, env, results / f"payments-{stamp}-app.log")
    headers = {"Authorization": f"Bearer {setup['key']}"}
    try:
        server.wait_ready(PAYMENTS, headers, timeout=60)
        run_load(http_clients, (port, setup["key"], setup["rep"]), setup["app"], args.processes, 2)  # warm-up
        app = run_load(http_clients, (port, setup["key"], setup["rep"]), setup["app"], args.processes, args.duration)
    finally:
        server.stop()
    raw = run_load(bare_clients, (url, setup["tenant"], setup["rep"]), setup["raw"], args.processes, args.duration)
    app_rate, raw_rate = len(app[0]) / app[3], len(raw[0]) / raw[3]
    import subprocess

    check = subprocess.run(
        [sys.executable, "manage.py", "check_ledgers"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": url},
    )  # fmt: skip
    lines = [
        f"# POST /v1/payments with allocation, {args.clients} concurrent clients (one client each)",
        "",
        f"{machine()}; revision {git_revision()}; {args.workers} sync workers; {args.processes} load processes; "
        f"{args.duration:g} s per cell",
        "",
        "| | payments/s | p50 ms | p95 ms | failures |",
        "|---|---|---|---|---|",
        f"| app | {app_rate:.1f} | {percentile(app[0], 50):.1f} | {percentile(app[0], 95):.1f} | {len(app[1])} |",
        f"| bare SQL | {raw_rate:.1f} | {percentile(raw[0], 50):.1f} | {percentile(raw[0], 95):.1f} | 0 |",
        "",
        f"- app / bare throughput: {app_rate / raw_rate:.2f}",
        f"- check_ledgers after the run: {check.stdout.strip() or check.stderr.strip()[:300]}",
    ]
    report = "\n".join(lines) + "\n"
    (results / f"payments-{stamp}.md").write_text(report)
    print(report)
    if app[1]:
        print("\n".join(app[1][:5]))
        raise SystemExit("some payments failed")
    if check.returncode:
        raise SystemExit("check_ledgers found differences")


if __name__ == "__main__":
    main()
