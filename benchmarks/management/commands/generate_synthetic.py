import sys
import time

from django.core.management.base import BaseCommand, CommandError

from benchmarks.synthetic import SyntheticError, generate


class Command(BaseCommand):
    help = (
        "Replace the synthetic data with reproducible synthetic clusters and organisations "
        "that follow the briefing's distributions (needs the briefing loaded). "
        "Remove them with remove_synthetic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1000)
        parser.add_argument("--organisations", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, clusters: int, organisations: int, seed: int, **options):
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        try:
            report = generate(
                clusters=clusters, organisations=organisations, seed=seed, progress=self._progress
            )
        except SyntheticError as exc:
            raise CommandError(f"generate_synthetic: {exc}; nothing was changed") from exc
        if organisations and self.verbosity >= 1 and sys.stdout.isatty():
            self.stdout.write("")
        removed = report.removed
        if any(removed.get(kind) for kind in ("clusters", "organisations")):
            self.stdout.write(
                f"Replaced {removed['clusters']} synthetic clusters and "
                f"{removed['organisations']} synthetic organisations."
            )
        self.stdout.write(
            f"Generated {report} (seed {seed}) in {time.monotonic() - started:.1f}s. "
            "Remove with: python manage.py remove_synthetic"
        )

    def _progress(self, done: int, total: int) -> None:
        if self.verbosity < 1:
            return
        end = "\r" if sys.stdout.isatty() else "\n"
        self.stdout.write(f"organisations: {done}/{total}", ending=end)
        self.stdout.flush()
