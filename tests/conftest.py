import pytest
from django.core.management import call_command


@pytest.fixture
def briefing(db):
    """The whole briefing loaded, as `manage.py load_briefing` loads it."""
    call_command("load_briefing", verbosity=0)
