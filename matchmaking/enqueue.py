"""Enqueue tasks after the surrounding transaction commits, never failing the request.

If the broker is unreachable the change is already saved; the periodic sweep finds every
interest whose suggestions are missing or stale and matches it once the broker is back.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    def send():
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep catches up later
            logger.warning(
                "broker unavailable: %s%r not enqueued; the sweep will catch up",
                task.name,
                args,
                exc_info=True,
            )

    transaction.on_commit(send)
