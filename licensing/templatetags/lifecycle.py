"""Template filters of the licence lifecycle (``{% load lifecycle %}``)."""

import datetime

from django import template

from licensing.terms import next_year_start

register = template.Library()


@register.filter
def next_day(day: datetime.date | None) -> datetime.date | None:
    """The first day of the year after one ending on ``day`` (next renewal)."""
    return next_year_start(day) if day else None
