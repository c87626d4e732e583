"""A newcomer's first hour (issue 9): production checks, development servers, the docs pages,
commands that work as the README writes them, JSON 404s, logging once, believable demo data.

Settings are read the way a shell reads them: `manage.py` in a subprocess with a clean
environment (no .env: DJANGO_ENV_FILE points nowhere), or config/settings.py executed afresh
with a given environment.
"""

import io
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_KEY = "x7$Kq2!mZ9@pL4#vR8^wT1&yU6*nB3(cD5)eF0-gH_jJ+kM=sN"  # 50+ characters, as check --deploy wants


def clean_env(**extra) -> dict:
    """A shell's environment: nothing of the test run's settings, no .env file."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_ENV_FILE=os.devnull)
    env.update(extra)
    return env


def manage(*args, timeout=60, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_with(argv=("manage.py", "check"), **env) -> dict:
    """config/settings.py executed with exactly this environment (and sys.argv), as a dict."""
    with mock.patch.dict(os.environ, clean_env(**env), clear=True), mock.patch.object(sys, "argv", list(argv)):
        return runpy.run_path(str(ROOT / "config" / "settings.py"))


# 1. check --deploy -----------------------------------------------------------------------------------
def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0", SECRET_KEY=PRODUCTION_KEY)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_each_https_setting_is_switchable_and_reported_by_check_deploy():
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=PRODUCTION_KEY,
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
    )
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, result.stderr


def test_https_settings_are_on_in_production_and_off_in_development():
    production = settings_with(DEBUG="0", SECRET_KEY=PRODUCTION_KEY)
    assert production["SECURE_SSL_REDIRECT"] and production["SESSION_COOKIE_SECURE"]
    assert production["CSRF_COOKIE_SECURE"] and production["SECURE_HSTS_SECONDS"] == 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert "SECURE_PROXY_SSL_HEADER" not in production  # a forged header makes no request secure
    development = settings_with(DEBUG="1")
    assert not development["SECURE_SSL_REDIRECT"] and not development["SESSION_COOKIE_SECURE"]
    assert not development["CSRF_COOKIE_SECURE"] and development["SECURE_HSTS_SECONDS"] == 0
    switched = settings_with(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="0")
    assert switched["SECURE_HSTS_SECONDS"] == 600 and not switched["SECURE_HSTS_PRELOAD"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Ssl=on", ("HTTP_X_FORWARDED_SSL", "on")),
        ("HTTP_X_FORWARDED_PROTO=https", ("HTTP_X_FORWARDED_PROTO", "https")),
    ],
)
def test_proxy_ssl_header_comes_from_the_environment(value, expected):
    assert settings_with(DEBUG="1", SECURE_PROXY_SSL_HEADER=value)["SECURE_PROXY_SSL_HEADER"] == expected


def test_a_malformed_proxy_ssl_header_is_one_line_naming_it():
    result = manage("check", DEBUG="1", SECURE_PROXY_SSL_HEADER="X Forwarded: Proto")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_production_settings_redirect_to_https_but_not_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/v1/tag").status_code == 301
    assert client.get("/v1/tag").headers["Location"] == "https://testserver/v1/tag"
    assert client.get("/healthz").status_code == 200
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    answer = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_test_settings_speak_plain_http(settings):
    """The test client and the browser tests' live server are plain HTTP: signing in needs cookies
    that a browser sends back over HTTP, and no redirect to HTTPS."""
    assert not settings.SECURE_SSL_REDIRECT
    assert not settings.SESSION_COOKIE_SECURE and not settings.CSRF_COOKIE_SECURE


@pytest.mark.parametrize(
    "script, line",
    [
        ("scripts/fuzz-schema.sh", "export SECURE_SSL_REDIRECT=0"),
        ("bench/run_bench.py", 'SECURE_SSL_REDIRECT="0"'),
        ("bench/serial_bench.py", 'SECURE_SSL_REDIRECT="0"'),
        ("bench/query_cost.py", '"SECURE_SSL_REDIRECT": "0"'),
    ],
)
def test_servers_started_with_debug_off_over_plain_http_turn_the_redirect_off(script, line):
    assert line in (ROOT / script).read_text()


# 2. Development servers keep no connection -------------------------------------------------------------
def test_runserver_keeps_no_database_connection_and_production_keeps_them():
    def conn_max_age(argv, **env):
        return settings_with(argv, DEBUG="1", **env)["DATABASES"]["default"]["CONN_MAX_AGE"]

    assert conn_max_age(("manage.py", "runserver", "127.0.0.1:8000")) == 0
    assert conn_max_age(("manage.py", "runserver"), CONN_MAX_AGE="600") == 0  # a thread per request
    assert conn_max_age(("gunicorn", "-c", "gunicorn.conf.py", "config.wsgi")) == 600
    assert conn_max_age(("gunicorn", "config.wsgi"), CONN_MAX_AGE="60") == 60
    assert conn_max_age(("manage.py", "import_data")) == 600


def test_the_test_harness_live_server_keeps_no_database_connection(settings):
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


# 3. API docs served from the project ----------------------------------------------------------------
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_the_projects_own_static_files(client, page):
    answer = client.get(page)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
    html = answer.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html  # nothing from outside
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.split("/static/", 1)[1]), f"{url} is not among the static files"
        assert client.get(url).status_code == 200, url  # served (WhiteNoise), also with DEBUG off


def test_redoc_reads_the_schema():
    assert 'spec-url="/api/schema/"' in Client().get("/api/redoc/").content.decode()


# 5. JSON 404 under the API prefixes, a home page -----------------------------------------------------
UNKNOWN_API_PATHS = [
    "/v1",
    "/v1/",
    "/v1/no-such-resource",
    "/v1/tag/",
    "/v1/tag/x/y/z",
    "/v1/auth/nothing",
    "/gql",
    "/gql/v1/nothing",
    "/gql/v1/client/1/more",
    "/clients/",
    "/clients/1/more",
    "/authenticate/more",
    "/tag/x/y/z",
    "/teams/1/more",  # an SDK alias (team)
    "/measureunits/a/b",
    "/product/sub-categories/a/b",
    "/product-sub-category/a/b",
]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_unknown_api_paths_are_json_404s_also_with_debug_on(settings, path, debug):
    settings.DEBUG = debug
    for method in ("get", "post", "delete"):
        answer = getattr(Client(enforce_csrf_checks=True), method)(path)
        assert answer.status_code == 404, (method, path)
        assert answer["Content-Type"] == "application/json", (method, path)
        assert answer.json() == {"success": False, "error": f"Not found: no such path {path}."}


def test_documented_paths_still_answer_beside_the_catch_all(api):
    assert api.get("/v1/tag").status_code == 200
    assert api.get("/tag").status_code == 200
    assert api.get("/teams").status_code == 200
    assert api.get("/clients").status_code == 200
    assert api.get("/v1/tag/0190aaaa-0000-7000-8000-000000000000").status_code == 404
    assert api.put("/v1/tag").status_code == 405  # a known path, an undocumented method


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_home_page_links_the_admin_and_the_api_docs(settings, debug):
    settings.DEBUG = debug
    answer = Client().get("/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', answer.content.decode()))
    assert {"/admin/", "/api/docs/", "/api/redoc/", "/api/schema/?format=json"} <= links
    for link in links:
        assert Client().get(link).status_code in (200, 302), link  # the admin redirects to its login


# 4. One clear line for a missing setting -----------------------------------------------------------
@pytest.mark.parametrize("command", [["import_data", "client", "clients.csv", "--tenant", "demo"], ["check"]])
def test_a_missing_secret_key_is_one_line_on_stderr_and_a_failure(command):
    result = manage(*command)  # DEBUG off (the default), no SECRET_KEY, no .env
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY is not set" in lines[0] and "DEBUG=1" in lines[0] and "Traceback" not in result.stderr


def test_the_env_file_supplies_what_the_environment_does_not(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DEBUG=0\nSECRET_KEY={PRODUCTION_KEY}\nSECURE_HSTS_SECONDS=60\n")
    settings = settings_with(DJANGO_ENV_FILE=str(env_file), SECURE_HSTS_SECONDS="120")
    assert settings["SECRET_KEY"] == PRODUCTION_KEY and not settings["DEBUG"]
    assert settings["SECURE_HSTS_SECONDS"] == 120  # the environment wins over the file


def dotenv(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "dotenv.sh"), str(path)],
        env=clean_env(PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_run_sh_writes_a_kept_env_file_that_makes_readme_commands_work(tmp_path):
    env_file = tmp_path / ".env"
    assert dotenv(env_file).returncode == 0
    first = env_file.read_text()
    assert "DEBUG=1\n" in first and (env_file.stat().st_mode & 0o077) == 0  # the key is the owner's only
    key = re.search(r"^SECRET_KEY=(\S+)$", first, re.M).group(1)
    assert len(key) >= 50
    assert dotenv(env_file).returncode == 0 and env_file.read_text() == first  # kept across runs
    # A command as the README writes it, with nothing in the environment but that file.
    result = manage("create_api_key", "--help", DJANGO_ENV_FILE=str(env_file))
    assert result.returncode == 0 and "namespace" in result.stdout, result.stderr
    assert settings_with(DJANGO_ENV_FILE=str(env_file))["SECRET_KEY"] == key


def test_run_sh_completes_an_env_file_without_overriding_it(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=0\nLOG_LEVEL=INFO")  # no final newline
    assert dotenv(env_file).returncode == 0
    lines = env_file.read_text().splitlines()
    assert lines[:2] == ["DEBUG=0", "LOG_LEVEL=INFO"] and lines[2].startswith("SECRET_KEY=") and len(lines) == 3


def test_run_sh_writes_the_env_file_which_git_ignores():
    assert "scripts/dotenv.sh" in (ROOT / "run.sh").read_text()
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, timeout=30)
    assert ignored.returncode == 0


# 6. export_data on a terminal -------------------------------------------------------------------------
class Terminal(io.StringIO):
    def isatty(self):
        return True


def export(*args, stdout=None, stderr=None):
    stdout, stderr = stdout or io.StringIO(), stderr or io.StringIO()
    try:
        call_command("export_data", *args, stdout=stdout, stderr=stderr)
        code = 0
    except CommandError as exc:
        code, stderr = exc.returncode, io.StringIO(str(exc))
    return code, stdout.getvalue(), stderr.getvalue()


def test_export_says_what_it_wrote_on_stdout(tmp_path, tenant):
    ClientFactory.create_batch(3, tenant=tenant)
    path = tmp_path / "clients.csv"
    code, out, err = export("client", "--tenant", "acme", "--output", str(path))
    assert code == 0 and err == ""  # no progress off a terminal
    assert out == f"Exported 3 rows of client to {path}.\n"
    assert len(path.read_text(encoding="utf-8-sig").splitlines()) == 4


def test_export_shows_progress_on_a_terminal(tmp_path, tenant):
    ClientFactory.create_batch(3, tenant=tenant)
    path = tmp_path / "clients.jsonl"
    code, out, err = export("client", "--tenant", "acme", "--output", str(path), stderr=Terminal())
    assert code == 0 and out.startswith("Exported 3 rows of client")
    assert err.startswith("\r") and "3 / 3 rows (100.0 %)" in err and err.endswith("\n")
    # Rows to a file through standard output: progress on the terminal.
    code, out, err = export("client", "--tenant", "acme", "--format", "csv", stderr=Terminal())
    assert code == 0 and len(out.splitlines()) == 4 and "3 / 3 rows" in err
    # Rows to the terminal itself: no progress line drawn over them.
    code, out, err = export("client", "--tenant", "acme", "--format", "csv", stdout=Terminal(), stderr=Terminal())
    assert code == 0 and len(out.splitlines()) == 4 and err == ""


def test_export_refuses_to_write_xlsx_to_a_terminal(tmp_path, tenant):
    ClientFactory(tenant=tenant)
    code, out, err = export("client", "--tenant", "acme", "--format", "xlsx", stdout=Terminal())
    assert code == 2 and out == ""
    assert err == "xlsx is a binary file: give --output FILE (or redirect standard output to a file)."
    code, out, _ = export("client", "--tenant", "acme", "--format", "xlsx")  # standard output is a file
    assert code == 0 and out.startswith("PK")  # a zip: the xlsx itself


def test_export_refuses_xlsx_to_a_real_terminal():
    """As a shell runs it, standard output a pseudo-terminal: one line, exit status 2, no bytes."""
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "export_data", "client", "--tenant", "demo", "--format", "xlsx"],
            cwd=ROOT,
            env=clean_env(DEBUG="1", DATABASE_URL="sqlite://:memory:"),
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        os.set_blocking(leader, False)
        try:
            written = os.read(leader, 4096)
        except BlockingIOError:
            written = b""
    finally:
        os.close(leader)
        os.close(follower)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "CommandError: xlsx is a binary file: give --output FILE (or redirect standard output to a file)."
    )
    assert written == b""


# 7. Each log line once ----------------------------------------------------------------------------------
@pytest.mark.parametrize("debug", ["1", "0"], ids=["debug-on", "debug-off"])
def test_a_django_request_warning_is_printed_once(debug):
    """A request Django logs (a 404) in a process configured as run.sh's: its line once on stderr."""
    probe = (
        "from django.test import Client; Client().get('/no/such/page-7f3a'); "
        "import logging; logging.getLogger('django.request').warning('probe-7f3a'); "
        "logging.getLogger('core').warning('core-probe-7f3a')"
    )
    result = manage(
        "shell",
        "-c",
        probe,
        DEBUG=debug,
        SECRET_KEY=PRODUCTION_KEY,
        DATABASE_URL="sqlite://:memory:",
        SECURE_SSL_REDIRECT="0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /no/such/page-7f3a") == 1, result.stderr
    assert result.stderr.count("probe-7f3a") - result.stderr.count("core-probe-7f3a") == 1, result.stderr
    assert result.stderr.count("core-probe-7f3a") == 1, result.stderr


