#!/bin/sh
# Installs Debian's Chromium and its WebDriver for the browser test (crates/web/tests/browser.rs).
# The test never downloads a browser of its own. Needs root (CI runs as root).
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
