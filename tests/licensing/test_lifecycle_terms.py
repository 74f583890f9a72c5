import datetime

import pytest

from licensing.selectors import cancellation_effective_date
from licensing.terms import licence_year_end, next_year_start

D = datetime.date


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2026, 8, 1), D(2027, 7, 31)),
        (D(2027, 1, 1), D(2027, 12, 31)),  # ends on 31 December
        (D(2028, 2, 29), D(2029, 2, 28)),  # 29 February
        (D(2027, 3, 1), D(2028, 2, 29)),  # a year that includes a leap day
        (D(2026, 12, 31), D(2027, 12, 30)),
    ],
)
def test_licence_year_runs_one_year_minus_one_day(start, end):
    assert licence_year_end(start) == end


def test_years_chain_without_gap_through_leap_day():
    start = D(2028, 2, 29)
    ends = []
    for _i in range(3):
        end = licence_year_end(start)
        ends.append(end)
        start = next_year_start(end)
    assert ends == [D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28)]


@pytest.mark.django_db
def test_effective_date_rolls_forward_over_years_not_yet_created():
    from tests.factories import LicenceYearFactory

    year = LicenceYearFactory(start_date=D(2027, 1, 1))
    assert year.end_date == D(2027, 12, 31)
    order = year.order
    assert cancellation_effective_date(order=order, on=D(2027, 12, 31)) == D(2027, 12, 31)
    assert cancellation_effective_date(order=order, on=D(2028, 1, 1)) == D(2028, 12, 31)
    assert cancellation_effective_date(order=order, on=D(2029, 6, 1)) == D(2029, 12, 31)
