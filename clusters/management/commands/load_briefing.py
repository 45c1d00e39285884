from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters.briefing import DEFAULT_PATH, BriefingError, load_briefing, read_briefing
from clusters.models import Cluster
from clusters.signals import briefing_changed


class Command(BaseCommand):
    help = (
        "Load the ECCP briefing's states, sectors and clusters (idempotent). Interests "
        "matched before re-score in the background where the load changes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_PATH)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite cluster profiles an admin has curated.",
        )

    def handle(self, *args, file: Path, force: bool, verbosity: int, **options):
        try:
            with transaction.atomic():
                report = load_briefing(read_briefing(file), force=force)
                responses = (
                    briefing_changed.send(
                        sender=Cluster,
                        cluster_ids=report.changed_cluster_ids,
                        sector_slugs=sorted(report.rules_changed_sectors),
                    )
                    if report.changes_matching
                    else []
                )
        except BriefingError as exc:
            raise CommandError(f"load_briefing: {exc}; nothing was changed") from exc
        if verbosity < 1:
            return
        self.stdout.write(f"Briefing loaded from {file}: {report}")
        if any(rescoring for _receiver, rescoring in responses):
            self.stdout.write(
                "Interests matched before this load are re-scored where it changes them, "
                "in the background (the Celery workers)."
            )
