"""What a printable document is, and who can load one.

Document apps plug in without this module knowing their models: each registers a loader for its
document type,

    register_printable("invoice", load_invoice)   # load_invoice(tenant, document_id) -> PrintableDocument | None

and the PDF endpoint, the signed links and the admin's "Download PDF" action print whatever the
loader answers. A loader answers None for an id that is not the tenant's (the endpoint answers
404 then). `order` and `quote` are printed as proformas (SEMANTICS §1a #18).
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from core.ids import parse_uuid

DOCUMENT_TYPES = ("invoice", "proforma", "order", "quote", "receipt")
ALIASES = {"order": "proforma", "quote": "proforma"}


@dataclass
class Party:
    """The company issuing the document, or its client."""

    name: str
    address: str = ""  # may hold several lines ("\n")
    tax_id: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class PrintableLine:
    description: str
    qty: Decimal
    unit: str = ""
    price: Decimal = Decimal(0)  # unit price
    discount: Decimal = Decimal(0)  # the line's discount amount
    tax: Decimal = Decimal(0)  # the line's tax amount
    total: Decimal = Decimal(0)  # the line total as the document states it


@dataclass
class TaxSummaryRow:
    name: str  # "VAT 16%"
    base: Decimal  # the amount taxed
    amount: Decimal


@dataclass
class Totals:
    """The document's totals, printed in this order: subtotal, discount, tax, total (the
    emphasised line), then `extra` (fees, paid, balance due, ...) in its own order."""

    total: Decimal
    subtotal: Decimal | None = None
    discount: Decimal | None = None
    tax: Decimal | None = None
    extra: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class PrintableDocument:
    title: str  # "Invoice", "Proforma", "Goods receipt"
    serial: str
    company: Party
    client: Party
    lines: list[PrintableLine]
    totals: Totals
    dates: dict[str, dt.date | dt.datetime] = field(default_factory=dict)  # {"Issue date": ..., "Due date": ...}
    tax_summary: list[TaxSummaryRow] = field(default_factory=list)
    notes: str = ""
    currency: str = "USD"
    status: str = ""  # printed beside the title when set ("VOID", "CANCELLED")
    client_label: str = "Bill to"  # "Supplier" on a goods receipt


Loader = Callable[[object, uuid.UUID], PrintableDocument | None]
_LOADERS: dict[str, Loader] = {}


class UnknownDocumentType(LookupError):
    """Not one of DOCUMENT_TYPES."""


class NoLoader(LookupError):
    """A known type that no installed app prints yet."""


def canonical_type(document_type: str) -> str:
    """The type whose loader prints `document_type` (`order` and `quote` are proformas)."""
    if document_type not in DOCUMENT_TYPES:
        raise UnknownDocumentType(document_type)
    return ALIASES.get(document_type, document_type)


def register_printable(document_type: str, loader: Loader) -> None:
    """Install (or replace) the loader of a document type; `order`/`quote` cannot have their own."""
    canonical = canonical_type(document_type)
    if canonical != document_type:
        raise ValueError(f"'{document_type}' is printed as '{canonical}': register that type")
    _LOADERS[document_type] = loader


def unregister_printable(document_type: str) -> None:
    _LOADERS.pop(document_type, None)


def load_printable(*, document_type: str, tenant, document_id) -> PrintableDocument | None:
    """The printable form of the tenant's document, or None when the tenant has no such document.
    UnknownDocumentType / NoLoader when the type cannot be printed."""
    canonical = canonical_type(document_type)
    loader = _LOADERS.get(canonical)
    if loader is None:
        raise NoLoader(canonical)
    pk = parse_uuid(document_id)
    if pk is None:
        return None
    return loader(tenant, pk)
