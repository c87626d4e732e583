"""What one company's expensive searches do to another company's requests (issue 9).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench python bench/query_cost.py \\
        [--tenant bench] [--other bench-b] [--configs before,off,on] [--hammer 10]

Needs the clients of --tenant loaded by bench/load_clients.py (its key in
bench/results/key-<tenant>.txt); --other (company B) is created with a few tags if missing. For
each server configuration it starts gunicorn on a free port and measures company B's
`GET /v1/tag` latency, requested back to back on one connection, while company A:

1. `issue`: sends the issue's two requests at once, `POST /v1/client/search` with 199 `_or`-ed
   `_iregex` terms (the B window is from A's first request until both are answered, at least 5 s);
2. `hammer`: for --hammer seconds, 4 connections send back to back the most expensive search the
   default limits allow (3 `_iregex` and 7 `_ilike` terms that match nothing, so every row is read),
   once as a client that waits Retry-After after a 429, once as one that does not.

Configurations (`--configs`):

* `before`: the README's earlier production command, `gunicorn config.wsgi` (one sync worker), no
  query limits (the issue's setup);
* `off`: `gunicorn -c gunicorn.conf.py config.wsgi` with every query limit off (environment):
  the bare comparison;
* `on`: the same command with the default limits (statement timeout, operator limits, per-company
  throttles in Redis through CACHE_URL).

Prints, and writes to bench/results/query-cost-<timestamp>.md, A's answers (status counts, times)
and B's request count, p50, p99 and max. The global STATEMENT_TIMEOUT_MS (30 s) applies throughout.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402
from bench.run_bench import database_url, free_port, git_revision, machine  # noqa: E402

ISSUE_WHERE = {"_or": [{"name": {"_iregex": f"(foo|bar|baz)+{i}qux"}} for i in range(199)]}
# The most the default limits allow (3 regular expressions, 10 pattern operators), matching no row.
HAMMER_WHERE = {
    "_or": [
        *({"name": {"_iregex": f"zq(x|y)+{i}w"}} for i in range(3)),
        *({"name": {"_ilike": f"%qz{i}q%"}} for i in range(7)),
    ]
}
LIMITS_OFF = {
    "LIST_STATEMENT_TIMEOUT_MS": "0",
    "QUERY_MAX_PATTERN_OPERATORS": "100000",
    "QUERY_MAX_REGEX_OPERATORS": "100000",
    "EXPENSIVE_QUERY_RATE": "",
    "EXPENSIVE_QUERY_CONCURRENCY": "0",
}
CONFIGS = {
    # gunicorn reads ./gunicorn.conf.py unless given another file: the earlier command had none.
    "before": ("gunicorn config.wsgi (1 sync worker), no query limits", ["-c", "/dev/null", "config.wsgi"], LIMITS_OFF),
    "off": ("gunicorn -c gunicorn.conf.py, no query limits", ["-c", "gunicorn.conf.py", "config.wsgi"], LIMITS_OFF),
    "on": ("gunicorn -c gunicorn.conf.py, default limits", ["-c", "gunicorn.conf.py", "config.wsgi"], {}),
}
MIN_WINDOW = 5.0


def request(port, method, path, headers, body=None, timeout=120, answer=None) -> tuple[int, float, bytes]:
    """(status, seconds, body) on a new connection; status 0 when the connection failed. `answer`
    (a dict), when given, receives the response's Retry-After."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={**headers, "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if answer is not None:
            answer["retry_after"] = response.getheader("Retry-After")
        return response.status, time.perf_counter() - started, data
    except OSError:
        return 0, time.perf_counter() - started, b""
    finally:
        conn.close()


def ensure_other_tenant(namespace) -> str:
    """Company B's API key (created with its tenant when missing)."""
    key_file = ROOT / dataset.key_file_of(namespace)
    if key_file.is_file():
        return key_file.read_text().strip()
    env = {**os.environ, "DEBUG": "1", "STATEMENT_TIMEOUT_MS": "0"}
    out = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", namespace, "--create-tenant", "--name", "query cost bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key = out.strip().splitlines()[-1]
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    return key


