#!/usr/bin/env bash
# The whole test suite against real PostgreSQL and Redis (installed and started if absent),
# the browser tests against Debian's chromium (installed if absent); without arguments, then
# scripts/deploy-check.sh (the README's production steps on throwaway servers).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/clusters -k search
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/services.sh

ensure_venv test
ensure_postgres
ensure_redis
ensure_chromium
ensure_gettext
export DJANGO_SETTINGS_MODULE=config.settings.test
# Browser tests (tests/browser) use Debian's chromium, never a downloaded one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

status=0
"$VENV/bin/python" -m pytest --create-db "$@" || status=$?
# The whole suite (no arguments) also runs the README's production steps end to end.
if [ $# -eq 0 ]; then
    scripts/deploy-check.sh || status=$?
fi
exit "$status"
