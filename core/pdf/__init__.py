"""PDFs of documents (quick-convert-to-pdf, the admin's "Download PDF").

    from core.pdf import PrintableDocument, register_printable
    register_printable("invoice", load_invoice)   # in the document app's AppConfig.ready()

documents.py: the printable form and the loader registry; render.py: ReportLab; links.py:
storage and signed links; views.py: the download view, pdf_response and the admin action.
"""

from .documents import (
    DOCUMENT_TYPES,
    NoLoader,
    Party,
    PrintableDocument,
    PrintableLine,
    TaxSummaryRow,
    Totals,
    UnknownDocumentType,
    canonical_type,
    load_printable,
    register_printable,
    unregister_printable,
)
from .links import DocumentNotFound, PdfFile, generate_pdf, read_link
from .render import PdfOptions, RenderedPdf, render_pdf
from .views import download_pdf_action, pdf_response

__all__ = [
    "DOCUMENT_TYPES",
    "DocumentNotFound",
    "NoLoader",
    "Party",
    "PdfFile",
    "PdfOptions",
    "PrintableDocument",
    "PrintableLine",
    "RenderedPdf",
    "TaxSummaryRow",
    "Totals",
    "UnknownDocumentType",
    "canonical_type",
    "download_pdf_action",
    "generate_pdf",
    "load_printable",
    "pdf_response",
    "read_link",
    "register_printable",
    "render_pdf",
    "unregister_printable",
]
