from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clusters.transfer import TransferError, read_table, run_import


class Command(BaseCommand):
    help = (
        "Import cluster profiles from a CSV or XLSX file (the admin's export format). "
        "Nothing is written unless every row is clean."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show the changes only."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            rows = read_table(file.read_bytes(), file.name)
        except OSError as exc:
            message = f"import_clusters: {file}: cannot read file ({exc.strerror})"
            raise CommandError(message) from exc
        except TransferError as exc:
            raise CommandError(f"import_clusters: {file}: {exc}; nothing was changed") from exc
        plan = run_import(rows, dry_run=dry_run, comment=f"import_clusters {file.name}")
        for line, reason in plan.errors:
            self.stderr.write(f"{file.name}, line {line}: {reason}")
        if plan.errors:
            raise CommandError(
                f"import_clusters: {len({line for line, _ in plan.errors})} bad rows in {file}; "
                "nothing was changed"
            )
        if options["verbosity"] > 1 or dry_run:
            for row in plan.rows:
                if row.action == "unchanged":
                    continue
                fields = ", ".join(field for field, _old, _new in row.changes)
                self.stdout.write(f"line {row.line}: {row.action} {row.profile['slug']} {fields}")
        prefix = "dry run, nothing was changed" if dry_run else "imported"
        self.stdout.write(f"import_clusters {file}: {prefix}: {plan.summary()}")
