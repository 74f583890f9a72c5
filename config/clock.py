"""The portal's calendar: today in its time zone (Europe/Berlin). The lifecycle,
the portal pages and the nightly command ask this one function, so that tests can
move the calendar in one place."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format


def today() -> datetime.date:
    """Today in the portal's time zone (Europe/Berlin)."""
    return timezone.localdate()


def date_text(day: datetime.date) -> str:
    """A day as German users read it: ``01.08.2026``."""
    return date_format(day, "d.m.Y")
