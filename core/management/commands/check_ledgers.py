"""`manage.py check_ledgers [--tenant NS] [--ledger NAME] [--fix]`: recompute every ledger's
projection from its entries and print each difference.

Without `--fix` it exits with status 1 when it finds any difference (it must find none); with
`--fix` it rewrites the projections from the entries, prints what it fixed and exits 0. The
ledgers are those registered in core/ledgers.py (`stock`: inventory quantity = Σ movements,
reserved quantity = Σ reservations).
"""

from django.core.management.base import BaseCommand, CommandError

from core.ledgers import check_ledgers, ledger_checkers
from core.models import Tenant


class Command(BaseCommand):
    help = "Recompute ledger projections from their entries; print differences (exit 1 when any), or --fix them."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="NS", help="Only this tenant (its company namespace).")
        parser.add_argument(
            "--ledger", action="append", metavar="NAME", help="Only this ledger (repeatable). Default: all."
        )
        parser.add_argument("--fix", action="store_true", help="Rewrite the projections from the entries.")

    def handle(self, *args, tenant=None, ledger=None, fix=False, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(namespace=tenant).first()
            if scope is None:
                raise CommandError(f"No tenant {tenant!r}.")
        known = ledger_checkers()
        unknown = [name for name in ledger or [] if name not in known]
        if unknown:
            raise CommandError(f"Unknown ledger(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        found = 0
        for difference in check_ledgers(tenant=scope, fix=fix, names=ledger):
            found += 1
            self.stdout.write(("fixed: " if fix else "") + str(difference))
        checked = ", ".join(ledger or sorted(known))
        if fix:
            self.stdout.write(f"{found} difference(s) fixed ({checked}).")
            return
        if found:
            raise CommandError(f"{found} difference(s) found ({checked}); run with --fix to rewrite the projections.")
        self.stdout.write(f"No differences ({checked}).")
