"""Rows of the registration check's tables (``{% load registration_tables %}``).

A list of 10,000 schools is 10,000 table rows with five values each; the
template language takes about 20 µs per value, so these rows are written here,
every value escaped as ``{{ value }}`` would escape it."""

import re
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


# Most values have nothing to escape; a search is much cheaper than escape().
_SPECIAL = re.compile("[&<>\"']")


def _text(value) -> str:
    text = str(value)
    return escape(text) if _SPECIAL.search(text) else text


@register.simple_tag
def row_error_rows(errors) -> str:
    """``<tr>`` per problem: row (as Excel numbers it), column, message."""
    return mark_safe(
        "\n".join(
            f"<tr><td>{int(error.row):d}</td><td>{_text(error.column)}</td>"
            f"<td>{_text(error.message)}</td></tr>"
            for error in errors
        )
    )


@register.simple_tag
def entry_rows(entries) -> str:
    """``<tr>`` per registered school: row, school, contact person, e-mail, phone."""
    return mark_safe(
        "\n".join(
            f"<tr><td>{int(entry.row):d}</td>"
            f"<td>{_text(entry.school_number)} {_text(entry.school_name)}</td>"
            f"<td>{_text(entry.first_name)} {_text(entry.last_name)}</td>"
            f"<td>{_text(entry.email)}</td><td>{_text(entry.phone)}</td></tr>"
            for entry in entries
        )
    )


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
