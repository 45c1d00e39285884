"""Imported only by the fault tests' workers (``CELERY_EXTRA_IMPORTS``): a poison message.

Matching an interest titled ``POISON_TITLE`` kills the worker process running the task, the
way a crash in native code or the OOM killer would: ``os._exit``, no exception, no clean-up.
Production code has no hook for this; this module wraps ``matchmaking.tasks.run_matching``
in the worker's main process before it forks its pool.
"""

import os

from django.core.cache import cache

from matchmaking import tasks
from matchmaking.models import Interest
from tests.reliability.workload import POISON_KILLS_KEY as KILLS
from tests.reliability.workload import POISON_TITLE

_run_matching = tasks.run_matching


def run_matching(interest_ids, **kwargs):
    if Interest.objects.filter(pk__in=list(interest_ids), title=POISON_TITLE).exists():
        cache.add(KILLS, 0, 3600)
        cache.incr(KILLS)  # counted for the test, then no clean-up at all
        os._exit(1)
    return _run_matching(interest_ids, **kwargs)


tasks.run_matching = run_matching
