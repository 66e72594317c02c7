from django.core.management.base import BaseCommand

from dashboard import services


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollup tables from scratch from the raw coaching records."

    def handle(self, *args, **options):
        counts = services.rollup_rebuild()
        self.stdout.write(", ".join(f"{name}: {n:,} rows" for name, n in counts.items()))
