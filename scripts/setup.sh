#!/usr/bin/env bash
# Set up a fresh machine for the tests: Chromium, Virtuoso, the package with its test
# extras in a virtual environment, axe-core. Part of the README's test command
# (and of .ci/run). Idempotent: a second run reuses the virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv

# Headless Chromium for the site's browser tests (Debian package; Playwright
# drives it, never downloads a browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

# Virtuoso 7 Open Source: the second, independent SPARQL store the remote
# backend's tests run against (Debian package; the tests start their own
# server in a temporary directory).
if ! command -v virtuoso-t >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null
  fi
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# A regular (non-editable) install: the tests exercise the package as users get it.
"$VENV/bin/python" -m pip install -q ".[test]"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .

# axe-core (accessibility checks in the browser tests), from the npm registry.
if [ -f package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi
