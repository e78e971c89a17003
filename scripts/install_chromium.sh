#!/usr/bin/env bash
# Debian's chromium for the end-to-end test of the interactive page (tests/test_app.py).
# Idempotent: does nothing when a chromium is already installed. Test tools' own browser
# downloads (e.g. `playwright install`) are not used: Playwright drives /usr/bin/chromium.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null || true)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get: install Chromium with your system's package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "installed: $(chromium --version 2>/dev/null || true)"
