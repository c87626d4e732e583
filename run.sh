#!/usr/bin/env bash
# One command to try the back office: ./run.sh (then open the admin URL it prints).
# Installs the requirements in .venv, migrates the database (SQLite unless DATABASE_URL is set),
# loads the demo data once and serves on 127.0.0.1:${PORT:-8000} with DEBUG on.
# The demo logins and API key are kept in .demo-credentials (git-ignored), stable across runs;
# .env (git-ignored) gives later `python manage.py ...` commands DEBUG=1 and a secret key.
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
py=.venv/bin/python
# .env (git-ignored, kept): DEBUG=1 and a generated SECRET_KEY for every `python manage.py ...`
# run later in this checkout, as the README writes them.
PYTHON="$py" scripts/dotenv.sh
export DEBUG="${DEBUG:-1}"
port="${PORT:-8000}"

echo "Migrating the database..."
$py manage.py migrate --noinput -v0
echo "Collecting static files..."
$py manage.py collectstatic --noinput -v0

credentials=.demo-credentials
DEMO_ADMIN_PASSWORD="" DEMO_STAFF_PASSWORD="" DEMO_API_KEY=""
# shellcheck disable=SC1090
[ -f "$credentials" ] && . "./$credentials"
new_password() { $py -c 'import secrets; print(secrets.token_urlsafe(12))'; }
DEMO_ADMIN_PASSWORD="${DEMO_ADMIN_PASSWORD:-$(new_password)}"
DEMO_STAFF_PASSWORD="${DEMO_STAFF_PASSWORD:-$(new_password)}"
export DEMO_ADMIN_PASSWORD DEMO_STAFF_PASSWORD

echo "Loading demo data (once)..."
$py manage.py load_demo_data

# Keep the stored key while it still authenticates; mint a new one if it is missing or revoked.
echo "Checking the demo API key..."
if [ -z "$DEMO_API_KEY" ] || ! DEMO_API_KEY="$DEMO_API_KEY" $py manage.py shell -v 0 -c \
    "import os, sys; from core.api.auth import authenticate_key; sys.exit(0 if authenticate_key(os.environ['DEMO_API_KEY']) else 1)"; then
    DEMO_API_KEY="$($py manage.py create_api_key demo --name "run.sh demo key" | tail -n 1)"
fi

(umask 077 && cat > "$credentials") <<CREDENTIALS
# Demo logins and API key written by run.sh (git-ignored). Delete this file to get new ones.
DEMO_ADMIN_PASSWORD='$DEMO_ADMIN_PASSWORD'
DEMO_STAFF_PASSWORD='$DEMO_STAFF_PASSWORD'
DEMO_API_KEY='$DEMO_API_KEY'
CREDENTIALS

base="http://127.0.0.1:$port"
cat <<INFO

  Home:      $base/
  Admin:     $base/admin/
             superuser  admin / $DEMO_ADMIN_PASSWORD
             staff      demo-staff / $DEMO_STAFF_PASSWORD   (tenant "demo" only)
  API docs:  $base/api/docs/   (ReDoc: $base/api/redoc/)
  API key:   $DEMO_API_KEY
  Try:       curl -H "Authorization: Bearer $DEMO_API_KEY" "$base/v1/client?per_page=5"
  (credentials are kept in $credentials)

INFO
echo "Starting the server on $base (Ctrl-C stops it)..."
exec $py manage.py runserver "127.0.0.1:$port"
