"""The arithmetic of invoice, return and proforma lines: pure functions on Decimals, no database.

A line (SEMANTICS.md §3.1, the SDK's line names):

* `price` is the unit price of the line's unit: the price per base unit (the client's price-list
  item, else the variant's price) times the unit's `factor`, rounded half-up to 3 places (the
  catalogue's precision: the region's currencies have fils).
* `gross = qty × price`, rounded half-up to 2 places (money is rounded per line, then summed).
* `discount_value` is the line's discount as an amount (0 ≤ discount ≤ gross), rounded to 2 places.
* `net = gross − discount_value`; `discounted_price = net / qty` (3 places).
* tax from the product's tax, `rate` a percentage (15 means 15 %):
  `additive`: `tax_amount = net × rate/100`, `line_total = net + tax_amount`;
  `inclusive`: the price holds the tax, `tax_amount = net − net / (1 + rate/100)`, `line_total = net`;
  `N/A` (or no tax): `tax_amount = 0`, `line_total = net`.
  `tax_amount` is rounded half-up to 2 places; `line_total` is then exact in 2 places.

The header: `subtotal = Σ gross`, `discount_amount = Σ discount_value`, `tax_amount = Σ tax_amount`,
`total = Σ line_total` (so `total = subtotal − discount_amount + the additive taxes`). Header-level
fees and discounts (`delivery_fees`, `bank_fees`, `discount` of `src/oas`) are not taken: a total
is always the sum of its lines.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MILL = Decimal("0.001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

ADDITIVE, INCLUSIVE, NOT_APPLICABLE = "additive", "inclusive", "N/A"
TAX_TYPES = (ADDITIVE, INCLUSIVE, NOT_APPLICABLE)


def money(value: Decimal) -> Decimal:
    """Half-up to 2 places."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_money(value: Decimal) -> Decimal:
    """Half-up to 3 places (unit prices)."""
    return Decimal(value).quantize(MILL, rounding=ROUND_HALF_UP)


class LineError(ValueError):
    """A line whose numbers cannot make a line: `field` names the line's field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class LineInput:
    qty: Decimal  # in the line's unit, > 0
    base_price: Decimal  # price per base unit
    factor: Decimal = Decimal(1)  # base units per line unit, > 0
    discount_value: Decimal = ZERO
    tax_rate: Decimal = ZERO  # percent
    tax_type: str = NOT_APPLICABLE


@dataclass(frozen=True)
class LineAmounts:
    qty: Decimal
    factor: Decimal
    base_unit_qty: Decimal
    price: Decimal
    gross: Decimal
    discount_value: Decimal
    net: Decimal
    discounted_price: Decimal
    tax_rate: Decimal
    tax_type: str
    tax_amount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total: Decimal


def unit_price(*, base_price: Decimal, factor: Decimal) -> Decimal:
    """The price of one unit holding `factor` base units."""
    return unit_money(Decimal(base_price) * Decimal(factor))


def compute_line(line: LineInput) -> LineAmounts:
    qty, factor = Decimal(line.qty), Decimal(line.factor)
    if not qty.is_finite() or qty <= 0:
        raise LineError("qty", "Expected a quantity above 0.")
    if not factor.is_finite() or factor <= 0:
        raise LineError("measureunit", "The unit's factor must be above 0.")
    if line.tax_type not in TAX_TYPES:
        raise LineError("tax", f"Unknown tax type '{line.tax_type}'.")
    rate = Decimal(line.tax_rate)
    if rate < 0 or rate > HUNDRED:
        raise LineError("tax", "The tax rate must be from 0 to 100 (percent).")
    price = unit_price(base_price=line.base_price, factor=factor)
    if price < 0:
        raise LineError("price", "A price cannot be negative.")
    gross = money(qty * price)
    discount = money(Decimal(line.discount_value))
    if discount < 0:
        raise LineError("discount_value", "A discount cannot be negative.")
    if discount > gross:
        raise LineError("discount_value", f"The discount {discount} is more than the line's amount {gross}.")
    net = gross - discount
    if line.tax_type == ADDITIVE:
        tax = money(net * rate / HUNDRED)
        total = net + tax
    elif line.tax_type == INCLUSIVE:
        tax = money(net - net / (1 + rate / HUNDRED))
        total = net
    else:
        tax, total = ZERO.quantize(CENT), net
    return LineAmounts(
        qty=qty,
        factor=factor,
        base_unit_qty=qty * factor,
        price=price,
        gross=gross,
        discount_value=discount,
        net=net,
        discounted_price=unit_money(net / qty),
        tax_rate=rate,
        tax_type=line.tax_type,
        tax_amount=tax,
        line_total=total,
    )


def compute_totals(lines: Sequence[LineAmounts]) -> Totals:
    zero = ZERO.quantize(CENT)
    return Totals(
        subtotal=sum((line.gross for line in lines), zero),
        discount_amount=sum((line.discount_value for line in lines), zero),
        tax_amount=sum((line.tax_amount for line in lines), zero),
        total=sum((line.line_total for line in lines), zero),
    )


def total_disagrees(*, sent, computed: Decimal) -> bool:
    """Whether a client-sent total differs from the computed one (compared in cents: a client
    that sends 10.1 for 10.10 agrees)."""
    if sent is None:
        return False
    return money(Decimal(str(sent))) != computed
