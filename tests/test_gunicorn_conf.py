"""The production server's settings (gunicorn.conf.py), as gunicorn itself reads them."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def gunicorn_config(**env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "PORT")}
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "config.wsgi"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name.strip(): value.strip() for name, _, value in (line.partition("=") for line in out.splitlines())}


def test_several_workers_from_the_cores_and_threads():
    config = gunicorn_config()
    assert int(config["workers"]) == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["worker_class"] == "gthread" and int(config["threads"]) >= 2
    assert config["bind"] == "['0.0.0.0:8000']"


def test_the_environment_overrides_them():
    config = gunicorn_config(WEB_CONCURRENCY="3", GUNICORN_THREADS="2", PORT="9001", GUNICORN_TIMEOUT="90")
    assert (config["workers"], config["threads"], config["bind"], config["timeout"]) == (
        "3",
        "2",
        "['0.0.0.0:9001']",
        "90",
    )


def test_the_worker_timeout_is_above_the_statement_timeouts():
    timeout_ms = int(gunicorn_config()["timeout"]) * 1000
    assert timeout_ms > settings.LIST_STATEMENT_TIMEOUT_MS and timeout_ms > 30000  # STATEMENT_TIMEOUT_MS's default


def test_the_sdk_refresh_token_header_reaches_the_app():
    assert gunicorn_config()["header_map"] == "dangerous"  # `refresh_token` has an underscore
