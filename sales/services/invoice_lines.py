"""Reading the `items[]` of an invoice, return or proforma body and resolving each into a priced line.

An item may be sent in either shape:

* short: `{"variant": "<variant id>", "qty": 3}`;
* the SDK's: `{"variant": {"variant_id": ..., "product_id": ...}, "measureunit": {"_id": ...} | "<id>",
  "qty": 3, "price": 12.25, "discount_value": 1.5, "note": "..."}`.

The server resolves the rest. `product` is the variant's (a `product_id` that is not is a 400). The
unit: `measureunit` when given (it must be in the product's unit family when it has one), else the
base unit (factor 1), so `base_unit_qty = qty × factor`. The price per base unit: the item of the
client's price list (`sv_priceList`) for the variant, else the variant's `price`; the line's `price`
is that times the factor. A client-sent `price` that disagrees is a 422 naming it (prices are the
server's). Tax: the product's `sv_tax`. A frozen product (`frozen_sales`) cannot be sold (422).
The document's answer echoes computed keys (`_id`, `base_unit_qty`, `line_total`, ...); an item
carrying them is accepted and they are recomputed, never trusted.

Every lookup is one query for all the lines (variants with their products and taxes, units, price
list items), not one per line.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rest_framework.exceptions import ValidationError

from core.api.exceptions import Unprocessable
from core.ids import parse_uuid
from sales.models import MeasureUnit, PriceListItem, ReturnReason, Variant

from .invoice_maths import LineAmounts, LineError, LineInput, compute_line, unit_money

MAX_ITEMS = 1000
# Keys of a line as the API answers it: accepted back (a client may PUT or POST what it read), ignored.
ECHOED_KEYS = {
    "_id", "base_unit_qty", "gross_value", "discounted_price", "tax", "tax_amount", "tax_total", "line_total",
    "class", "product", "listed_price",
}  # fmt: skip
INPUT_KEYS = {"variant", "measureunit", "qty", "price", "discount_value", "note", "return_reason"}


@dataclass
class ItemInput:
    """One item of a body, read but not resolved yet."""

    index: int
    variant_id: uuid.UUID
    qty: Decimal
    product_id: uuid.UUID | None = None
    measureunit_id: uuid.UUID | None = None
    price: Decimal | None = None
    discount_value: Decimal | None = None  # None: not sent
    note: str = ""
    return_reason_id: uuid.UUID | None = None


@dataclass
class ResolvedLine:
    index: int
    variant: Variant
    measure_unit: MeasureUnit | None
    amounts: LineAmounts
    listed_price: Decimal
    note: str = ""
    return_reason: ReturnReason | None = None
    tax_id: uuid.UUID | None = None  # the tax the line was taxed under (its rate and type are in amounts)

    def columns(self) -> dict:
        """The DocumentLine columns of this line."""
        a = self.amounts
        return {
            "position": self.index,
            "variant_id": self.variant.pk,
            "product_id": self.variant.product_id,
            "measure_unit_id": self.measure_unit.pk if self.measure_unit else None,
            "factor": a.factor,
            "qty": a.qty,
            "base_unit_qty": a.base_unit_qty,
            "listed_price": self.listed_price,
            "price": a.price,
            "gross": a.gross,
            "discount_value": a.discount_value,
            "discounted_price": a.discounted_price,
            "tax_id": self.tax_id,
            "tax_rate": a.tax_rate,
            "tax_type": a.tax_type,
            "tax_amount": a.tax_amount,
            "line_total": a.line_total,
            "note": self.note,
            "return_reason_id": self.return_reason.pk if self.return_reason else None,
        }


# Reading the body ----------------------------------------------------------------------------------
def _number(value, name, errors, *, positive=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        errors[name] = ["Expected a number."]
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[name] = ["Expected a number."]
        return None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 11:
        errors[name] = ["Expected a finite number below 10^11."]
        return None
    if positive and number <= 0:
        errors[name] = ["Expected a number above 0."]
        return None
    if not positive and number < 0:
        errors[name] = ["Cannot be negative."]
        return None
    if number.as_tuple().exponent < -6:
        errors[name] = ["At most 6 decimal places."]
        return None
    return number


def _id(value, name, errors, *, key="_id"):
    if isinstance(value, dict):
        value = value.get(key)
    if not isinstance(value, str) or parse_uuid(value) is None:
        errors[name] = [f"Not found: {str(value)[:100]}." if value is not None else "This field is required."]
        return None
    return parse_uuid(value)


def read_items(items, *, required: bool = True) -> list[ItemInput]:
    """The items of a body, checked for shape and types (400 naming `items[i].<field>`)."""
    if items is None:
        if required:
            raise ValidationError({"items": ["This field is required."]})
        return []
    if not isinstance(items, list):
        raise ValidationError({"items": ["Expected a list of items."]})
    if not items and required:
        raise ValidationError({"items": ["At least one item is required."]})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": [f"At most {MAX_ITEMS} items."]})
    out, errors = [], {}
    for i, raw in enumerate(items):
        line_errors: dict = {}
        if not isinstance(raw, dict):
            errors[i] = {"non_field_errors": ["Expected an object."]}
            continue
        unknown = sorted(str(k) for k in raw if k not in INPUT_KEYS and k not in ECHOED_KEYS)
        for key in unknown:
            line_errors[key] = ["Unknown key."]
        variant = raw.get("variant")
        product_id = None
        if isinstance(variant, dict):
            if variant.get("product_id") is not None:
                product_id = _id(variant.get("product_id"), "variant.product_id", line_errors)
            variant_id = _id(variant, "variant.variant_id", line_errors, key="variant_id")
        else:
            variant_id = _id(variant, "variant", line_errors)
        qty = _number(raw.get("qty"), "qty", line_errors, positive=True)
        unit = raw.get("measureunit")
        unit_id = None if unit is None else _id(unit, "measureunit", line_errors)
        price = _number(raw.get("price"), "price", line_errors, allow_none=True)
        discount = _number(raw.get("discount_value"), "discount_value", line_errors, allow_none=True)
        note = raw.get("note", "")
        if note is None:
            note = ""
        if not isinstance(note, str) or len(note) > 2000:
            line_errors["note"] = ["Expected a string of at most 2000 characters."]
        reason = raw.get("return_reason")
        reason_id = None if reason is None else _id(reason, "return_reason", line_errors)
        if line_errors:
            errors[i] = line_errors
            continue
        out.append(
            ItemInput(
                index=i, variant_id=variant_id, qty=qty, product_id=product_id, measureunit_id=unit_id,
                price=price, discount_value=discount, note=note, return_reason_id=reason_id,
            )
        )  # fmt: skip
    if errors:
        raise ValidationError({"items": errors})
    return out


# Resolving -----------------------------------------------------------------------------------------
def refuse(path: str, message: str, code: str = "unprocessable") -> Unprocessable:
    """A 422 naming the field at fault (`items[2].qty`), in the error body's `details` too."""
    error = Unprocessable(f"{path}: {message}" if path else message)
    error.details = [{"path": path, "message": message, "code": code}]
    return error


