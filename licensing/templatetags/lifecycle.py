"""Template filters of the licence lifecycle (``{% load lifecycle %}``)."""

import datetime
from decimal import Decimal

from django import template

from config.money import euro_text
from licensing.terms import next_year_start

register = template.Library()


@register.filter
def next_day(day: datetime.date | None) -> datetime.date | None:
    """The first day of the year after one ending on ``day`` (next renewal)."""
    return next_year_start(day) if day else None


@register.filter
def euro(amount: Decimal | None) -> str:
    """``5.000,00 €``; "–" for no amount."""
    return "–" if amount is None else euro_text(amount)
