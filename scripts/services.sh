# Sourced by scripts/test.sh: make sure PostgreSQL and Redis answer on 127.0.0.1,
# installing (Debian's packages) and starting them when they are absent, and that Debian's
# chromium is there for the browser tests.
# Honours DATABASE_URL / CELERY_BROKER_URL when they are already set to a server you run.

PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}

_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

_apt_install() {
    echo "services: installing $* (Debian packages)"
    if [ -z "${_APT_UPDATED:-}" ]; then
        _as_root apt-get update -qq
        _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ]; then
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        _apt_install postgresql
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
        local version
        version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
        if [ -z "$version" ]; then
            version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
            _as_root pg_createcluster "$version" main >/dev/null
        fi
        _as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 1; done
    fi
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || { echo "services: PostgreSQL did not start" >&2; return 1; }
    # A role that may create the test databases.
    _as_root su postgres -c "psql -q -p $PG_PORT -tAc \"DO \\\$\\\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eumx') THEN
            CREATE ROLE eumx LOGIN CREATEDB PASSWORD 'eumx';
        END IF; END \\\$\\\$;\"" >/dev/null
    export DATABASE_URL="postgres://eumx:eumx@127.0.0.1:$PG_PORT/eumx"
}

ensure_redis() {
    if [ -n "${CELERY_BROKER_URL:-}" ]; then
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        _apt_install redis-server
    fi
    if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
            --save "" --appendonly no --logfile /tmp/eumx-redis-test.log
        for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || { echo "services: Redis did not start" >&2; return 1; }
    export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1"
}

ensure_chromium() {
    # The browser tests drive Debian's Chromium; Playwright never downloads one.
    if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
        _apt_install chromium
    fi
}

ensure_gettext() {
    # tests/test_i18n.py runs makemessages (xgettext) to find strings missing from the catalogue.
    if ! command -v xgettext >/dev/null 2>&1; then
        _apt_install gettext
    fi
}
