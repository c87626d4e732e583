"""Delete stored PDFs whose links have expired (core/pdf/links.py): run it daily.

    python manage.py purge_pdfs [--older-than SECONDS] [--dry-run]

A file is deleted once it is older than the link TTL (`PDF_LINK_TTL_SECONDS`, or --older-than):
no link to it works any more.
"""

import datetime as dt

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.pdf.links import STORAGE_ROOT, link_ttl


def stored_pdfs(storage=default_storage):
    """Paths of the stored PDFs: pdf/<tenant>/<random>/<filename>."""
    if not storage.exists(STORAGE_ROOT):
        return
    tenants, _ = storage.listdir(STORAGE_ROOT)
    for tenant in tenants:
        folders, _ = storage.listdir(f"{STORAGE_ROOT}/{tenant}")
        for folder in folders:
            _, files = storage.listdir(f"{STORAGE_ROOT}/{tenant}/{folder}")
            for name in files:
                yield f"{STORAGE_ROOT}/{tenant}/{folder}/{name}"


class Command(BaseCommand):
    help = "Delete stored PDFs older than the link TTL (their links no longer work)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="seconds (default: PDF_LINK_TTL_SECONDS)")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than=None, dry_run=False, **options):
        age = dt.timedelta(seconds=older_than) if older_than is not None else link_ttl()
        cutoff = timezone.now() - age
        deleted = kept = 0
        for path in list(stored_pdfs()):
            if default_storage.get_modified_time(path) < cutoff:
                if not dry_run:
                    default_storage.delete(path)
                deleted += 1
            else:
                kept += 1
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {deleted} PDF(s), kept {kept}")
