#!/usr/bin/env bash
# Run the test suite: ./test.sh [pytest args]. SQLite by default; PostgreSQL when DATABASE_URL
# is set (pytest-django creates the test database). Exit code = pytest's ("no tests" fails).
set -euo pipefail
cd "$(dirname "$0")"

# Bootstrap: a virtualenv with the pinned requirements (reinstalled only when they change).
if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv || {
        rm -rf .venv
        echo "Could not create .venv (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
stamp=".venv/.requirements.sha256"
if ! sha256sum --status -c "$stamp" 2>/dev/null; then
    .venv/bin/python -m pip install -qq --disable-pip-version-check -r requirements.txt
    sha256sum requirements.txt > "$stamp"
fi

# The whole suite unless paths are given (./test.sh tests/test_admin.py -k staff).
targets=(tests)
for arg in "$@"; do
    case "$arg" in -*) ;; *) if [ -e "${arg%%::*}" ]; then targets=(); fi ;; esac
done

status=0
.venv/bin/python -m pytest "${targets[@]}" -n auto "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