def _fail(index: int, name: str, message: str, *, status: int = 400, code: str = "unprocessable"):
    if status == 422:
        raise refuse(f"items[{index}].{name}", message, code)
    raise ValidationError({"items": {index: {name: [message]}}})


# What pricing, taxing, the ledger and the answer read of an item's variant, product and tax.
VARIANT_COLUMNS = (
    "id", "tenant_id", "name", "product_id", "price",
    "product__id", "product__tenant_id", "product__name", "product__frozen_sales", "product__sv_tax_id",
    "product__measureunit_family_id",
    "product__sv_tax__id", "product__sv_tax__rate", "product__sv_tax__type",
)  # fmt: skip


def load_variants(*, tenant, ids) -> dict[uuid.UUID, Variant]:
    rows = (
        Variant.objects.filter(tenant=tenant, pk__in=set(ids))
        .select_related("product", "product__sv_tax")
        .only(*VARIANT_COLUMNS)
    )
    return {v.pk: v for v in rows}


def load_units(*, tenant, ids) -> dict[uuid.UUID, MeasureUnit]:
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return {u.pk: u for u in MeasureUnit.objects.filter(tenant=tenant, pk__in=ids)}


def family_units(product_ids) -> dict[uuid.UUID, set]:
    """product id -> the ids of the units of its unit family (products with a family only)."""
    from sales.models import Product

    through = Product._meta.get_field("measureunit_family").related_model.measureunits.through
    rows = Product.objects.filter(pk__in=set(product_ids), measureunit_family__isnull=False).values_list(
        "pk", "measureunit_family_id"
    )
    families = dict(rows)
    if not families:
        return {}
    links = through.objects.filter(measureunitfamily_id__in=set(families.values())).values_list(
        "measureunitfamily_id", "measureunit_id"
    )
    by_family: dict = {}
    for family_id, unit_id in links:
        by_family.setdefault(family_id, set()).add(unit_id)
    return {product: by_family.get(family, set()) for product, family in families.items()}


def client_prices(*, client, variant_ids) -> dict[uuid.UUID, Decimal]:
    """Prices per base unit of the client's price list, by variant (disabled items left out)."""
    if client is None or client.sv_price_list_id is None:
        return {}
    rows = PriceListItem.objects.filter(
        pricelist_id=client.sv_price_list_id, variant_id__in=set(variant_ids), disabled=False
    ).values_list("variant_id", "price")
    return dict(rows)


