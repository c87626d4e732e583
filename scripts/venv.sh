# Sourced by run.sh and test.sh: a virtualenv in .venv with the pinned requirements,
# reinstalled only when requirements.txt changes. Says so (on stderr) only when it does something.
if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtualenv .venv..." >&2
    "${PYTHON:-python3}" -m venv .venv || {
        rm -rf .venv
        echo "Could not create .venv (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
stamp=".venv/.requirements.sha256"
if ! sha256sum --status -c "$stamp" 2>/dev/null; then
    echo "Installing requirements in .venv (a minute or more the first time)..." >&2
    .venv/bin/python -m pip install -qq --disable-pip-version-check -r requirements.txt
    sha256sum requirements.txt > "$stamp"
fi
