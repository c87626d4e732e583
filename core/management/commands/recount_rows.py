from django.core.management.base import BaseCommand

from core import rowcounts


class Command(BaseCommand):
    help = "Rebuild the kept row counts behind list totals (after a TRUNCATE, a restore or raw SQL loads)."

    def handle(self, *args, **options):
        installed = rowcounts.install()
        rowcounts.recount()
        self.stdout.write(f"Recounted {len(rowcounts.counted_tables())} tables ({len(installed)} newly counted).")
