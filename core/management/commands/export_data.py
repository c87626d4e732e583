"""`manage.py export_data <resource> --tenant <namespace> --format csv|json|jsonl|xlsx [--output FILE]`.

Documents as the API renders them, streamed in id order (standard output by default). What it
writes, import_data reads back to the same rows. With --output it says "Exported N rows of
<resource> to <file>." on standard output, and shows its progress on a terminal's standard error.
An xlsx file is never written to a terminal: give --output there.
"""

import io
import os
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from core.dataio import FORMATS, Progress, UnknownResource, export_resource, get_resource
from core.dataio.readers import guess_format
from core.dataio.writers import ExportError
from core.models import Tenant


class Command(BaseCommand):
    help = "Export a resource's rows (named as in its API path) as csv, json, jsonl or xlsx."

    def add_arguments(self, parser):
        parser.add_argument("resource", help="The resource, as in its API path (client, client-channel, ...).")
        parser.add_argument("--tenant", required=True, help="The tenant's company namespace.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from --output's extension.")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, **options):
        output = options["output"]
        fmt = options["format"] or (guess_format(output) if output else None)
        if fmt is None:
            raise CommandError(f"Give --format ({'|'.join(FORMATS)}).", returncode=2)
        out = getattr(self.stdout, "_out", sys.stdout)
        if not output and fmt == "xlsx" and _isatty(out):
            raise CommandError(
                "xlsx is a binary file: give --output FILE (or redirect standard output to a file).", returncode=2
            )
        tenant = Tenant.objects.filter(namespace=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.", returncode=2)
        try:
            resource = get_resource(options["resource"])
        except UnknownResource as exc:
            raise CommandError(str(exc), returncode=2)
        # Progress on a terminal's standard error, unless the rows themselves go to that terminal.
        stderr = getattr(self.stderr, "_out", sys.stderr)
        progress = Progress(stderr, None, enabled=_isatty(stderr) and bool(output or not _isatty(out)))
        if not output:
            stream = getattr(out, "buffer", None)
            try:
                if stream is None:  # a text stream without bytes underneath (call_command's StringIO)
                    stream = io.BytesIO()
                    export_resource(resource, tenant, fmt, stream, progress=progress)
                    out.write(stream.getvalue().decode("utf-8", "replace"))
                    return
                export_resource(resource, tenant, fmt, stream, progress=progress)
            except ExportError as exc:
                raise CommandError(str(exc), returncode=2)
            stream.flush()
        else:
            # Written beside the target and moved into place: a failed export leaves no half file.
            directory = os.path.dirname(os.path.abspath(output))
            try:
                handle, partial = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=f".{fmt}")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}.", returncode=2)
            try:
                with os.fdopen(handle, "wb") as stream:
                    count = export_resource(resource, tenant, fmt, stream, bom=True, progress=progress)
                os.replace(partial, output)
            except ExportError as exc:
                os.unlink(partial)
                raise CommandError(str(exc), returncode=2)
            except BaseException:
                os.unlink(partial)
                raise
            self.stdout.write(f"Exported {count:,} rows of {resource.name} to {output}.")


def _isatty(stream) -> bool:
    return bool(getattr(stream, "isatty", None) and stream.isatty())
