"""Measure `POST /v1/safe-invoice-serial-counter/next` under gunicorn: numbers per second at 16
concurrent clients, with every number checked (no duplicate, no gap), against a bare
`UPDATE … RETURNING` loop on the same row (the physical limit of one counter).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/serial_bench.py \\
        [--clients 16] [--duration 10] [--workers 2] [--processes 4] [--tenant serialbench]

Needs a migrated PostgreSQL database. Creates (once) the tenant, a rep, a warehouse and an API key,
starts `gunicorn config.wsgi` (sync workers, DEBUG off) on a free port, warms it up, then runs the
clients for `--duration` seconds: `--processes` load processes of `--clients / --processes` threads
each (one process would be held back by its own GIL). Every answer's `next_serial` is kept: the
numbers must be the counter's next ones, each once. Then the same number of psycopg connections run
the bare statement on the counter for as long. Prints the table and writes it to
bench/results/serial-<timestamp>.md; exits non-zero on a duplicate, a gap or a failed request.
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
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run_bench import CpuMeter, Server, database_url, free_port, git_revision, machine  # noqa: E402

NEXT = "/v1/safe-invoice-serial-counter/next"
GOAL_PER_SECOND = 500
BARE_SQL = (
    "UPDATE finance_invoiceserialcounter SET current_serial = current_serial + 1, last_used_date = now(), "
    "updated_at = now(), version = version + 1 WHERE id = %s RETURNING current_serial"
)


# Setup ----------------------------------------------------------------------------------------
def prepare(namespace: str) -> dict:
    """The tenant, rep, warehouse and key the benchmark uses (made once, found afterwards)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # this process only sets rows up; the server runs with DEBUG off
    import django

    django.setup()
    from django.db import connections

    from core import services
    from core.models import Tenant
    from sales.models import Rep, Warehouse

    tenant = Tenant.objects.filter(namespace=namespace).first() or services.create_tenant(namespace=namespace)
    rep = Rep.objects.filter(tenant=tenant).first() or Rep.objects.create(
        tenant=tenant, name="Bench rep", email="bench@example.test", role="rep", password="!"
    )
    warehouse = Warehouse.objects.filter(tenant=tenant).first() or Warehouse.objects.create(
        tenant=tenant, name="Bench warehouse"
    )
    _, raw_key = services.create_api_key(tenant=tenant, name="serial-bench")
    connections.close_all()
    return {"tenant": str(tenant.pk), "rep": str(rep.pk), "warehouse": str(warehouse.pk), "key": raw_key}


def counter_state(url: str, setup: dict) -> tuple[str | None, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id, current_serial FROM finance_invoiceserialcounter "
            "WHERE tenant_id = %s AND rep_id = %s AND warehouse_id = %s AND invoice_type = 'sales'",
            [setup["tenant"], setup["rep"], setup["warehouse"]],
        ).fetchone()
    return (str(row[0]), row[1]) if row else (None, 0)


