from django.core.management.base import BaseCommand

from core import tokens


class Command(BaseCommand):
    help = "Delete expired refresh tokens (used ones are kept until they expire, to detect reuse)."

    def handle(self, *args, **options):
        deleted = tokens.purge_expired_refresh_tokens()
        self.stdout.write(f"Deleted {deleted} expired refresh token(s).")
