"""PDFs of documents behind signed, expiring links.

`generate_pdf` renders the tenant's document, stores the file with Django's storage API (the
default storage, under `pdf/<tenant id>/<32 random hex digits>/<filename>`) and signs a token
(`django.core.signing`, salted) that names the tenant, the stored file, its filename and when it
expires (`PDF_LINK_TTL_SECONDS` after generation, default 86400). The token is the capability:
`/pdf/<token>` serves the file to whoever holds it until then, without a key.

Why store rather than regenerate on each download: the answer states the file's `size` and
`pages`, and a document's printable form can still change after the link is given (a voided
invoice, a cancelled proforma, a renamed client); the stored file is exactly the one described.
Stored files outlive their links; `python manage.py purge_pdfs` deletes those older than the TTL.

A token that was tampered with (or signed with another key) reads as unknown (404); one past its
expiry as gone (410).
"""

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.models.base import now_ms

from .documents import PrintableDocument, canonical_type, load_printable
from .render import PdfOptions, render_pdf

SALT = "core.pdf.link"
STORAGE_ROOT = "pdf"
DEFAULT_TTL_SECONDS = 86400


class DocumentNotFound(LookupError):
    """The tenant has no document of that type with that id."""


class LinkInvalid(Exception):
    """Not a token this server signed (or altered since)."""


class LinkExpired(Exception):
    """A genuine token past its expiry."""


@dataclass
class PdfFile:
    token: str
    path: str  # in the default storage
    filename: str
    size: int
    pages: int
    generated_at: dt.datetime
    expires_at: dt.datetime


def link_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "PDF_LINK_TTL_SECONDS", DEFAULT_TTL_SECONDS))


def pdf_filename(document: PrintableDocument, document_type: str = "") -> str:
    """`invoice-INV-2024-001001.pdf`: the type (or title) and the serial, in safe characters."""
    stem = f"{document_type or document.title}-{document.serial}".strip("-")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:120] or "document"
    return f"{stem}.pdf"


def store_pdf(
    *, tenant, document: PrintableDocument, options: PdfOptions, document_type: str = "", now=None
) -> PdfFile:
    """Render `document`, store it and sign a link to it."""
    rendered = render_pdf(document, options)
    filename = pdf_filename(document, document_type)
    path = default_storage.save(
        f"{STORAGE_ROOT}/{tenant.pk}/{secrets.token_hex(16)}/{filename}", ContentFile(rendered.content)
    )
    generated = now or now_ms()
    expires = generated + link_ttl()
    payload = {"t": str(tenant.pk), "p": path, "f": filename, "e": int(expires.timestamp() * 1000)}
    token = signing.dumps(payload, salt=SALT, compress=True)
    return PdfFile(token, path, filename, len(rendered.content), rendered.pages, generated, expires)


def generate_pdf(*, tenant, document_type: str, document_id, options: PdfOptions, now=None) -> PdfFile:
    """The PDF of the tenant's document behind a signed link. DocumentNotFound when the tenant
    has no such document; UnknownDocumentType / NoLoader (core.pdf.documents) when the type cannot
    be printed."""
    document = load_printable(document_type=document_type, tenant=tenant, document_id=document_id)
    if document is None:
        raise DocumentNotFound(document_id)
    return store_pdf(
        tenant=tenant, document=document, options=options, document_type=canonical_type(document_type), now=now
    )


def read_link(token: str, *, now: float | None = None) -> dict:
    """The payload of a token: `{t: tenant id, p: stored path, f: filename, e: expiry (epoch ms)}`.
    `now` (epoch seconds) stands for the current time, for tests."""
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError):  # ValueError: a corrupted compressed payload
        raise LinkInvalid() from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("t"), str)
        and isinstance(payload.get("p"), str)
        and isinstance(payload.get("f"), str)
        and isinstance(payload.get("e"), int)
        and payload["p"].startswith(f"{STORAGE_ROOT}/{payload['t']}/")
    ):
        raise LinkInvalid()
    current = time.time() if now is None else now
    if current * 1000 >= payload["e"]:
        raise LinkExpired()
    return payload