# Load -----------------------------------------------------------------------------------------
def http_clients(port: int, key: str, body: bytes, threads: int, seconds: float, out, release) -> None:
    """One load process: `threads` clients posting /next until the time is up."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    numbers, latencies, failures = [], [], []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, times, bad = [], [], []
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("POST", NEXT, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except OSError as exc:
                bad.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            times.append(time.perf_counter() - started)
            if response.status != 200:
                bad.append(f"{response.status}: {payload[:200]!r}")
                continue
            mine.append(json.loads(payload)["data"]["next_serial"])
        conn.close()
        with lock:
            numbers.extend(mine)
            latencies.extend(times)
            failures.extend(bad)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((numbers, latencies, failures))
    release.wait(60)


def bare_clients(url: str, counter_id: str, threads: int, seconds: float, out, release) -> None:
    """One load process: `threads` psycopg connections running the bare statement (autocommit).
    The connections stay open until `release`, so the CPU meter still sees their backends."""
    import psycopg

    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    numbers, latencies = [], []
    conns = [psycopg.connect(url, autocommit=True) for _ in range(threads)]

    def client(conn):
        mine, times = [], []
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            mine.append(conn.execute(BARE_SQL, [counter_id], prepare=True).fetchone()[0])
            times.append(time.perf_counter() - started)
        with lock:
            numbers.extend(mine)
            latencies.extend(times)

    workers = [threading.Thread(target=client, args=(conn,)) for conn in conns]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((numbers, latencies, []))
    release.wait(60)
    for conn in conns:
        conn.close()


def run_load(target, args_of, clients: int, processes: int, seconds: float, meter=None) -> tuple:
    """Split `clients` over `processes` processes running `target`; (numbers, latencies,
    failures, elapsed seconds, others' CPU share while they ran, when a meter is given)."""
    context = multiprocessing.get_context("spawn")
    out, release = context.Queue(), context.Event()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [context.Process(target=target, args=(*args_of, n, seconds, out, release)) for n in shares if n]
    if meter is not None:
        meter.start()
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    numbers, latencies, failures = [], [], []
    for _ in procs:
        got_numbers, got_latencies, got_failures = out.get()
        numbers += got_numbers
        latencies += got_latencies
        failures += got_failures
    elapsed = time.perf_counter() - started
    others = meter.others_share() if meter is not None else 0.0  # before the clients let go
    release.set()
    for proc in procs:
        proc.join()
    return numbers, latencies, failures, elapsed, others


def check(numbers: list[int], start: int) -> dict:
    """Duplicates and gaps of the numbers handed out after `start` (the counter's value before)."""
    distinct = set(numbers)
    top = max(distinct, default=start)
    return {
        "count": len(numbers),
        "duplicates": len(numbers) - len(distinct),
        "gaps": (top - start) - len(distinct),  # numbers consumed that no client was answered
        "below_start": sum(1 for n in distinct if n <= start),
    }


def percentile(latencies: list[float], p: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000 if ordered else 0.0


# Main -----------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="serialbench")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (at most 120)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--processes", type=int, default=4, help="load processes the clients are split over")
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    duration = min(max(args.duration, 1.0), 120.0)  # bounded: the load stops by itself

    url = database_url()
    setup = prepare(args.tenant)
    body = json.dumps({"rep": setup["rep"], "warehouse": setup["warehouse"], "invoice_type": "sales"}).encode()
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    revision = git_revision()
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    # Production settings over plain HTTP on the loopback: no redirect to HTTPS.
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url, SECURE_SSL_REDIRECT="0")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    server = Server(
        "app", "config.wsgi:application", free_port(), args.workers, env, results_dir / f"serial-{stamp}-app.log"
    )
    meter = CpuMeter(urllib.parse.urlsplit(url).path.lstrip("/"), [server])
    rows = []
    failed = False
    try:
        server.wait_ready("/healthz", {})
        run_load(http_clients, (server.port, setup["key"], body), args.clients, args.processes, args.warmup)
        counter_id, start = counter_state(url, setup)

        numbers, latencies, failures, elapsed, others = run_load(
            http_clients, (server.port, setup["key"], body), args.clients, args.processes, duration, meter
        )
        _, end = counter_state(url, setup)
        found = check(numbers, start)
        found["gaps"] += end - max(numbers, default=start)  # consumed after the last answered one
        rows.append(("app: POST /next (HTTP, gunicorn)", numbers, latencies, failures, elapsed, found, others))

        *bare, others_bare = run_load(bare_clients, (url, counter_id), args.clients, args.processes, duration, meter)
        _, after_bare = counter_state(url, setup)
        bare_found = check(bare[0], end)
        bare_found["gaps"] += after_bare - max(bare[0], default=end)
        rows.append(("bare: UPDATE … RETURNING (psycopg)", *bare, bare_found, others_bare))
    finally:
        server.stop()

    lines = [
        f"# /next benchmark {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {machine()}",
        f"- app revision: {revision}; gunicorn {args.workers} sync workers; {args.clients} clients "
        f"over {args.processes} load processes; {duration:g} s per row",
        "",
        "| what | numbers | numbers/s | p50 ms | p95 ms | duplicates | gaps | failed | others' CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rates = []
    for label, numbers, latencies, failures, elapsed, found, others in rows:
        rate = len(numbers) / elapsed if elapsed else 0.0
        rates.append(rate)
        lines.append(
            f"| {label} | {len(numbers):,} | {rate:,.1f} | {percentile(latencies, 50):.1f} | "
            f"{percentile(latencies, 95):.1f} | {found['duplicates']} | {found['gaps']} | {len(failures)} | "
            f"{others:.0%} |"
        )
        failed |= bool(found["duplicates"] or found["gaps"] or found["below_start"] or failures)
        for failure in failures[:5]:
            lines.append(f"  - {label}: {failure}")
    ratio = rates[0] / rates[1] if len(rates) == 2 and rates[1] else 0.0
    lines += [
        "",
        f"app/bare: {ratio:.2f}; goal ≥ {GOAL_PER_SECOND} numbers/s with no duplicate and no gap: "
        + ("met" if rates and rates[0] >= GOAL_PER_SECOND and not failed else "NOT met"),
    ]
    text = "\n".join(lines)
    print(text)
    (results_dir / f"serial-{stamp}.md").write_text(text + "\n")
    if failed:
        raise SystemExit("duplicates, gaps or failed requests: see above")


if __name__ == "__main__":
    main()
