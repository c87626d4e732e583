"""The invoice line and header arithmetic (sales/services/invoice_maths.py): worked examples and
properties (hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sales.services.invoice_maths import (
    ADDITIVE,
    INCLUSIVE,
    NOT_APPLICABLE,
    LineError,
    LineInput,
    compute_line,
    compute_totals,
    money,
    total_disagrees,
)

D = Decimal


def test_additive_line():
    line = compute_line(
        LineInput(qty=D(3), base_price=D("12.250"), discount_value=D("1.75"), tax_rate=D(16), tax_type=ADDITIVE)
    )
    assert line.price == D("12.250")
    assert line.gross == D("36.75")
    assert line.net == D("35.00")
    assert line.discounted_price == D("11.667")
    assert line.tax_amount == D("5.60")
    assert line.line_total == D("40.60")
    assert line.base_unit_qty == D(3)


def test_inclusive_line_keeps_the_net_as_total():
    line = compute_line(LineInput(qty=D(1), base_price=D("11.50"), tax_rate=D(15), tax_type=INCLUSIVE))
    assert line.tax_amount == D("1.50")
    assert line.line_total == D("11.50")


def test_not_applicable_and_units():
    line = compute_line(LineInput(qty=D(2), base_price=D("1.005"), factor=D(12), tax_type=NOT_APPLICABLE))
    assert line.price == D("12.060")  # per box of 12
    assert line.base_unit_qty == D(24)
    assert line.gross == D("24.12")
    assert line.tax_amount == D("0.00") and line.line_total == D("24.12")


def test_half_up_rounding_per_line():
    # 0.125 * 1 rounds up to 0.13 per line; three lines sum the rounded values
    lines = [compute_line(LineInput(qty=D(1), base_price=D("0.125"))) for _ in range(3)]
    assert [line.gross for line in lines] == [D("0.13")] * 3
    assert compute_totals(lines).total == D("0.39")


@pytest.mark.parametrize(
    "line, field",
    [
        (LineInput(qty=D(0), base_price=D(1)), "qty"),
        (LineInput(qty=D(-1), base_price=D(1)), "qty"),
        (LineInput(qty=D(1), base_price=D(1), factor=D(0)), "measureunit"),
        (LineInput(qty=D(1), base_price=D(1), discount_value=D(2)), "discount_value"),
        (LineInput(qty=D(1), base_price=D(1), discount_value=D(-1)), "discount_value"),
        (LineInput(qty=D(1), base_price=D(1), tax_type="weird"), "tax"),
    ],
)
def test_bad_lines_name_the_field(line, field):
    with pytest.raises(LineError) as caught:
        compute_line(line)
    assert caught.value.field == field


def test_total_disagreement_is_compared_in_cents():
    assert not total_disagrees(sent=None, computed=D("10.10"))
    assert not total_disagrees(sent=10.1, computed=D("10.10"))
    assert total_disagrees(sent=10.11, computed=D("10.10"))


quantities = st.decimals(min_value=D("0.001"), max_value=D(10000), places=3)
prices = st.decimals(min_value=D(0), max_value=D(100000), places=3)
factors = st.sampled_from([D(1), D(6), D(12), D("0.5"), D("0.001")])
rates = st.decimals(min_value=D(0), max_value=D(100), places=2)
tax_types = st.sampled_from([ADDITIVE, INCLUSIVE, NOT_APPLICABLE])


@st.composite
def line_inputs(draw):
    qty, price, factor = draw(quantities), draw(prices), draw(factors)
    gross = money(qty * (price * factor).quantize(D("0.001")))
    discount = draw(st.decimals(min_value=D(0), max_value=gross, places=2)) if gross > 0 else D(0)
    return LineInput(
        qty=qty,
        base_price=price,
        factor=factor,
        discount_value=discount,
        tax_rate=draw(rates),
        tax_type=draw(tax_types),
    )


@given(st.lists(line_inputs(), min_size=1, max_size=20))
def test_total_is_the_sum_of_line_totals(inputs):
    lines = [compute_line(i) for i in inputs]
    totals = compute_totals(lines)
    assert totals.total == sum(line.line_total for line in lines)
    assert totals.total == totals.subtotal - totals.discount_amount + sum(
        line.tax_amount for line in lines if line.tax_type == ADDITIVE
    )
    for line in lines:
        for amount in (line.gross, line.discount_value, line.tax_amount, line.line_total):
            assert amount == money(amount) and amount >= 0  # two places, never negative
        assert line.line_total >= line.tax_amount
        assert line.base_unit_qty == line.qty * line.factor
        if line.tax_type == INCLUSIVE:
            assert line.line_total == line.net
