from django.core.management.base import BaseCommand

from benchmarks.synthetic import remove


class Command(BaseCommand):
    help = "Delete every synthetic cluster, organisation, interest and suggestion (only those)."

    def handle(self, *args, **options):
        counts = remove()
        self.stdout.write(
            f"Removed {counts['clusters']} synthetic clusters, {counts['organisations']} "
            f"synthetic organisations, {counts['interests']} interests and "
            f"{counts['suggestions']} suggestions; {counts['real_interests_rematched']} real "
            "interests that had synthetic suggestions will be matched again."
        )
