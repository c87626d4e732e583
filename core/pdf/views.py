"""Serving PDFs: the signed link's download view, and the admin's "Download PDF".

* `download(request, token)` at `/pdf/<token>`: the stored file, inline, with its filename;
  404 for a token this server did not sign (or one altered since), 410 once it has expired or
  its file was purged. No key needed: the token is the capability.
* `pdf_response(printable)` renders a document straight into an attachment response, for admin
  actions; `download_pdf_action("invoice")` is such an action, ready for a document's admin:

      actions = [download_pdf_action("invoice")]
"""

import io
import zipfile

from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from core.models import Tenant

from .documents import PrintableDocument, canonical_type, load_printable
from .links import LinkExpired, LinkInvalid, pdf_filename, read_link
from .render import PdfOptions, render_pdf

MAX_ACTION_DOCUMENTS = 100


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"success": False, "error": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def download(request, token: str):
    try:
        payload = read_link(token)
    except LinkInvalid:
        return _error(404, "Not found.")
    except LinkExpired:
        return _error(410, "This PDF link has expired; ask for a new one.")
    if not Tenant.objects.filter(pk=payload["t"], is_active=True).exists():
        return _error(404, "Not found.")
    try:
        handle = default_storage.open(payload["p"], "rb")
    except (FileNotFoundError, OSError):
        return _error(410, "This PDF is no longer available; ask for a new one.")
    response = FileResponse(handle, content_type="application/pdf", filename=payload["f"], as_attachment=False)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the URL is the capability: never pass it on
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(
    printable: PrintableDocument, *, options: PdfOptions | None = None, document_type: str = ""
) -> HttpResponse:
    """An attachment response holding the document's PDF (rendered now, not stored)."""
    rendered = render_pdf(printable, options)
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(printable, document_type)}"'
    response["Content-Length"] = str(len(rendered.content))
    response["X-PDF-Pages"] = str(rendered.pages)
    return response


def download_pdf_action(document_type: str, *, description: str = "Download PDF"):
    """An admin action printing the selected documents of `document_type` through its loader:
    one PDF for one row, a ZIP of PDFs for several (at most MAX_ACTION_DOCUMENTS)."""
    canonical = canonical_type(document_type)

    @admin.action(description=description)
    def action(modeladmin, request, queryset):
        printables = []
        for row in queryset.order_by("pk")[: MAX_ACTION_DOCUMENTS + 1]:
            printable = load_printable(document_type=canonical, tenant=row.tenant, document_id=row.pk)
            if printable is not None:
                printables.append(printable)
        if len(printables) > MAX_ACTION_DOCUMENTS:
            modeladmin.message_user(request, f"Select at most {MAX_ACTION_DOCUMENTS} documents.", messages.ERROR)
            return None
        if not printables:
            modeladmin.message_user(request, "Nothing to print.", messages.WARNING)
            return None
        if len(printables) == 1:
            return pdf_response(printables[0], document_type=canonical)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            names: set = set()
            for printable in printables:
                name = pdf_filename(printable, canonical)
                while name in names:
                    name = name[:-4] + "-1.pdf"
                names.add(name)
                archive.writestr(name, render_pdf(printable).content)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{canonical}-pdfs.zip"'
        return response

    action.__name__ = f"download_{canonical}_pdf"
    return action
