#!/usr/bin/env bash
# Run the site on the embedded default: SQLite file in var/, briefing loaded, and a real
# Celery worker (with beat) beside Django's server, through kombu's filesystem broker.
# No server to install. Stop with Ctrl-C (the worker stops with it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

ensure_venv test
export DJANGO_SETTINGS_MODULE=config.settings.dev
unset DATABASE_URL CELERY_BROKER_URL
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

"$VENV/bin/python" manage.py migrate --noinput -v 0
"$VENV/bin/python" manage.py createcachetable
"$VENV/bin/python" manage.py load_briefing

"$VENV/bin/celery" -A config worker --beat --pool=solo --loglevel=INFO \
    --schedule var/celerybeat-schedule --hostname "embedded@%h" &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null; wait "$WORKER" 2>/dev/null' EXIT INT TERM

echo "Site: http://$HOST:$PORT/  (admin: create an account with"
echo "  .venv/bin/python manage.py createsuperuser)"
"$VENV/bin/python" manage.py runserver "$HOST:$PORT"
