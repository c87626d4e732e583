"""A PrintableDocument as a PDF (ReportLab: pure Python, installs from PyPI, no system library).

The first page carries the title, serial and dates, the company and the client; then the lines
(their header row repeats on every page), the tax summary, the totals and the notes. Every page
may carry a header (company, title and serial), a footer (company, tax id, "Page n of N") and a
watermark across the page. Page size A4, A3 or Letter, portrait or landscape.

Text is set in the PDF base fonts (Helvetica): Western European text prints as it is; characters
outside that repertoire (Arabic, CJK, ...) print as boxes. Values that could not fit a page are
cut (a line's description at 600 characters, an address at 12 lines), since a table row cannot
span pages.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A3, A4, LETTER, landscape, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .documents import Party, PrintableDocument

PAGE_SIZES = {"A4": A4, "A3": A3, "Letter": LETTER}
ORIENTATIONS = ("portrait", "landscape")
TEMPLATES = ("default",)
LANGUAGES = ("en",)
MAX_WATERMARK = 60
MARGIN = 15 * mm
FONT, BOLD = "Helvetica", "Helvetica-Bold"
MAX_TEXT, MAX_LINES = 600, 12
INK, MUTED, RULE = colors.HexColor("#1f2933"), colors.HexColor("#616e7c"), colors.HexColor("#cbd2d9")


@dataclass(frozen=True)
class PdfOptions:
    format: str = "A4"
    orientation: str = "portrait"
    watermark: str = ""
    include_header: bool = True
    include_footer: bool = True
    template: str = "default"
    language: str = "en"

    def __post_init__(self):
        if self.format not in PAGE_SIZES:
            raise ValueError(f"format: expected one of {', '.join(PAGE_SIZES)}")
        if self.orientation not in ORIENTATIONS:
            raise ValueError(f"orientation: expected one of {', '.join(ORIENTATIONS)}")
        if self.template not in TEMPLATES:
            raise ValueError(f"template: expected one of {', '.join(TEMPLATES)}")

    @property
    def page_size(self) -> tuple[float, float]:
        size = PAGE_SIZES[self.format]
        return landscape(size) if self.orientation == "landscape" else portrait(size)


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    meta: dict = field(default_factory=dict)


# Text helpers ------------------------------------------------------------------------------------
def _cut(text, limit=MAX_TEXT) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _para_text(text, limit=MAX_TEXT) -> str:
    """Paragraph markup for plain text: escaped, newlines kept (at most MAX_LINES)."""
    lines = _cut(text, limit).splitlines()[:MAX_LINES]
    return "<br/>".join(escape(line) for line in lines)


def money(amount, currency: str = "") -> str:
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    text = f"{value:,.2f}"
    return f"{currency} {text}".strip()


def quantity(value) -> str:
    if value is None:
        return ""
    number = Decimal(value).normalize()
    return f"{number:f}"


def date_text(value) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.tzinfo is not None else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _cut(value, 40)


# Styles ------------------------------------------------------------------------------------------
def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8, leading=10, textColor=colors.white),
        "headnum": ParagraphStyle(
            "headnum", parent=base, fontName=BOLD, fontSize=8, leading=10, textColor=colors.white, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=20, leading=24),
        "party": ParagraphStyle("party", parent=base, fontName=BOLD, fontSize=10, leading=13),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=7.5, leading=10, textColor=MUTED),
        "total": ParagraphStyle("total", parent=base, fontName=BOLD, fontSize=10, leading=13, alignment=TA_RIGHT),
        "totallabel": ParagraphStyle("totallabel", parent=base, fontName=BOLD, fontSize=10, leading=13),
    }


# Story -------------------------------------------------------------------------------------------
def _party_block(label: str, party: Party, s) -> list:
    rows = [Paragraph(escape(label.upper()), s["label"]), Paragraph(_para_text(party.name, 200), s["party"])]
    if party.address:
        rows.append(Paragraph(_para_text(party.address), s["small"]))
    details = [
        ("Tax ID", party.tax_id),
        ("Phone", party.phone),
        ("Email", party.email),
    ]
    for name, value in details:
        if value:
            rows.append(Paragraph(f"{name}: {_para_text(value, 120)}", s["small"]))
    return rows


def _heading(doc: PrintableDocument, width: float, s) -> Table:
    title = escape(_cut(doc.title, 60))
    if doc.status:
        title += f' <font color="#c81e1e" size="12">{escape(_cut(doc.status, 30).upper())}</font>'
    left = [Paragraph(title, s["title"]), Paragraph(f"No. {_para_text(doc.serial, 80)}", s["party"])]
    date_rows = [
        [Paragraph(escape(_cut(k, 40)), s["muted"]), Paragraph(escape(date_text(v)), s["num"])]
        for k, v in doc.dates.items()
    ]
    right = Table(date_rows, colWidths=[width * 0.2, width * 0.2]) if date_rows else ""
    table = Table([[left, right]], colWidths=[width * 0.58, width * 0.42])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    return table


def _parties(doc: PrintableDocument, width: float, s) -> Table:
    table = Table(
        [[_party_block("From", doc.company, s), _party_block(doc.client_label, doc.client, s)]],
        colWidths=[width / 2, width / 2],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    return table


LINE_COLUMNS = [  # (header, share of the width, numeric)
    ("#", 0.05, True),
    ("Description", 0.31, False),
    ("Qty", 0.08, True),
    ("Unit", 0.08, False),
    ("Price", 0.12, True),
    ("Discount", 0.11, True),
    ("Tax", 0.11, True),
    ("Total", 0.14, True),
]


def _lines(doc: PrintableDocument, width: float, s) -> Table:
    header = [Paragraph(escape(name), s["headnum" if numeric else "head"]) for name, _, numeric in LINE_COLUMNS]
    rows = [header]
    for i, line in enumerate(doc.lines, start=1):
        cells = [
            str(i),
            _para_text(line.description),
            quantity(line.qty),
            escape(_cut(line.unit, 30)),
            money(line.price),
            money(line.discount),
            money(line.tax),
            money(line.total),
        ]
        rows.append(
            [
                Paragraph(text, s["num" if numeric else "cell"])
                for text, (_, _, numeric) in zip(cells, LINE_COLUMNS, strict=True)
            ]
        )
    if not doc.lines:
        rows.append([Paragraph("No lines.", s["muted"])] + [""] * (len(LINE_COLUMNS) - 1))
    table = Table(rows, colWidths=[width * share for _, share, _ in LINE_COLUMNS], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f5f7fa")) for r in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


def _tax_summary(doc: PrintableDocument, width: float, s) -> Table | None:
    if not doc.tax_summary:
        return None
    rows = [
        [Paragraph("Tax", s["head"]), Paragraph("Taxable amount", s["headnum"]), Paragraph("Tax amount", s["headnum"])]
    ]
    for row in doc.tax_summary:
        rows.append(
            [
                Paragraph(_para_text(row.name, 80), s["cell"]),
                Paragraph(money(row.base, doc.currency), s["num"]),
                Paragraph(money(row.amount, doc.currency), s["num"]),
            ]
        )
    table = Table(rows, colWidths=[width * 0.2, width * 0.15, width * 0.15], hAlign="LEFT")
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), MUTED), ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE)]))
    return table


def _totals(doc: PrintableDocument, width: float, s) -> Table:
    t = doc.totals
    rows, emphasised = [], None
    for label, amount in (("Subtotal", t.subtotal), ("Discount", t.discount), ("Tax", t.tax)):
        if amount is not None:
            rows.append([Paragraph(label, s["base"]), Paragraph(money(amount, doc.currency), s["num"])])
    emphasised = len(rows)
    rows.append([Paragraph("Total", s["totallabel"]), Paragraph(money(t.total, doc.currency), s["total"])])
    for label, amount in t.extra.items():
        rows.append([Paragraph(escape(_cut(label, 40)), s["base"]), Paragraph(money(amount, doc.currency), s["num"])])
    table = Table(rows, colWidths=[width * 0.2, width * 0.22], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, emphasised), (-1, emphasised), 0.8, INK),
                ("LINEBELOW", (0, emphasised), (-1, emphasised), 0.8, INK),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _story(doc: PrintableDocument, width: float) -> list:
    s = _styles()
    story = [_heading(doc, width, s), Spacer(1, 5 * mm), _parties(doc, width, s), Spacer(1, 6 * mm)]
    story += [_lines(doc, width, s), Spacer(1, 5 * mm)]
    summary = _tax_summary(doc, width, s)
    totals = _totals(doc, width, s)
    if summary is not None:
        story += [summary, Spacer(1, 3 * mm)]
    story += [totals]
    if doc.notes:
        story += [Spacer(1, 6 * mm), Paragraph("NOTES", s["label"])]
        story += [Paragraph(escape(line), s["small"]) for line in _cut(doc.notes, 4000).splitlines() if line.strip()]
    return story


# Page decoration ---------------------------------------------------------------------------------
def _canvas_class(doc: PrintableDocument, options: PdfOptions, counter: dict):
    """A canvas that holds its pages until the end, so each footer can say "Page n of N"; it
    draws the header, footer and watermark of every page then, and counts the pages."""

    class DecoratedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            counter["pages"] = total
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number, total):
            width, height = self._pagesize
            if options.watermark:
                self._watermark(width, height)
            self.setFillColor(MUTED)
            if options.include_header:
                self.setFont(BOLD, 8)
                self.drawString(MARGIN, height - MARGIN + 4 * mm, _cut(doc.company.name, 80))
                self.setFont(FONT, 8)
                self.drawRightString(width - MARGIN, height - MARGIN + 4 * mm, _cut(f"{doc.title} {doc.serial}", 80))
                self.setStrokeColor(RULE)
                self.line(MARGIN, height - MARGIN + 2.5 * mm, width - MARGIN, height - MARGIN + 2.5 * mm)
            if options.include_footer:
                self.setFont(FONT, 7.5)
                self.setStrokeColor(RULE)
                self.line(MARGIN, MARGIN - 3 * mm, width - MARGIN, MARGIN - 3 * mm)
                left = doc.company.name + (f" · Tax ID {doc.company.tax_id}" if doc.company.tax_id else "")
                self.drawString(MARGIN, MARGIN - 7 * mm, _cut(left, 100))
                self.drawRightString(width - MARGIN, MARGIN - 7 * mm, f"Page {number} of {total}")

        def _watermark(self, width, height):
            text = _cut(options.watermark, MAX_WATERMARK)
            diagonal = (width**2 + height**2) ** 0.5
            size = min(110.0, 0.75 * diagonal / max(stringWidth(text, BOLD, 10) / 10, 1))
            self.saveState()
            self.setFillColor(colors.HexColor("#9aa5b1"))
            self.setFillAlpha(0.18)
            self.setFont(BOLD, size)
            self.translate(width / 2, height / 2)
            self.rotate(45)
            self.drawCentredString(0, -size / 3, text)
            self.restoreState()

    return DecoratedCanvas


def render_pdf(document: PrintableDocument, options: PdfOptions | None = None) -> RenderedPdf:
    """The PDF bytes of `document` and their real page count."""
    options = options or PdfOptions()
    buffer = BytesIO()
    page_size = options.page_size
    template = SimpleDocTemplate(
        buffer,
        pagesize=page_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + (4 * mm if options.include_header else 0),
        bottomMargin=MARGIN,
        title=_cut(f"{document.title} {document.serial}", 200),
        author=_cut(document.company.name, 200),
        subject=_cut(f"{document.title} for {document.client.name}", 200),
        creator="Field service back office",
    )
    counter: dict = {}
    template.build(_story(document, template.width), canvasmaker=_canvas_class(document, options, counter))
    content = buffer.getvalue()
    return RenderedPdf(content=content, pages=counter["pages"])
