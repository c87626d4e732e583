#!/usr/bin/env bash
# Writes the development .env that every `python manage.py ...` in this checkout reads
# (config/settings.py; variables set in the environment win over it): DEBUG=1 and a generated
# SECRET_KEY, each added only when the file lacks it, so the key stays the same across runs.
#   scripts/dotenv.sh [FILE]    (default: $DJANGO_ENV_FILE, else .env in the project; git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-${DJANGO_ENV_FILE:-.env}}"

added=()
if ! grep -q -E '^[[:space:]]*(export[[:space:]]+)?DEBUG=' "$file" 2>/dev/null; then
    added+=("DEBUG=1")
fi
if ! grep -q -E '^[[:space:]]*(export[[:space:]]+)?SECRET_KEY=' "$file" 2>/dev/null; then
    added+=("SECRET_KEY=$("${PYTHON:-python3}" -c 'import secrets; print(secrets.token_urlsafe(50))')")
fi
[ "${#added[@]}" -eq 0 ] && exit 0

if [ ! -e "$file" ]; then
    (umask 077 && printf '# Development settings written by run.sh (git-ignored); the environment wins over them.\n' >"$file")
elif [ -s "$file" ] && [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" != '\n' ]; then
    printf '\n' >>"$file"
fi
printf '%s\n' "${added[@]}" >>"$file"
echo "Wrote ${added[*]%%=*} to $file"
