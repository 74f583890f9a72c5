import datetime as dt
from decimal import Decimal

import pytest

from licensing.terms import add_months, licence_year_end, next_year_start, refund_amount


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 8, 1), dt.date(2027, 7, 31)),
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28)),
        (dt.date(2027, 3, 1), dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 28), dt.date(2029, 2, 27)),
    ],
)
def test_licence_year_runs_one_year_minus_one_day(start, end):
    assert licence_year_end(start) == end


def test_years_follow_each_other_without_gap_or_overlap():
    start = dt.date(2028, 2, 29)
    for _ in range(5):
        end = licence_year_end(start)
        assert end > start
        start = next_year_start(end)
    assert start == dt.date(2033, 3, 1)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 9, 30), 3) == dt.date(2026, 12, 30)


PAID = Decimal("120.00")
YEAR_2026 = {"term_start": dt.date(2026, 1, 1), "term_end": dt.date(2026, 12, 31)}


def test_refund_when_the_licence_still_runs_three_months_after_the_bulk_start():
    # DOMAIN R8: a term ending 31 Dec gives a refund for B = 30 Sep ...
    amount, remaining, days = refund_amount(paid=PAID, bulk_start=dt.date(2026, 9, 30), **YEAR_2026)

    assert (remaining, days) == (93, 365)
    assert amount == Decimal("30.58")  # 120 * 93 / 365 = 30.575... -> half up


def test_no_refund_when_exactly_three_months_remain():
    # ... but not for B = 1 Oct, which leaves exactly 3 months.
    assert refund_amount(paid=PAID, bulk_start=dt.date(2026, 10, 1), **YEAR_2026) is None


def test_refund_over_a_leap_year_term_counts_366_days():
    amount, remaining, days = refund_amount(
        paid=Decimal("366.00"),
        term_start=dt.date(2028, 1, 1),
        term_end=dt.date(2028, 12, 31),
        bulk_start=dt.date(2028, 2, 29),
    )

    assert (remaining, days, amount) == (307, 366, Decimal("307.00"))
