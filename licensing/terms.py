"""The arithmetic of the rules: the more-than-half threshold (R1), the licence
year (R5) and the pro-rata refund of a superseded individual licence (R8). Pure
functions."""

import calendar
import datetime
from decimal import Decimal

from config.money import money


def majority_needed(total: int) -> int:
    """R1: the fewest registered schools that are more than half of ``total``
    (``2 * registered > total``); exactly half is refused."""
    return total // 2 + 1


def is_majority(*, registered: int, total: int) -> bool:
    """R1: whether ``registered`` schools are more than half of ``total``."""
    return registered >= majority_needed(total)


def invoice_issue_delay(configured_days: int) -> int:
    """R9: an invoice is issued 1 to 2 weeks after setup or renewal, whatever the
    setting says (``INVOICE_ISSUE_DELAY_DAYS`` clamped to 7..14)."""
    return min(max(configured_days, 7), 14)


def invoice_issue_day(
    *, year_start: datetime.date, on: datetime.date, configured_days: int
) -> datetime.date:
    """R9: the day the first year's invoice is issued when an order whose licences
    start on ``year_start`` is confirmed on ``on``: the later of the two plus the
    delay (as ``invoicing.drafts.issue_due_day`` for year 1; the buyer is told it)."""
    return max(on, year_start) + datetime.timedelta(days=invoice_issue_delay(configured_days))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus whole calendar months, clamped to the last day of the month
    (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def licence_year_end(start: datetime.date) -> datetime.date:
    """Last day of a licence year starting on ``start``: start + 1 year - 1 day,
    inclusive (R5). A year starting 29 Feb 2028 ends 28 Feb 2029; one starting
    1 Jan ends 31 Dec."""
    if start.month == 2 and start.day == 29:
        return datetime.date(start.year + 1, 2, 28)
    return start.replace(year=start.year + 1) - datetime.timedelta(days=1)


def next_year_start(end: datetime.date) -> datetime.date:
    """First day of the licence year that follows a year ending on ``end``."""
    return end + datetime.timedelta(days=1)


def refund_amount(
    *,
    paid: Decimal,
    term_start: datetime.date,
    term_end: datetime.date,
    bulk_start: datetime.date,
) -> tuple[Decimal, int, int] | None:
    """The R8 refund for an individual licence ``term_start..term_end`` (inclusive)
    superseded by a bulk licence starting on ``bulk_start``.

    Returns ``(amount, remaining_days, term_days)`` or ``None`` when there is no
    refund: when the individual licence no longer runs on ``bulk_start + 3
    months`` (three months or less remain). The remaining days are the days from
    ``bulk_start`` to ``term_end`` inclusive; the amount is ``paid * remaining /
    term_days`` rounded half up to the cent.
    """
    if term_end < add_months(bulk_start, 3):
        return None
    first_day = max(bulk_start, term_start)
    term_days = (term_end - term_start).days + 1
    remaining_days = (term_end - first_day).days + 1
    amount = money(paid * remaining_days / term_days)
    if amount <= 0:
        return None
    return amount, remaining_days, term_days
