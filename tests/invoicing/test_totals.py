from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.totals import allocate_vat, compute_totals


@dataclass
class Line:
    net_amount: D
    vat_rate: D


def test_vat_is_computed_on_the_sum_per_rate_and_rounded_half_up():
    # 3 x 33.35 at 7 % = 100.05 net; per line VAT would be 3 x 2.33 = 6.99,
    # on the sum it is 7.0035 -> 7.00. 1 x 10.50 at 19 % -> 1.995 -> 2.00 (half up).
    lines = [Line(D("33.35"), D("7"))] * 3 + [Line(D("10.50"), D("19.00"))]

    totals = compute_totals(lines)

    assert [(g.rate, g.net, g.vat) for g in totals.groups] == [
        (D("7.00"), D("100.05"), D("7.00")),
        (D("19.00"), D("10.50"), D("2.00")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (D("110.55"), D("9.00"), D("119.55"))


def test_no_lines_give_zero_totals():
    totals = compute_totals([])

    assert totals.groups == []
    # Decimals with two places (written as "0.00" into the e-invoice), not the int 0.
    assert [str(amount) for amount in (totals.net, totals.vat, totals.gross)] == ["0.00"] * 3


# --- Sharing the VAT out over the lines (per-school breakdown) -----------------------


def test_vat_shares_add_up_to_the_invoice_where_rounding_per_school_would_not():
    # 256 schools at 98.57 net, 7 %: exactly 6.8999 each, 1,766.3744 in all -> 1,766.37.
    # Rounded per school it would be 256 x 6.90 = 1,766.40.
    lines = [Line(D("98.57"), D("7.00"))] * 256

    shares = allocate_vat(lines)

    assert sum(shares) == compute_totals(lines).vat == D("1766.37")
    # 6.89 each and 253 cents left over, all remainders equal: the first 253 get one.
    assert shares[:253] == [D("6.90")] * 253
    assert shares[253:] == [D("6.89")] * 3


def test_the_cents_left_go_to_the_largest_remainders_first():
    # exact shares 0.0707, 0.0749, 0.0714: 0.07 each, 0.22 rounded of 0.2170 -> one cent left
    lines = [Line(D("1.01"), D("7")), Line(D("1.07"), D("7")), Line(D("1.02"), D("7"))]

    assert allocate_vat(lines) == [D("0.07"), D("0.08"), D("0.07")]


def test_each_rate_is_shared_out_on_its_own_and_half_up():
    # 1.50 at 7 % is 0.105 -> 0.11 (half up, not to even); 10.50 at 19 % 1.995 -> 2.00
    lines = [Line(D("1.50"), D("7.00")), Line(D("10.50"), D("19")), Line(D("0.00"), D("7"))]

    assert allocate_vat(lines) == [D("0.11"), D("2.00"), D("0.00")]


def test_a_cancellation_shares_out_exactly_the_negated_original():
    original = [Line(D("98.57"), D("7.00"))] * 5 + [Line(D("10.01"), D("19.00"))] * 2
    cancellation = [Line(-line.net_amount, line.vat_rate) for line in original]

    assert allocate_vat(cancellation) == [-share for share in allocate_vat(original)]


cents = st.integers(min_value=0, max_value=2_000_000).map(lambda c: D(c) / 100)
rates = st.sampled_from([D("7.00"), D("19.00"), D("0.00")])


@given(st.lists(st.builds(Line, cents, rates), min_size=1, max_size=300))
def test_the_breakdown_adds_up_for_any_order(lines):
    totals = compute_totals(lines)

    shares = allocate_vat(lines)

    assert sum(line.net_amount + share for line, share in zip(lines, shares, strict=True)) == (
        totals.gross
    )
    for group in totals.groups:
        in_group = [s for line, s in zip(lines, shares, strict=True) if line.vat_rate == group.rate]
        assert sum(in_group) == group.vat
    for line, share in zip(lines, shares, strict=True):
        assert abs(share - line.net_amount * line.vat_rate / 100) < D("0.01")
    assert allocate_vat(lines) == shares  # deterministic


@pytest.mark.django_db
def test_breakdown_vat_per_school_rounds_ties_half_up():
    from io import BytesIO

    from openpyxl import load_workbook

    from invoicing.breakdown import breakdown_xlsx
    from tests.invoicing.factories import InvoiceFactory, add_lines

    # 1.50 x 7 % = 0.105 and 1.50 x 19 % = 0.285: half even would give 0.10 and 0.28.
    invoice = add_lines(InvoiceFactory(status="draft"), [("1.50", "7.00"), ("1.50", "19.00")])

    sheet = load_workbook(BytesIO(breakdown_xlsx(invoice=invoice))).active

    vat_and_gross = [
        (sheet.cell(row=r, column=9).value, sheet.cell(row=r, column=10).value) for r in (5, 6)
    ]
    assert vat_and_gross == [(0.11, 1.61), (0.29, 1.79)]
