import sys

from django.core.management.base import BaseCommand

from matchmaking.matching import engine
from matchmaking.matching.suggest import batches
from matchmaking.models import Interest, MatchRun
from matchmaking.tasks import match_interests, run_matching


class Command(BaseCommand):
    help = "Re-score every active interest (after an engine change), with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Send the work to the Celery workers in batches instead of running it here.",
        )
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--stale-only",
            action="store_true",
            help="Only interests whose suggestions are missing or older than the engine.",
        )

    def handle(self, *args, enqueue: bool, batch_size: int, stale_only: bool, **options):
        interests = (
            Interest.objects.needing_match(engine.ENGINE_VERSION)
            if stale_only
            else Interest.objects.active()
        )
        ids = list(interests.order_by("pk").values_list("pk", flat=True))
        total, done, new = len(ids), 0, 0
        self._progress(done, total)
        for batch in batches(ids, max(batch_size, 1)):
            if enqueue:
                match_interests.delay(batch, MatchRun.Trigger.FULL)
            else:
                run = run_matching(
                    batch, trigger=MatchRun.Trigger.FULL, subject=f"{len(batch)} interests"
                )
                new += run.new_suggestions
            done += len(batch)
            self._progress(done, total)
        self.stdout.write("")
        verb = "enqueued" if enqueue else "re-matched"
        self.stdout.write(
            f"{total} interests {verb} (engine version {engine.ENGINE_VERSION})"
            + ("" if enqueue else f", {new} new suggestions")
        )

    def _progress(self, done: int, total: int, width: int = 40) -> None:
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        end = "\r" if sys.stdout.isatty() else "\n"
        self.stdout.write(f"[{bar}] {done}/{total}", ending=end)
        self.stdout.flush()
