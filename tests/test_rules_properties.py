"""The money and date rules re-stated in the most straightforward way and compared
with the implementation: ties that half-up and half-even round differently, both
sides of every date boundary, and Hypothesis on random inputs (DOMAIN R5, R8, R9)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.totals import compute_totals
from licensing.terms import (
    is_majority,
    licence_year_end,
    majority_needed,
    next_year_start,
    refund_amount,
)

D = Decimal


def half_up_cents(value: Fraction) -> Decimal:
    """Round an exact fraction of euros half up to the cent, by integer arithmetic."""
    cents = value * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return D(whole) / 100


# --- R8: ties and the B + 3 months boundary ---------------------------------------------

LEAP_TERM = {"term_start": dt.date(2028, 1, 1), "term_end": dt.date(2028, 12, 31)}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
        (dt.date(2027, 11, 30), dt.date(2028, 2, 29)),
        (dt.date(2026, 10, 31), dt.date(2027, 1, 31)),
        (dt.date(2026, 12, 31), dt.date(2027, 3, 31)),
        (dt.date(2026, 9, 30), dt.date(2026, 12, 30)),
    ],
)
def test_the_restated_three_months(day, expected):
    assert three_calendar_months_after(day) == expected


def test_refund_tie_rounds_half_up():
    # 10.05 € x 183 / 366 = 5.025 exactly: half up 5.03 (half even would give 5.02).
    amount, remaining, days = refund_amount(
        paid=D("10.05"), bulk_start=dt.date(2028, 7, 2), **LEAP_TERM
    )
    assert (remaining, days) == (183, 366)
    assert amount == D("5.03")


@pytest.mark.parametrize(
    ("bulk_start", "refunded"),
    [
        (dt.date(2028, 9, 29), True),  # runs on 29 Dec = B + 3 months
        (dt.date(2028, 9, 30), True),  # B + 3 months = 30 Dec: still runs
        (dt.date(2028, 10, 1), False),  # B + 3 months = 1 Jan: ended the day before
        (dt.date(2028, 10, 2), False),
    ],
)
def test_refund_boundary_is_b_plus_three_months(bulk_start, refunded):
    result = refund_amount(paid=D("120.00"), bulk_start=bulk_start, **LEAP_TERM)

    assert (result is not None) == refunded


def test_refund_boundary_with_month_end_clamping():
    # B = 30 Nov: B + 3 months = 28 Feb (clamped). A term ending 28 Feb still runs
    # that day (refund); one ending 27 Feb does not.
    term = {"term_start": dt.date(2026, 3, 1), "bulk_start": dt.date(2026, 11, 30)}
    assert refund_amount(paid=D("100"), term_end=dt.date(2027, 2, 28), **term) is not None
    assert refund_amount(paid=D("100"), term_end=dt.date(2027, 2, 27), **term) is None


def three_calendar_months_after(day: dt.date) -> dt.date:
    """The same day three months on, or that month's last day if it is shorter."""
    year, month = divmod(day.month + 2, 12)
    year, month = day.year + year, month + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def refund_restated(paid: Decimal, start: dt.date, end: dt.date, bulk: dt.date):
    """R8 as DOMAIN.md says it, with exact fractions."""
    three_months_later = three_calendar_months_after(bulk)
    if not end >= three_months_later:
        return None
    term_days = (end - start).days + 1
    remaining = (end - max(bulk, start)).days + 1
    amount = half_up_cents(Fraction(paid) * remaining / term_days)
    return None if amount <= 0 else (amount, remaining, term_days)


dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2034, 12, 31))
cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) / 100)


@settings(max_examples=400, deadline=None)
@given(paid=cents, start=dates, bulk_offset=st.integers(min_value=0, max_value=400))
def test_refund_matches_the_rule_on_random_terms(paid, start, bulk_offset):
    end = licence_year_end(start)
    bulk = start + dt.timedelta(days=bulk_offset)

    expected = refund_restated(paid, start, end, bulk)

    assert refund_amount(paid=paid, term_start=start, term_end=end, bulk_start=bulk) == expected


# --- R5: the licence year and 29 February ----------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "next_start"),
    [
        (dt.date(2028, 2, 28), dt.date(2029, 2, 27), dt.date(2029, 2, 28)),
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28), dt.date(2029, 3, 1)),
        (dt.date(2028, 3, 1), dt.date(2029, 2, 28), dt.date(2029, 3, 1)),
        (dt.date(2027, 3, 1), dt.date(2028, 2, 29), dt.date(2028, 3, 1)),
        (dt.date(2027, 2, 28), dt.date(2028, 2, 27), dt.date(2028, 2, 28)),
    ],
)
def test_licence_year_around_29_february(start, end, next_start):
    assert licence_year_end(start) == end
    assert next_year_start(end) == next_start


@settings(max_examples=400, deadline=None)
@given(start=dates)
def test_licence_year_matches_the_rule_on_random_starts(start):
    # S + 1 year - 1 day; S + 1 year of 29 Feb is 1 Mar in a common year.
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = dt.date(start.year + 1, 3, 1)
    end = licence_year_end(start)

    assert end == anniversary - dt.timedelta(days=1)
    assert next_year_start(end) == anniversary


# --- R1: more than half ------------------------------------------------------------------


@given(total=st.integers(min_value=0, max_value=10_000), registered=st.integers(0, 10_000))
def test_majority_is_strictly_more_than_half(total, registered):
    assert is_majority(registered=registered, total=total) == (2 * registered > total)
    assert 2 * majority_needed(total) > total >= 2 * (majority_needed(total) - 1)


# --- R9: VAT per rate on the sum, half up ----------------------------------------------


@dataclass
class Line:
    net_amount: Decimal
    vat_rate: Decimal


@pytest.mark.parametrize(
    ("nets", "rate", "vat"),
    [
        (["1.50"], "7.00", "0.11"),  # 0.105: half even would give 0.10
        (["1.50"], "19.00", "0.29"),  # 0.285: half even would give 0.28
        (["0.75", "0.75"], "7.00", "0.11"),  # on the sum, not 0.05 + 0.05 per line
        (["10.05"], "7.00", "0.70"),  # 0.7035
        (["0.07"], "7.00", "0.00"),  # 0.0049
    ],
)
def test_vat_ties_round_half_up_on_the_sum_per_rate(nets, rate, vat):
    totals = compute_totals([Line(D(n), D(rate)) for n in nets])

    [group] = totals.groups
    assert group.vat == D(vat)
    assert totals.gross == sum(D(n) for n in nets) + D(vat)


rates = st.sampled_from([D("7.00"), D("19.00"), D("0.00")])
lines = st.lists(
    st.builds(Line, net_amount=cents, vat_rate=rates),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines)
def test_totals_match_the_rule_on_random_invoices(lines):
    by_rate: dict[Decimal, Fraction] = {}
    for line in lines:
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, Fraction(0)) + Fraction(line.net_amount)
    expected = [
        (rate, half_up_cents(net), half_up_cents(net * Fraction(rate) / 100))
        for rate, net in sorted(by_rate.items())
    ]

    totals = compute_totals(lines)

    assert [(g.rate, g.net, g.vat) for g in totals.groups] == expected
    assert totals.net == sum((net for _, net, _ in expected), D(0))
    assert totals.vat == sum((vat for _, _, vat in expected), D(0))
    assert totals.gross == totals.net + totals.vat
