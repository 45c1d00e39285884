import pytest
from django.core.management import call_command


@pytest.fixture
def briefing(db):
    """The whole briefing loaded, as `manage.py load_briefing` loads it."""
    call_command("load_briefing", verbosity=0)


@pytest.fixture(autouse=True)
def _clear_shared_cache(request):
    """Throttle counts live in the shared cache (a database table kept by --reuse-db):
    every test that uses the database starts with it empty."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            from django.core.cache import cache

            cache.clear()
            break
