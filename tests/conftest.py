import pytest
from django.core.management import call_command


@pytest.fixture
def briefing(db):
    """The whole briefing loaded, as `manage.py load_briefing` loads it."""
    call_command("load_briefing", verbosity=0)


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
