from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from invoicing.totals import compute_totals


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
    assert totals.gross == D("0.00")


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
