"""Fixtures for the whole suite, and the suite's median test time.

The briefing is loaded once per session (``load_briefing``, in a transaction rolled back at
once); each test that asks for ``briefing`` gets the same rows written back in a handful of
bulk inserts inside its own transaction, which is rolled back after it like any other.
"""

import os
import statistics
import time

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import sql

# --- The briefing, loaded once ---------------------------------------------------------------


def _table_counts() -> dict[type[models.Model], int]:
    return {
        model: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _columns(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@pytest.fixture(scope="session")
def briefing_rows(django_db_setup, django_db_blocker):
    """Every row ``load_briefing`` writes into an empty database, per model, as loaded once
    for the session (the load itself is rolled back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        before = _table_counts()
        call_command("load_briefing", verbosity=0)
        rows = {
            model: list(model._base_manager.order_by("pk").values_list(*_columns(model)))
            for model, count in _table_counts().items()
            if count != before[model]
        }
        transaction.set_rollback(True)
    return rows


def insert_statements(rows) -> list[tuple[str, tuple | None]]:
    """SQL that inserts ``briefing_rows`` as they were (same primary keys), then moves the id
    sequences past them, so that rows a test creates get new ids. Built once a session; on
    PostgreSQL one script with the values inlined (one round trip a test)."""
    statements = []
    for model, values in rows.items():
        columns, fields = _columns(model), model._meta.concrete_fields
        objs = [model(**dict(zip(columns, row, strict=True))) for row in values]
        size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
        for start in range(0, len(objs), size):
            query = sql.InsertQuery(model)
            query.insert_values(fields, objs[start : start + size])
            statements += query.get_compiler(connection=connection).as_sql()
    statements += [(statement, None) for statement in
                   connection.ops.sequence_reset_sql(no_style(), list(rows))]  # fmt: skip
    if connection.vendor == "postgresql":
        script = ";\n".join(connection.ops.compose_sql(text, params) for text, params in statements)
        return [(script, None)]
    return statements


@pytest.fixture(scope="session")
def _briefing_statements(briefing_rows, django_db_blocker) -> list[tuple[str, tuple | None]]:
    with django_db_blocker.unblock():
        return insert_statements(briefing_rows)


@pytest.fixture
def briefing(db, _briefing_statements):
    """The whole briefing loaded, as `manage.py load_briefing` loads it."""
    with connection.cursor() as cursor:
        for statement, params in _briefing_statements:
            cursor.execute(statement, params)


# --- PostgreSQL-only tests -------------------------------------------------------------------


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("postgresql")
    if marker is not None and connection.vendor != "postgresql":
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        pytest.skip(f"needs PostgreSQL: {reason}" if reason else "needs PostgreSQL")


@pytest.fixture(autouse=True)
def _clear_shared_cache(request):
    """Throttle counts live in the shared cache (a database table kept by --reuse-db):
    every test that uses the database starts with it empty, and with no cached page."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            from django.core.cache import cache, caches

            cache.clear()
            # The directory's page cache is per process: a page cached by an earlier test
            # under the same version token would hide this test's response context.
            caches["pages"].clear()
            # The first token read in a process also checks that the token table exists
            # (one more query): done here, so that no test's query count depends on order.
            from clusters import data_version

            data_version.current()
            break


# --- The median test time --------------------------------------------------------------------

# Not counted: real browsers, real services under faults, and fuzzing are slow by design.
UNTIMED_DIRECTORIES = ("tests/browser/", "tests/reliability/")
UNTIMED_MARKERS = ("browser", "fuzz", "slow")
_durations: dict[str, float] = {}  # wall-clock seconds, setup + call + teardown
_cpu: dict[str, float] = {}  # CPU seconds of this process over the same
_skipped: set[str] = set()


def _timed(item) -> bool:
    path = item.nodeid.split("::")[0]
    return not path.startswith(UNTIMED_DIRECTORIES) and not any(
        item.get_closest_marker(name) for name in UNTIMED_MARKERS
    )


def pytest_collection_modifyitems(config, items):
    config._timed_tests = {item.nodeid for item in items if _timed(item)}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.process_time()
    try:
        return (yield)
    finally:
        _cpu[item.nodeid] = time.process_time() - started


def pytest_runtest_logreport(report):
    """A test's time is its setup, call and teardown (fixtures such as ``briefing`` count)."""
    if report.skipped:
        _skipped.add(report.nodeid)
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter, config):
    """The median test time, printed at the end of every run. The CPU time of the pytest
    process beside it says how much of the wall-clock time a busy machine added (it leaves
    out PostgreSQL's own work)."""
    timed = getattr(config, "_timed_tests", set()) - _skipped
    nodeids = [nodeid for nodeid in _durations if nodeid in timed]
    if not nodeids:
        return
    wall = statistics.median(_durations[nodeid] for nodeid in nodeids) * 1000
    cpu = statistics.median(_cpu.get(nodeid, 0.0) for nodeid in nodeids) * 1000
    load = os.getloadavg()[0]
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    terminalreporter.write_line(
        f"median test time: {wall:.1f} ms (CPU of the test process: {cpu:.1f} ms) over "
        f"{len(nodeids)} tests on {database}; setup + call + teardown, browser, reliability "
        f"and fuzz tests not counted; load average {load:.1f} on {os.cpu_count()} CPUs"
    )