def resolve_lines(*, tenant, client, items: Sequence[ItemInput], check_frozen: bool = True) -> list[ResolvedLine]:
    """Price and tax every item (see the module's docstring). 400 for a reference that is not the
    tenant's or does not fit; 422 for a frozen product or a sent price that disagrees."""
    variants = load_variants(tenant=tenant, ids=[i.variant_id for i in items])
    units = load_units(tenant=tenant, ids=[i.measureunit_id for i in items])
    reasons = {}
    reason_ids = {i.return_reason_id for i in items if i.return_reason_id}
    if reason_ids:
        reasons = {r.pk: r for r in ReturnReason.objects.filter(tenant=tenant, pk__in=reason_ids)}
    prices = client_prices(client=client, variant_ids=variants)
    families = family_units({v.product_id for v in variants.values()}) if units else {}
    lines = []
    for item in items:
        variant = variants.get(item.variant_id)
        if variant is None:
            _fail(item.index, "variant", f"Not found: {item.variant_id}.")
        if item.product_id is not None and item.product_id != variant.product_id:
            _fail(item.index, "variant.product_id", f"Variant {variant.pk} is not of product {item.product_id}.")
        product = variant.product
        if check_frozen and product.frozen_sales:
            _fail(
                item.index,
                "variant",
                f"Product '{product.name}' ({product.pk}) is frozen for sales.",
                status=422,
                code="frozen_sales",
            )
        unit = None
        if item.measureunit_id is not None:
            unit = units.get(item.measureunit_id)
            if unit is None:
                _fail(item.index, "measureunit", f"Not found: {item.measureunit_id}.")
            allowed = families.get(product.pk)
            if allowed is not None and unit.pk not in allowed:
                _fail(item.index, "measureunit", f"Unit '{unit.name}' is not in the unit family of '{product.name}'.")
        reason = None
        if item.return_reason_id is not None:
            reason = reasons.get(item.return_reason_id)
            if reason is None:
                _fail(item.index, "return_reason", f"Not found: {item.return_reason_id}.")
        listed = prices.get(variant.pk, variant.price)
        tax = product.sv_tax
        lines.append(
            price_line(
                item=item, variant=variant, unit=unit, listed_price=listed, return_reason=reason,
                tax_id=tax.pk if tax else None, tax_rate=tax.rate if tax else Decimal(0),
                tax_type=tax.type if tax else "N/A",
            )
        )  # fmt: skip
    return lines


def price_line(*, item: ItemInput, variant, unit, listed_price, tax_id, tax_rate, tax_type, return_reason=None):
    """One priced line (a return passes its invoice line's price and tax)."""
    factor = unit.factor if unit is not None else Decimal(1)
    rate, kind = tax_rate, tax_type
    try:
        amounts = compute_line(
            LineInput(
                qty=item.qty, base_price=Decimal(listed_price), factor=factor,
                discount_value=item.discount_value or Decimal(0), tax_rate=rate, tax_type=kind,
            )
        )  # fmt: skip
    except LineError as exc:
        _fail(item.index, exc.field, exc.message)
    if item.price is not None and unit_money(item.price) != amounts.price:
        _fail(
            item.index,
            "price",
            f"Sent {item.price}, but the price of this unit is {amounts.price} (prices are the server's).",
            status=422,
            code="price_mismatch",
        )
    return ResolvedLine(
        index=item.index,
        variant=variant,
        measure_unit=unit,
        amounts=amounts,
        listed_price=unit_money(Decimal(listed_price)),
        note=item.note,
        return_reason=return_reason,
        tax_id=tax_id,
    )


# Rendering -----------------------------------------------------------------------------------------
def _num(value):
    return None if value is None else float(value)


def line_document(line, *, kind: str = "invoice") -> dict:
    """A stored line as the API answers it (the SDK's line names). Expects `variant`, `product`
    and `measure_unit` loaded with the line (select_related)."""
    unit = line.measure_unit
    return {
        "_id": str(line.pk),
        "variant": {
            "variant_id": str(line.variant_id),
            "product_id": str(line.product_id),
            "variant_name": line.variant.name,
            "product_name": line.product.name,
            "listed_price": _num(line.listed_price),
        },
        "measureunit": None if unit is None else {"_id": str(unit.pk), "name": unit.name, "factor": _num(line.factor)},
        "tax": {"_id": str(line.tax_id) if line.tax_id else None, "rate": _num(line.tax_rate), "type": line.tax_type},
        "qty": _num(line.qty),
        "base_unit_qty": _num(line.base_unit_qty),
        "price": _num(line.price),
        "gross_value": _num(line.gross),
        "discount_value": _num(line.discount_value),
        "discounted_price": _num(line.discounted_price),
        "tax_amount": _num(line.tax_amount),
        "tax_total": _num(line.tax_amount),
        "line_total": _num(line.line_total),
        "class": kind,
        "note": line.note,
        "return_reason": str(line.return_reason_id) if getattr(line, "return_reason_id", None) else None,
    }


LINE_RELATED = ("variant", "product", "measure_unit")
