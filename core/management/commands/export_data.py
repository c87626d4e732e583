"""`manage.py export_data <resource> --tenant <namespace> --format csv|json|jsonl|xlsx [--output FILE]`.

Documents as the API renders them, streamed in id order (standard output by default). What it
writes, import_data reads back to the same rows.
"""

import io
import os
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from core.dataio import FORMATS, UnknownResource, export_resource, get_resource
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
        tenant = Tenant.objects.filter(namespace=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.", returncode=2)
        try:
            resource = get_resource(options["resource"])
        except UnknownResource as exc:
            raise CommandError(str(exc), returncode=2)
        output = options["output"]
        fmt = options["format"] or (guess_format(output) if output else None)
        if fmt is None:
            raise CommandError(f"Give --format ({'|'.join(FORMATS)}).", returncode=2)
        if not output:
            out = getattr(self.stdout, "_out", sys.stdout)
            stream = getattr(out, "buffer", None)
            try:
                if stream is None:  # a text stream without bytes underneath (call_command's StringIO)
                    stream = io.BytesIO()
                    export_resource(resource, tenant, fmt, stream)
                    out.write(stream.getvalue().decode("utf-8", "replace"))
                    return
                export_resource(resource, tenant, fmt, stream)
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
                    count = export_resource(resource, tenant, fmt, stream, bom=True)
                os.replace(partial, output)
            except ExportError as exc:
                os.unlink(partial)
                raise CommandError(str(exc), returncode=2)
            except BaseException:
                os.unlink(partial)
                raise
            self.stderr.write(f"Exported {count:,} {resource.name} rows to {output}.")
