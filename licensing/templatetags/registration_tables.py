"""Rows of the registration check's tables (``{% load registration_tables %}``).

A list of 10,000 schools is 10,000 table rows with five values each; the
template language takes about 20 µs per value, so these rows are written here,
every value escaped as ``{{ value }}`` would escape it."""

import re
from html import escape
from operator import attrgetter

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


_SPECIAL = re.compile("[&<>\"']")


def _text(value) -> str:
    return escape(str(value))


def _column(items, name: str) -> list[str]:
    """The ``name`` of every item as text, escaped when any of them needs it (most
    columns of a list need none: one search instead of escape() per value)."""
    values = list(map(str, map(attrgetter(name), items)))
    if _SPECIAL.search("".join(values)):
        return list(map(escape, values))
    return values


@register.simple_tag
def row_error_rows(errors) -> str:
    """``<tr>`` per problem: row (as Excel numbers it), column, message."""
    rows = map(int, map(attrgetter("row"), errors))
    cells = zip(rows, _column(errors, "column"), _column(errors, "message"), strict=True)
    return mark_safe("\n".join(map("<tr><td>%d</td><td>%s</td><td>%s</td></tr>".__mod__, cells)))


_ENTRY_ROW = "<tr><td>%d</td><td>%s %s</td><td>%s %s</td><td>%s</td><td>%s</td></tr>"
_ENTRY_COLUMNS = ("school_number", "school_name", "first_name", "last_name", "email", "phone")


@register.simple_tag
def entry_rows(entries) -> str:
    """``<tr>`` per registered school: row, school, contact person, e-mail, phone."""
    rows = map(int, map(attrgetter("row"), entries))
    columns = [_column(entries, name) for name in _ENTRY_COLUMNS]
    return mark_safe("\n".join(map(_ENTRY_ROW.__mod__, zip(rows, *columns, strict=True))))


@register.simple_tag
def missing_school_items(schools) -> str:
    """``<li>`` per school of the authority that is not in the list."""
    return mark_safe(
        "".join(
            f"<li>{_text(school['school_number'])} {_text(school['school_name'])} "
            f"({_text(school['school_type'])})</li>"
            for school in schools
        )
    )
