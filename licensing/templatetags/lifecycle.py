"""Template filters of the licence lifecycle (``{% load lifecycle %}``)."""

import datetime
from decimal import Decimal
from html import escape

from django import template
from django.utils.safestring import mark_safe

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


@register.simple_tag
def order_school_table_rows(rows) -> str:
    """``<tr>`` per school of an order page (``OrderSchoolRow``): number, name, type,
    contact person with e-mail, activation. Written here, every value escaped as
    ``{{ value }}`` would escape it: 256 schools × 6 values through the template
    language were a third of the page's server time."""
    return mark_safe(
        "\n".join(
            f"<tr><td>{escape(row.school_number)}</td><td>{escape(row.name)}</td>"
            f"<td>{escape(row.school_type)}</td><td>{escape(row.contact_name)}<br>"
            f'<span class="small">{escape(row.contact_email)}</span></td>'
            f"<td>{escape(row.activation)}</td></tr>"
            for row in rows
        )
    )
