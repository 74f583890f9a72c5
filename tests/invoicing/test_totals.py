from dataclasses import dataclass
from decimal import Decimal as D

from config.totals import compute_totals


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
