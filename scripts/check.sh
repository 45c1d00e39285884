#!/usr/bin/env bash
# Static checks: ruff, missing migrations, Django's system checks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv test
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
mkdir -p var  # the default SQLite database's folder: makemigrations reads its history
DJANGO_SETTINGS_MODULE=config.settings.test "$VENV/bin/python" manage.py makemigrations --check --dry-run
DJANGO_SETTINGS_MODULE=config.settings.test "$VENV/bin/python" manage.py check
