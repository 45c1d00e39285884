#!/usr/bin/env bash
# The README's production steps (its deploy-steps block), run literally on a throwaway
# PostgreSQL and Redis on free loopback ports, then driven over HTTP (scripts/deploy_check.py
# says what it checks). Exits non-zero on any failure. The test command runs it.
# `pip install .`, the step before the block, is what scripts/venv.sh does for .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/services.sh

ensure_venv test
if ! command -v redis-server >/dev/null 2>&1; then _apt_install redis-server; fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then _apt_install postgresql; fi
exec "$VENV/bin/python" scripts/deploy_check.py
