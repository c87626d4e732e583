"""`manage.py import_data <resource> <file> --tenant <namespace>`: import rows into any resource.

    python manage.py import_data client clients.csv --tenant acme
    python manage.py import_data client-channel export.json --tenant acme --update
    python manage.py import_data client clients.xlsx --tenant acme --dry-run --errors errors.csv

Rows go through the resource's serializer and services, as API writes do (core/dataio/). Exit
code: 0 when every row was imported, 1 when some row failed, 2 when the file could not be
imported at all (nothing written) or the command was misused.
"""

import contextlib
import csv
import os
import shutil
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from core.dataio import FORMATS, ImportOptions, Progress, UnknownResource, get_resource, import_file
from core.dataio.report import ImportReport
from core.models import Tenant


class Command(BaseCommand):
    help = "Import rows of a resource (named as in its API path) from a csv, json, jsonl or xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("resource", help="The resource, as in its API path (client, client-channel, ...).")
        parser.add_argument("file", help="The file to import ('-' reads standard input).")
        parser.add_argument("--tenant", required=True, help="The tenant's company namespace.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file's extension.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument("--update", action="store_true", help="Update rows that already exist.")
        existing.add_argument("--skip-existing", action="store_true", help="Leave rows that already exist.")
        parser.add_argument("--errors", metavar="FILE", help="Write every failed row (row, field, message) as CSV.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction (%(default)s).")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(namespace=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.", returncode=2)
        try:
            resource = get_resource(options["resource"])
        except UnknownResource as exc:
            raise CommandError(str(exc), returncode=2)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        path, fmt, spooled = options["file"], options["format"], None
        if path == "-":
            if not fmt:
                raise CommandError("Reading standard input needs --format.", returncode=2)
            spooled = path = self._spool_stdin()
        elif not os.path.exists(path):
            raise CommandError(f"No such file: {path}", returncode=2)
        elif not os.path.isfile(path):
            raise CommandError(f"Not a file: {path}", returncode=2)
        mode = "update" if options["update"] else "skip" if options["skip_existing"] else "create"
        with contextlib.ExitStack() as stack:
            if spooled:
                stack.callback(os.unlink, spooled)
            sink = None
            if options["errors"]:
                try:
                    errors_file = stack.enter_context(open(options["errors"], "w", newline="", encoding="utf-8"))
                except OSError as exc:
                    raise CommandError(f"Cannot write --errors {options['errors']}: {exc.strerror}.", returncode=2)
                writer = csv.writer(errors_file)
                writer.writerow(["row", "field", "message"])
                sink = lambda error: writer.writerow([error.row, error.field, error.message])  # noqa: E731
            report = ImportReport(resource.name, dry_run=options["dry_run"], error_sink=sink)
            stderr = getattr(self.stderr, "_out", sys.stderr)
            import_file(
                resource=resource,
                tenant=tenant,
                path=path,
                fmt=fmt,
                options=ImportOptions(mode=mode, dry_run=options["dry_run"], batch_size=options["batch_size"]),
                report=report,
                progress=Progress(stderr, None),
            )
        out = self.stderr if report.file_errors else self.stdout
        for line in report.lines():
            out.write(line)
        if report.exit_code:
            sys.exit(report.exit_code)

    @staticmethod
    def _spool_stdin() -> str:
        handle, path = tempfile.mkstemp(prefix="import-", suffix=".upload")
        with os.fdopen(handle, "wb") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
        return path
