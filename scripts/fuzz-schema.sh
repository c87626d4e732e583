#!/usr/bin/env bash
# Schema fuzzing: schemathesis against a live server on PostgreSQL, over every documented
# operation (reads and writes, on the demo tenant). Fails on any finding: a server error, an
# answer whose body does not match the OpenAPI document, or an undocumented status code.
#
#   scripts/fuzz-schema.sh                      # the bounded CI run (a few minutes on 2 cores)
#   FUZZ_MAX_EXAMPLES=100 FUZZ_MAX_TIME=3600 scripts/fuzz-schema.sh   # longer
#   scripts/fuzz-schema.sh --include-path-regex '^/v1/client'         # extra schemathesis args
#
# The checks and phases are in schemathesis.toml; these variables set the rest:
#   FUZZ_DATABASE_URL  database dropped and recreated for the run
#                      (default postgres://postgres@127.0.0.1:5432/backoffice_fuzz)
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 10)
#   FUZZ_MAX_TIME      seconds of testing (default 300): the phases repeat with new cases until it is spent
#   FUZZ_SEED          hypothesis seed (default: random; the report prints the one used)
#   FUZZ_WORKERS       concurrent schemathesis workers (default 2)
#   FUZZ_REPORT_DIR    where the JUnit report goes (default fuzz-report/)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
py="$PWD/.venv/bin/python"

# schemathesis lives in its own virtualenv: it only speaks HTTP to the server.
fuzz_venv=.venv-fuzz
if [ ! -x "$fuzz_venv/bin/schemathesis" ] || ! sha256sum --status -c "$fuzz_venv/.requirements.sha256" 2>/dev/null; then
    "${PYTHON:-python3}" -m venv "$fuzz_venv"
    "$fuzz_venv/bin/python" -m pip install -qq --disable-pip-version-check -r requirements-fuzz.txt
    sha256sum requirements-fuzz.txt > "$fuzz_venv/.requirements.sha256"
fi

export DATABASE_URL="${FUZZ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_fuzz}"
# Production settings (DEBUG off) over plain HTTP on the loopback: no redirect to HTTPS.
export DEBUG=0 SECRET_KEY="fuzz-only-secret-key-$RANDOM$RANDOM" ALLOWED_HOSTS="127.0.0.1,localhost"
export SECURE_SSL_REDIRECT=0
export LOG_LEVEL="${LOG_LEVEL:-ERROR}"

echo "--- fuzz: fresh database"
"$py" - <<'PY'
import os
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
admin = url._replace(path="/postgres").geturl()
with psycopg.connect(admin, autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY
"$py" manage.py migrate --noinput -v0
"$py" manage.py load_demo_data --admin-password "fuzz-$RANDOM$RANDOM" --staff-password "fuzz-$RANDOM$RANDOM" >/dev/null
FUZZ_API_KEY="$("$py" manage.py create_api_key demo --name "schema fuzzing" | tail -n 1)"
export FUZZ_API_KEY

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
log="$(mktemp -t fuzz-server.XXXXXX.log)"
echo "--- fuzz: server on $base (log: $log)"
# No request-line or header size limit: gunicorn answers those itself with an HTML page that no
# API document describes; the fuzzer's long query strings are for the application to judge.
# --max-requests 0: gunicorn.conf.py (read by default) recycles a worker every ~5,000 requests, and a
# request arriving on a kept-alive connection as its worker exits is reset (a race of HTTP keep-alive
# that clients retry, but schemathesis reports as a network error); recycling is not under test here.
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 60 --max-requests 0 \
    --header-map dangerous --limit-request-line 0 --limit-request-field_size 0 >"$log" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; }
trap stop_server EXIT

# Wait for the health check (at most ~30 s).
for _ in $(seq 60); do
    if "$py" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('$base/healthz', timeout=2).status != 200)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "fuzz: the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done

report_dir="${FUZZ_REPORT_DIR:-fuzz-report}"
args=(
    --max-examples "${FUZZ_MAX_EXAMPLES:-10}"
    --max-time "${FUZZ_MAX_TIME:-300}"
    --workers "${FUZZ_WORKERS:-2}"
    --report junit --report-dir "$report_dir"
)
[ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")

echo "--- fuzz: schemathesis ($(date -u +%H:%M:%S) UTC)"
started=$SECONDS
status=0
"$fuzz_venv/bin/schemathesis" --config-file schemathesis.toml run "$base/api/schema/?format=json" \
    "${args[@]}" "$@" || status=$?
echo "--- fuzz: schemathesis finished in $((SECONDS - started)) s with status $status"
if ! "$py" -c "import os, sys, urllib.request
request = urllib.request.Request('$base/v1/tag', headers={'Authorization': 'Bearer ' + os.environ['FUZZ_API_KEY']})
sys.exit(urllib.request.urlopen(request, timeout=10).status != 200)" 2>/dev/null; then
    echo "fuzz: the fuzzing key no longer works: the run's answers after its loss were only 401s" >&2
    status=1
fi
if grep -q -E "Internal Server Error|Traceback" "$log"; then
    echo "fuzz: the server log has errors ($log):" >&2
    grep -n -B2 -A30 "Traceback" "$log" | head -200 >&2
    status=1
fi
exit "$status"