class Server:
    """A gunicorn of ours, stopped by its pid."""

    def __init__(self, args, env, log):
        self.port = free_port()
        self.log = open(log, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "-b", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env={**env, "PORT": str(self.port)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, headers, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log.name}")
            if request(self.port, "GET", "/v1/tag", headers, timeout=5)[0] == 200:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within {timeout} s; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Prober(threading.Thread):
    """Company B: `GET /v1/tag` back to back on one keep-alive connection, each latency stamped."""

    def __init__(self, port, headers):
        super().__init__(daemon=True)
        self.port, self.headers = port, headers
        self.samples: list[tuple[float, float, int]] = []  # (started, seconds, status)
        self.running = True

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while self.running:
            started = time.perf_counter()
            try:
                conn.request("GET", "/v1/tag", headers=self.headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                status = 0
            self.samples.append((started, time.perf_counter() - started, status))
        conn.close()

    def between(self, start, end) -> list[float]:
        """Latencies of the requests that were running at some moment of [start, end], once the
        one running at `end` has been answered (it may be the one A held up longest)."""
        deadline = time.perf_counter() + 180
        while self.is_alive() and time.perf_counter() < deadline and not any(b > end for b, _, _ in self.samples[-3:]):
            time.sleep(0.05)
        return [seconds for began, seconds, _ in self.samples if began <= end and began + seconds >= start]


def percentile(values, p) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary_of(latencies) -> dict:
    return {
        "n": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
    }


def run_issue(port, a_headers, prober) -> dict:
    answers = []

    def send():
        answers.append(request(port, "POST", "/v1/client/search", a_headers, {"where": ISSUE_WHERE}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    end = max(time.perf_counter(), start + MIN_WINDOW)
    while time.perf_counter() < end:
        time.sleep(0.05)
    return {
        "a": [(status, seconds, body[:160].decode(errors="replace")) for status, seconds, body in answers],
        "b": summary_of(prober.between(start, end)),
    }


def run_hammer(port, a_headers, prober, seconds, polite) -> dict:
    """A's 4 connections send the search back to back; a polite client waits Retry-After on a 429."""
    answers, lock = [], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def hammer():
        while time.perf_counter() < stop_at:
            answer = {}
            status, took, _ = request(
                port, "POST", "/v1/client/search", a_headers, {"where": HAMMER_WHERE}, answer=answer
            )
            with lock:
                answers.append((status, took))
            if polite and status == 429:
                time.sleep(max(0.0, min(float(answer["retry_after"] or 1), stop_at - time.perf_counter())))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    end = time.perf_counter()
    return {
        "a_statuses": dict(Counter(status for status, _ in answers)),
        "a_p50_ms": percentile([t for _, t in answers], 50) * 1000,
        "a_max_ms": max((t for _, t in answers), default=float("nan")) * 1000,
        "b": summary_of(prober.between(start, end)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default=dataset.DEFAULT_TENANT, help="company A: the loaded clients")
    parser.add_argument("--other", default="bench-b", help="company B (created when missing)")
    parser.add_argument("--configs", default="before,off,on")
    parser.add_argument("--hammer", type=float, default=10.0, help="seconds of the hammer scenario")
    parser.add_argument("--cache-url", default="rediscache://127.0.0.1:6379/1", help="CACHE_URL of the servers")
    args = parser.parse_args(argv)
    configs = [name.strip() for name in args.configs.split(",") if name.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        raise SystemExit(f"unknown configurations {sorted(unknown)}; known: {', '.join(CONFIGS)}")

    url = database_url()
    key_file = ROOT / dataset.key_file_of(args.tenant)
    if not key_file.is_file():
        raise SystemExit(f"{key_file.relative_to(ROOT)} is missing: run bench/load_clients.py --tenant {args.tenant}")
    with psycopg.connect(url) as conn:
        clients = conn.execute(
            "SELECT COUNT(*) FROM clients_client c JOIN core_tenant t ON t.id = c.tenant_id WHERE t.namespace = %s",
            [args.tenant],
        ).fetchone()[0]
    a_headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    b_headers = {"Authorization": f"Bearer {ensure_other_tenant(args.other)}"}

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = ROOT / dataset.RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    base_env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "CACHE_URL": args.cache_url,
        "LOG_LEVEL": "ERROR",
    }
    for name in (*LIMITS_OFF, "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        base_env.pop(name, None)

    lines = [
        f"# Query cost: company A's expensive searches against company B's `GET /v1/tag` ({stamp})",
        "",
        f"{machine()}; app revision {git_revision()}; {clients:,} clients in company A; load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine may be shared).",
        "",
        "| configuration | scenario | A's answers | A's time | B requests | B p50 ms | B p99 ms | B max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in configs:
        title, command, limits = CONFIGS[name]
        server = Server(command, {**base_env, **limits}, results_dir / f"query-cost-{stamp}-{name}.log")
        try:
            server.wait_ready(b_headers)
            tags = json.loads(request(server.port, "GET", "/v1/tag", b_headers)[2])["total_result"]
            for i in range(max(0, 5 - tags)):
                request(server.port, "POST", "/v1/tag", b_headers, {"name": f"Bench tag {i}"})
            prober = Prober(server.port, b_headers)
            prober.start()
            time.sleep(1.0)  # B's baseline before A starts
            baseline = summary_of([s for _, s, _ in prober.samples])
            issue = run_issue(server.port, a_headers, prober)
            hammers = {
                polite: run_hammer(server.port, a_headers, prober, args.hammer, polite) for polite in (True, False)
            }
            prober.running = False
            prober.join()
        finally:
            server.stop()
        statuses = ", ".join(str(status) for status, _, _ in issue["a"])
        times = ", ".join(f"{seconds:.2f} s" for _, seconds, _ in issue["a"])
        b = issue["b"]
        rows = [
            (title, "B alone (1 s)", "", "", baseline),
            (title, "issue: 2 x 199 `_iregex`", statuses, times, b),
            *(
                (
                    title,
                    f"hammer: 4 connections, {args.hammer:g} s, " + ("waiting Retry-After" if polite else "no waiting"),
                    ", ".join(f"{n} x {status}" for status, n in sorted(hammer["a_statuses"].items())),
                    f"p50 {hammer['a_p50_ms']:.0f} ms, max {hammer['a_max_ms']:.0f} ms",
                    hammer["b"],
                )
                for polite, hammer in hammers.items()
            ),
        ]
        for row_title, scenario, answers, took, stats in rows:
            line = (
                f"| {row_title} | {scenario} | {answers} | {took} | {stats['n']} | {stats['p50_ms']:.1f} | "
                f"{stats['p99_ms']:.1f} | {stats['max_ms']:.1f} |"
            )
            lines.append(line)
            print(line, flush=True)
        for status, _, body in issue["a"]:
            if status != 200:
                print(f"    A's answer {status}: {body}", flush=True)
    lines += ["", f"Python {platform.python_version()}; server logs: bench/results/query-cost-{stamp}-*.log", ""]
    report = results_dir / f"query-cost-{stamp}.md"
    report.write_text("\n".join(lines))
    print(f"\nwritten to {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
