"""Measure GET /v1/client under gunicorn against the physical limit (bench/raw_wsgi.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/run_bench.py \\
        [--duration 10] [--concurrency 1,8] [--scenarios first,page1000,...] [--raw-count exact|kept]

Needs a tenant loaded by bench/load_clients.py (PostgreSQL) and its key in bench/results/key-<tenant>.txt.
Starts the app (config.wsgi, 2 sync workers, DEBUG off) and the bare WSGI app on free ports,
checks that both answer every scenario with 200 and the same documents, warms them up, then
runs wrk (or a Python load loop when wrk is missing) per scenario and concurrency, prints a
table and writes it to bench/results/<timestamp>.md.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

LUA = ROOT / "bench" / "list.lua"
GOAL_FIRST_PAGE_RPS = 300  # first page, c=8, 100,000 clients
GOAL_P95_MS = 50  # every page, c=1, 1,000,000 clients


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non200: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# Dataset --------------------------------------------------------------------------------------
def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database bench/load_clients.py loaded.")
    return url.replace("postgres://", "postgresql://", 1)


def scenarios(namespace: str) -> tuple[dict[str, str], int]:
    """{name: path and query} for the loaded tenant, and its number of clients."""
    with psycopg.connect(database_url()) as conn:
        found = conn.execute("SELECT id FROM core_tenant WHERE namespace = %s", [namespace]).fetchone()
        if found is None:
            raise SystemExit(f"No tenant '{namespace}': run bench/load_clients.py first.")
        tenant_id = found[0]
        rows = conn.execute("SELECT COUNT(*) FROM clients_client WHERE tenant_id = %s", [tenant_id]).fetchone()[0]
        channel = conn.execute(
            "SELECT id FROM clients_clientchannel WHERE tenant_id = %s ORDER BY id LIMIT 1", [tenant_id]
        ).fetchone()[0]
        middle = conn.execute(
            "SELECT id FROM clients_client WHERE tenant_id = %s ORDER BY id OFFSET %s LIMIT 1", [tenant_id, rows // 2]
        ).fetchone()[0]
    sort_by = json.dumps([{"field": "_id", "type": "asc"}], separators=(",", ":"))
    return {
        "first": "/v1/client",
        "page1000": "/v1/client?page=1000",
        "search": f"/v1/client?search={dataset.SELECTIVE_TERM}",
        "channel": f"/v1/client?channel={channel}",
        "cursor": f"/v1/client?{urllib.parse.urlencode({'from__id': str(middle), 'sortBy': sort_by})}",
        **variant_scenarios(namespace),
    }, rows


def variant_scenarios(namespace: str) -> dict[str, str]:
    """Variant pages by product and by category, when bench/load_catalogue.py loaded a catalogue
    (app only: run them with --no-raw, the bare app serves clients)."""
    ids = ROOT / dataset.RESULTS_DIR / f"catalogue-{namespace}.txt"
    if not ids.is_file():
        return {}
    product, category = ids.read_text().split()
    return {"variant_product": f"/v1/variant?product={product}", "variant_category": f"/v1/variant?category={category}"}


# Servers --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn process of ours; stopped by its pid."""

    def __init__(self, name, app, port, workers, env, log):
        self.name, self.port = name, port
        self.log = open(log, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            # `-c /dev/null`: the sync workers measured here, not ./gunicorn.conf.py (read by default)
            [sys.executable, "-m", "gunicorn", "-c", "/dev/null", app, "-w", str(workers), "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path, headers, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited; see {self.log.name}")
            try:
                status, _ = get(self.port, path, headers)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer 200 on {path} within {timeout} s; see {self.log.name}")

    def drain(self, workers):
        """Wait until requests still queued from the last measurement are answered: wrk stops
        sending, but sync workers finish what they accepted, and that would slow the next cell."""
        probes = [threading.Thread(target=get, args=(self.port, "/healthz", {})) for _ in range(workers * 2)]
        for probe in probes:
            probe.start()
        for probe in probes:
            probe.join()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def get(port, path, headers) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# Load generators ------------------------------------------------------------------------------
def run_wrk(port, path, headers, concurrency, duration) -> Result:
    command = ["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s"]
    command += ["-s", str(LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("{"))
    data = json.loads(line)
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non200=data["non200"],
        socket_errors=data["socket_errors"],
    )


def run_python(port, path, headers, concurrency, duration) -> Result:
    """Fallback: `concurrency` threads, each with a keep-alive connection (the GIL makes it a
    weaker generator than wrk at c=8: compare like with like)."""
    latencies, non200, errors = [], [0], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, failed = [], 0, 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                bad += response.status != 200
            except OSError:
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            non200[0] += bad
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000 if latencies else 0.0

    return Result(len(latencies), elapsed, percentile(50), percentile(95), percentile(99), non200[0], errors[0])


# Machine noise --------------------------------------------------------------------------------
class CpuMeter:
    """How much of the machine other processes used during a measurement: all busy CPU time
    minus ours (the gunicorn trees, our load generator, the database's backends for our
    database). Shared machines make absolute figures move; this says by how much."""

    def __init__(self, database_name, servers, roots=()):
        self.database_name = f" {database_name} "
        self.servers = servers
        self.roots = set(roots)  # more pids whose process trees are ours (e.g. load generators' parent)
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _busy(self):
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields) - fields[3] - fields[4]  # all but idle and iowait

    def _ours(self) -> dict[int, int]:
        """CPU ticks per process of ours (pid -1: our reaped children, e.g. wrk)."""
        roots = {server.process.pid for server in self.servers} | self.roots
        parents, times, titles = {}, {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                titles[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            rest = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry.name)] = int(rest[1])
            times[int(entry.name)] = int(rest[11]) + int(rest[12])
        ours = {}
        for pid, ticks in times.items():
            ancestor = pid
            while ancestor > 1 and ancestor not in roots:
                ancestor = parents.get(ancestor, 0)
            if ancestor in roots or self.database_name in f"{titles.get(pid, '')} ":
                ours[pid] = ticks
        children = os.times()
        ours[-1] = int((children.children_user + children.children_system) * self.ticks)
        return ours

    def start(self):
        self.began = (time.monotonic(), self._busy(), self._ours())

    def wait_quiet(self, threshold, timeout) -> float:
        """Wait (up to `timeout` s) until other processes use less than `threshold` of the
        machine over a 2 s sample; the last sample."""
        deadline = time.monotonic() + timeout
        while True:
            self.start()
            time.sleep(2)
            share = self.others_share()
            if share < threshold or time.monotonic() >= deadline:
                return share

    def others_share(self) -> float:
        """Share of all CPUs used by other processes since start(), 0..1."""
        began, busy, ours = self.began
        elapsed = (time.monotonic() - began) * self.ticks * (os.cpu_count() or 1)
        # Per process, so that one of ours exiting meanwhile does not count against the others.
        ours_delta = sum(max(0, ticks - ours.get(pid, 0)) for pid, ticks in self._ours().items())
        others = (self._busy() - busy) - ours_delta
        return min(1.0, max(0.0, others / elapsed)) if elapsed else 0.0


