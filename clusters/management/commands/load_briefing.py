from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clusters.briefing import DEFAULT_PATH, BriefingError, load_briefing, read_briefing


class Command(BaseCommand):
    help = "Load the ECCP briefing's states, sectors and clusters (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_PATH)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite cluster profiles an admin has curated.",
        )

    def handle(self, *args, file: Path, force: bool, verbosity: int, **options):
        try:
            report = load_briefing(read_briefing(file), force=force)
        except BriefingError as exc:
            raise CommandError(f"load_briefing: {exc}; nothing was changed") from exc
        if verbosity < 1:
            return
        self.stdout.write(f"Briefing loaded from {file}: {report}")
        if report.changes_matching:
            self.stdout.write(
                "Suggestions stored before this load do not reflect it: if interests were "
                "matched already, run `python manage.py rematch`."
            )
