#!/usr/bin/env bash
# Install the headless browser the end-to-end admin tests drive (tests/browser/): Debian's
# chromium and chromedriver, at /usr/bin/chromium and /usr/bin/chromedriver. Idempotent: when
# both are already there it only reports their versions (no apt-get update, no network).
# Needs root on Debian 12 (or a Debian-like system with apt).
set -euo pipefail

have_browser() {
    [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]
}

if ! have_browser; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-browser.sh: chromium is missing and installing it needs root (apt-get)" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "install-browser.sh: no apt-get; install chromium and chromedriver with your package manager" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

if ! have_browser; then
    echo "install-browser.sh: chromium or chromedriver still missing after apt-get install" >&2
    exit 1
fi
# --version opens no window; it proves the binaries and their libraries load. (Debian's launcher
# script prints a harmless shell warning on some machines: shown only if the check fails.)
for binary in /usr/bin/chromium /usr/bin/chromedriver; do
    if ! version=$("$binary" --version 2>&1); then
        echo "install-browser.sh: $binary does not start:" >&2
        echo "$version" >&2
        exit 1
    fi
    echo "$version" | grep -v "unexpected operator"
done