# Checks ---------------------------------------------------------------------------------------
def same_documents(app_body: bytes, raw_body: bytes, app_port: int, raw_port: int) -> str:
    """'' when both answers hold the same envelope and documents (page URLs differ by port)."""
    app = json.loads(app_body)
    raw = json.loads(raw_body.replace(f":{raw_port}/".encode(), f":{app_port}/".encode()))
    if app == raw:
        return ""
    keys = sorted(k for k in set(app) | set(raw) if app.get(k) != raw.get(k))
    if "data" in keys and len(app.get("data", [])) == len(raw.get("data", [])):
        fields = sorted(
            {k for a, r in zip(app["data"], raw["data"], strict=True) for k in set(a) | set(r) if a.get(k) != r.get(k)}
        )
        return f"differ in {keys} (document fields {fields})"
    return f"differ in {keys}"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "?"
    return (
        f"{os.cpu_count()} cores ({model or platform.processor()}), {memory}, {platform.system()} {platform.release()}"
    )


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
        changed = [x for x in dirty.stdout.splitlines() if x.strip()]
        return head.stdout.strip() + (f" + {len(changed)} uncommitted paths" if changed else "")
    except OSError:
        return "?"


# Main -----------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default=dataset.DEFAULT_TENANT)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated connection counts")
    parser.add_argument("--scenarios", default="first,page1000,search,channel,cursor")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (production: 2 on 2 cores)")
    parser.add_argument("--raw-count", choices=("exact", "kept"), default="exact", help="totals of the bare app")
    parser.add_argument("--no-raw", action="store_true", help="measure the app only")
    parser.add_argument("--python-load", action="store_true", help="use the Python load loop even if wrk exists")
    parser.add_argument(
        "--quiet", type=float, default=0.0, help="before each cell, wait until others use less than this CPU share"
    )
    parser.add_argument("--quiet-timeout", type=float, default=90.0, help="longest wait for --quiet, seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load per scenario before measuring")
    args = parser.parse_args(argv)

    url = database_url()
    key_file = ROOT / dataset.key_file_of(args.tenant)
    if not key_file.exists():
        raise SystemExit(f"{key_file.relative_to(ROOT)} is missing: run bench/load_clients.py --tenant {args.tenant}")
    headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    paths, rows = scenarios(args.tenant)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in paths]
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}; choose from {list(paths)}")
    levels = [int(c) for c in args.concurrency.split(",")]

    if args.python_load or shutil.which("wrk") is None:
        if not args.python_load:
            print("wrk not found (install it: apt-get update && apt-get install -y wrk); using the Python load loop")
        load, tool = run_python, "Python load loop (http.client + threads)"
    else:
        load, tool = run_wrk, "wrk " + subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]

    started = dt.datetime.now().astimezone()
    revision = git_revision()  # the code the servers load now (others may commit meanwhile)
    results_dir = ROOT / dataset.RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG")}
    # Production settings over plain HTTP on the loopback: no redirect to HTTPS.
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=url, SECURE_SSL_REDIRECT="0")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    servers = {
        "app": Server(
            "app", "config.wsgi:application", free_port(), args.workers, env, results_dir / f"{stamp}-app.log"
        )
    }
    if not args.no_raw:
        raw_env = {**env, "BENCH_TENANT": args.tenant, "RAW_COUNT": args.raw_count}
        servers["raw"] = Server(
            "raw", "bench.raw_wsgi:application", free_port(), args.workers, raw_env, results_dir / f"{stamp}-raw.log"
        )
    table = []
    meter = CpuMeter(urllib.parse.urlsplit(url).path.lstrip("/"), list(servers.values()))
    try:
        for server in servers.values():
            server.wait_ready(paths["first"], headers)
        print(f"{rows:,} clients in tenant '{args.tenant}'; app on :{servers['app'].port}", end="")
        print(f", raw on :{servers['raw'].port} (totals: {args.raw_count})" if "raw" in servers else "")
        notes = []
        for name in chosen:
            bodies = {}
            for label, server in servers.items():
                status, body = get(server.port, paths[name], headers)
                if status != 200:
                    raise SystemExit(f"{label} answered {status} to {name} ({paths[name]}): {body[:300]!r}")
                bodies[label] = body
            if "raw" in bodies:
                difference = same_documents(bodies["app"], bodies["raw"], servers["app"].port, servers["raw"].port)
                notes.append(f"{name}: app and raw {difference}" if difference else "")
                print(f"check {name}: {'app and raw ' + difference if difference else 'app and raw answer the same'}")
            for server in servers.values():
                load(server.port, paths[name], headers, 2, max(1, round(args.warmup)))
                server.drain(args.workers)

        for name in chosen:
            for concurrency in levels:
                row = {"scenario": name, "c": concurrency, "others": []}
                for label, server in servers.items():
                    if args.quiet:
                        meter.wait_quiet(args.quiet, args.quiet_timeout)
                    meter.start()
                    result = load(server.port, paths[name], headers, concurrency, args.duration)
                    row["others"].append(meter.others_share())
                    if result.non200 or result.socket_errors:
                        print(
                            f"  ! {label} {name} c={concurrency}: {result.non200} non-200, {result.socket_errors} socket errors"
                        )
                    row[label] = result
                    server.drain(args.workers)
                table.append(row)
                print(format_row(row), flush=True)
    finally:
        for server in servers.values():
            server.stop()

    report = render_report(
        table,
        rows=rows,
        args=args,
        tool=tool,
        paths=paths,
        notes=[n for n in notes if n],
        started=started,
        revision=revision,
    )
    out = results_dir / f"{stamp}.md"
    out.write_text(report)
    print()
    print(report)
    print(f"written to {out.relative_to(ROOT)}")
    if any(r[label].non200 or r[label].socket_errors for r in table for label in servers):
        sys.exit(1)


