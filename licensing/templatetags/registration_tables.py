"""Rows of the registration check's tables (``{% load registration_tables %}``).

A list of 10,000 schools is 10,000 table rows with five values each; the
template language takes about 20 µs per value, so these rows are written here,
every value escaped as ``{{ value }}`` would escape it."""

from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from licensing.registration_result import column_of

register = template.Library()


# What ``escape`` replaces; the separator it leaves alone (never in a cell's text:
# ``_column`` checks, and escapes value by value when it is).
_SPECIAL = "&<>\"'"
_SEPARATOR = "\x00"


def _text(value) -> str:
    return escape(str(value))


def _column(items, name: str) -> list[str]:
    """The ``name`` of every item as text, escaped when any of them needs it. Most
    columns of a list need none: five searches of the joined column instead of
    escape() per value; a column that does (a school name with quotes) is escaped
    joined, in one pass."""
    values = list(map(str, column_of(items, name)))
    joined = _SEPARATOR.join(values)
    if not any(char in joined for char in _SPECIAL):
        return values
    if joined.count(_SEPARATOR) == len(values) - 1:
        return escape(joined).split(_SEPARATOR)
    return list(map(escape, values))


@register.simple_tag
def row_error_rows(errors) -> str:
    """``<tr>`` per problem: row (as Excel numbers it), column, message."""
    rows = map(int, column_of(errors, "row"))
    cells = zip(rows, _column(errors, "column"), _column(errors, "message"), strict=True)
    return mark_safe("\n".join(map("<tr><td>%d</td><td>%s</td><td>%s</td></tr>".__mod__, cells)))


_ENTRY_COLUMNS = ("school_number", "school_name", "first_name", "last_name", "email", "phone")


@register.simple_tag
def entry_rows(entries) -> str:
    """``<tr>`` per registered school: row, school, contact person, e-mail, phone."""
    rows = map(int, column_of(entries, "row"))
    columns = [_column(entries, name) for name in _ENTRY_COLUMNS]
    return mark_safe(
        "\n".join(
            [
                f"<tr><td>{row:d}</td><td>{number} {name}</td><td>{first} {last}</td>"
                f"<td>{email}</td><td>{phone}</td></tr>"
                for row, number, name, first, last, email, phone in zip(rows, *columns, strict=True)
            ]
        )
    )


def _shown(value) -> str:
    """``value`` as ``{{ value }}`` shows it: localised (1.234), escaped."""
    return conditional_escape(str(localize(value)))


def _price(value) -> str:
    """``{% if value %}{{ value|floatformat:"2g" }} €{% else %}–{% endif %}``."""
    return f"{floatformat(value, '2g')} €" if value else "–"


@register.simple_tag
def figure_rows(figures) -> str:
    """``<tr>`` per school type of the more-than-half table (``TypeFigure``), as the
    template loop wrote them (tests/licensing/test_registration_preview_tables.py)."""
    return mark_safe("".join(_figure_row(figure) for figure in figures))


def _figure_row(figure) -> str:
    name, registered, total, needed = (
        _shown(figure.name),
        _shown(figure.registered),
        _shown(figure.total),
        _shown(figure.needed),
    )
    label = gettext("%(name)s: %(registered)s von %(total)s") % {
        "name": name,
        "registered": registered,
        "total": total,
    }
    if not figure.registered:
        state = conditional_escape(gettext("nicht bestellt"))
    elif figure.passed:
        state = conditional_escape(gettext("erfüllt"))
    else:
        state = (
            '<span class="text-danger fw-semibold">'
            f"{conditional_escape(gettext('nicht erfüllt'))}</span>"
        )
    return (
        "\n      <tr>\n"
        f'        <th scope="row">{name}</th>\n'
        f'        <td class="text-end">{registered}</td>\n'
        f'        <td class="text-end">{total}</td>\n'
        f'        <td class="text-end">{needed}</td>\n'
        "        <td>\n"
        f'          <meter class="w-100" min="0" max="{figure.total:d}" low="{figure.needed:d}" '
        f'high="{figure.total:d}" optimum="{figure.total:d}" value="{figure.registered:d}"\n'
        f'                 aria-label="{label}">{registered}/{total}</meter>\n'
        f'          <span class="small">{state}</span>\n'
        "        </td>\n"
        f'        <td class="text-end">{_price(figure.bulk_price)}</td>\n'
        f'        <td class="text-end">{_price(figure.subtotal)}</td>\n'
        "      </tr>\n    "
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
