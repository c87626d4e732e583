"""`manage.py create_api_key <namespace>`: mint an API key for a tenant.

The raw key is printed alone on the last line (scripts take it with `tail -n 1`); it is
stored hashed and cannot be shown again.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from core import services
from core.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("namespace", help="The tenant's company namespace.")
        parser.add_argument("--create-tenant", action="store_true", help="Create the tenant if it does not exist.")
        parser.add_argument("--name", default="default", help="A label for the key (default: %(default)s).")
        parser.add_argument("--no-admin", action="store_true", help="Without the admin scope (cannot manage keys).")

    def handle(self, *args, namespace, create_tenant, name, no_admin, **options):
        tenant = Tenant.objects.filter(namespace=namespace).first()
        if tenant is None:
            if not create_tenant:
                raise CommandError(f"No tenant {namespace!r}; pass --create-tenant to create it.")
            try:
                validate_slug(namespace)
            except ValidationError:
                raise CommandError(f"Invalid namespace {namespace!r}: use letters, digits, '-' and '_'.")
            tenant = services.create_tenant(namespace=namespace)
            self.stdout.write(f"Created tenant {namespace!r}.")
        elif not tenant.is_active:
            self.stderr.write(f"Warning: tenant {namespace!r} is disabled; its keys are refused until it is enabled.")
        key, raw = services.create_api_key(tenant=tenant, name=name, is_admin=not no_admin)
        scope = "non-admin" if no_admin else "admin"
        self.stdout.write(f"API key {key.name!r} ({scope}) for tenant {namespace!r}, prefix {key.prefix}:")
        self.stdout.write(raw)