def format_row(row) -> str:
    app, raw = row["app"], row.get("raw")
    text = f"{row['scenario']:9} c={row['c']:<2} app {app.rps:7.1f} req/s p50 {app.p50_ms:6.1f} ms p95 {app.p95_ms:6.1f} ms"
    if raw is not None:
        text += f" | raw {raw.rps:7.1f} req/s p95 {raw.p95_ms:6.1f} ms | app/raw {app.rps / raw.rps:.2f}"
    return text + f" | others' CPU {max(row['others']):.0%}"


def render_report(table, *, rows, args, tool, paths, notes, started, revision) -> str:
    has_raw = any("raw" in r for r in table)
    lines = [
        f"# GET /v1/client, {rows:,} clients in one tenant",
        "",
        f"- date: {started.isoformat(timespec='seconds')} (start)",
        f"- machine: {machine()}",
        f"- app: gunicorn config.wsgi, {args.workers} sync workers, DEBUG off, CONN_MAX_AGE default; revision {revision}",
        f"- raw: gunicorn bench.raw_wsgi, {args.workers} workers, totals {args.raw_count}"
        if has_raw
        else "- raw: not run",
        f"- load: {tool}, {args.duration} s per cell, on the same machine",
        "- others' CPU: share of the machine's CPU time used by other processes during the cell (worst of app/raw);"
        " figures taken while it is high are not comparable",
        "- scenarios: " + "; ".join(f"{name} `{paths[name]}`" for name in dict.fromkeys(r["scenario"] for r in table)),
        "",
        "| scenario | c | app req/s | app p50 ms | app p95 ms | raw req/s | raw p95 ms | app/raw | others' CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        app, raw = row["app"], row.get("raw")
        raw_cells = f"{raw.rps:.1f} | {raw.p95_ms:.1f} | {app.rps / raw.rps:.2f}" if raw and raw.rps else "– | – | –"
        lines.append(
            f"| {row['scenario']} | {row['c']} | {app.rps:.1f} | {app.p50_ms:.1f} | {app.p95_ms:.1f} | {raw_cells} | {max(row['others']):.0%} |"
        )
    lines.append("")
    first = [r for r in table if r["scenario"] == "first" and r["c"] == 8]
    if first:
        verdict = "met" if first[0]["app"].rps >= GOAL_FIRST_PAGE_RPS else "NOT met"
        lines.append(
            f"- goal, first page at c=8 ≥ {GOAL_FIRST_PAGE_RPS} req/s (set for 100,000 clients): "
            f"{first[0]['app'].rps:.0f} req/s, {verdict}"
        )
    single = [r for r in table if r["c"] == 1]
    if single:
        worst = max(single, key=lambda r: r["app"].p95_ms)
        verdict = "met" if worst["app"].p95_ms < GOAL_P95_MS else "NOT met"
        lines.append(
            f"- goal, every page p95 < {GOAL_P95_MS} ms at c=1 (set for 1,000,000 clients): worst "
            f"{worst['scenario']} {worst['app'].p95_ms:.1f} ms, {verdict}"
        )
    errors = sum(r[k].non200 + r[k].socket_errors for r in table for k in ("app", "raw") if k in r)
    lines.append(f"- non-200 answers and socket errors: {errors}")
    lines += [f"- check: {note}" for note in notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
