#!/usr/bin/env bash
# Set up a fresh machine and run the main job: the embedded store with demo
# data, the API and the catalogue site on http://127.0.0.1:8000/.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q .
exec "$VENV/bin/credgraph" demo "$@"