# 8. run.sh says what it does ---------------------------------------------------------------------------
FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for .venv/bin/python: records each call, answers what run.sh reads.
echo "$*" >> "$(dirname "$0")/../../calls.log"
case "$*" in
    *"-m venv"*) mkdir -p .venv/bin && cp "$0" .venv/bin/python ;;
    *secrets*) echo generated-secret ;;
    *create_api_key*) echo rk_fake_key ;;
    *"manage.py shell"*) exit 1 ;;
esac
exit 0
"""


@pytest.fixture
def checkout(tmp_path):
    """run.sh and its scripts in a directory of their own, with a stand-in Python."""
    for name in ("run.sh", "scripts/venv.sh", "scripts/dotenv.sh", "requirements.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)  # with its mode: scripts are run as they are
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return tmp_path


def sh(checkout, *command) -> subprocess.CompletedProcess:
    env = clean_env(PYTHON=str(checkout / "fake-python"), PORT="8123")
    del env["DJANGO_ENV_FILE"]  # run.sh's own .env, in the checkout
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=60)


def test_venv_script_speaks_only_when_it_installs(checkout):
    source = ["bash", "-c", ". scripts/venv.sh"]
    first = sh(checkout, *source)
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == [
        "Creating the virtualenv .venv...",
        "Installing requirements in .venv (a minute or more the first time)...",
    ]
    assert "-m pip install" in (checkout / "calls.log").read_text()
    again = sh(checkout, *source)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""  # nothing to do: silent
    (checkout / "requirements.txt").write_text("Django==5.2.19\n")
    changed = sh(checkout, *source)
    assert changed.stderr.splitlines() == ["Installing requirements in .venv (a minute or more the first time)..."]


def test_run_sh_says_each_step_before_it_runs_it(checkout):
    result = sh(checkout, "./run.sh")
    assert result.returncode == 0, result.stderr
    steps = [line for line in (result.stderr + result.stdout).splitlines() if line.endswith("...")]
    assert steps == [
        "Creating the virtualenv .venv...",
        "Installing requirements in .venv (a minute or more the first time)...",
        "Migrating the database...",
        "Collecting static files...",
        "Loading demo data (once)...",
        "Checking the demo API key...",
        "Starting the server on http://127.0.0.1:8123 (Ctrl-C stops it)...",
    ]
    calls = (checkout / "calls.log").read_text().splitlines()
    commands = [call.split()[1] for call in calls if call.startswith("manage.py")]
    assert commands == ["migrate", "collectstatic", "load_demo_data", "create_api_key", "runserver"]
    assert "rk_fake_key" in result.stdout
    env_file = (checkout / ".env").read_text()
    assert env_file.splitlines()[1:] == ["DEBUG=1", "SECRET_KEY=generated-secret"]
    again = sh(checkout, "./run.sh")  # installed already: straight to the database
    assert [line for line in again.stdout.splitlines() if line.endswith("...")][0] == "Migrating the database..."
    assert again.stderr == "" and (checkout / ".env").read_text() == env_file


# 9. Demo products in believable packs -------------------------------------------------------------
EXPECTED_PACKS = {
    "Juices": ["250 ml", "1 L"],
    "Soft drinks": ["330 ml can", "1.5 L bottle"],
    "Water": ["500 ml", "1.5 L", "6 x 1.5 L"],
    "Chips": ["45 g", "150 g"],
    "Biscuits": ["100 g", "400 g family pack"],
    "Chocolate": ["40 g bar", "100 g bar"],
    "Milk": ["1 L", "2 L"],
    "Cheese": ["200 g", "500 g"],
    "Yogurt": ["125 g cup", "500 g tub"],
    "Shampoo": ["200 ml", "400 ml"],
    "Soap": ["125 g bar", "Pack of 4 bars"],
    "Toothpaste": ["75 ml", "100 ml"],
}


def test_demo_products_come_in_packs_that_fit_them():
    from sales.models import Product

    call_command("load_demo_data", "--admin-password", "demo-pass-1", stdout=io.StringIO())
    products = Product.objects.filter(tenant__namespace="demo").prefetch_related("variants", "sub_category")
    seen = set()
    for product in products:
        (kind,) = [sub.name for sub in product.sub_category.all()]
        assert product.name.endswith(f" {kind}")
        variants = sorted(product.variants.all(), key=lambda v: v.sku)
        assert [v.name for v in variants] == EXPECTED_PACKS[kind], product.name
        assert [v.is_default for v in variants] == [True] + [False] * (len(variants) - 1)  # the smallest pack
        prices = [v.price for v in variants]
        assert prices == sorted(prices) and len(set(prices)) == len(prices), product.name  # a bigger pack costs more
        seen.add(kind)
    assert seen == set(EXPECTED_PACKS)
    # No two kinds of product share their packs (toothpaste is not sold like juice).
    packs = [frozenset(names) for names in EXPECTED_PACKS.values()]
    assert len(set(packs)) == len(packs)
