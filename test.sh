#!/usr/bin/env bash
# Run the test suite: ./test.sh [pytest args]. SQLite by default; PostgreSQL when DATABASE_URL
# is set (pytest-django creates the test database). Exit code = pytest's ("no tests" fails).
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/venv.sh
. scripts/venv.sh

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
