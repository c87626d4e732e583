"""`manage.py load_demo_data`: tenant `demo`, its users and a realistic data set (core/demo.py).

Safe to run again: users are kept in sync, rows are added only while the tenant has no client.
Passwords come from --admin-password/--staff-password (or DEMO_ADMIN_PASSWORD /
DEMO_STAFF_PASSWORD); a user created without one gets a generated password, printed once.
"""

import os

from django.core.management.base import BaseCommand

from core import demo


class Command(BaseCommand):
    help = "Load the demo tenant, users and data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--admin-password", default=os.environ.get("DEMO_ADMIN_PASSWORD"))
        parser.add_argument("--staff-password", default=os.environ.get("DEMO_STAFF_PASSWORD"))

    def handle(self, *args, admin_password, staff_password, **options):
        result = demo.load(admin_password=admin_password or None, staff_password=staff_password or None)
        if result.created_rows:
            counts = ", ".join(f"{n} {label}" for label, n in result.counts.items())
            self.stdout.write(f"Demo data loaded into tenant {result.tenant.namespace!r}: {counts}.")
        else:
            self.stdout.write(f"Tenant {result.tenant.namespace!r} already has demo data; nothing added.")
        for username, password in result.generated_passwords.items():
            self.stdout.write(f"Created user {username!r} with password: {password}")
