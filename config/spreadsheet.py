"""Writing user text into spreadsheets safely (shared by every .xlsx the product writes).

A text that begins with ``=``, ``+``, ``-`` or ``@`` would be read by Excel or
LibreOffice as a formula (formula injection, e.g. ``=HYPERLINK(...)`` in a school
or contact name). ``write_text`` stores such text as a string cell with a quote
prefix, so it is shown and read back exactly as written, never evaluated. The same
holds for text that starts with a tab or carriage return (formula starters of their
own in CSV) or with whitespace or control characters before one of the four.
Control characters the xlsx format cannot hold (e.g. ``\x01`` pasted into a contact
name) are dropped instead of failing the whole file.
"""

import re
import unicodedata

# The characters openpyxl refuses in a cell (its ``ILLEGAL_CHARACTERS_RE``), kept
# here so that importing this module does not load openpyxl into every web process.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could take ``value`` as a formula."""
    if value.startswith(FORMULA_START):
        return True
    index = 0
    while index < len(value) and (
        value[index].isspace() or unicodedata.category(value[index]) == "Cc"
    ):
        index += 1
    return index > 0 and value[index:].startswith(FORMULA_START)


def write_text(cell, value) -> None:
    """Write ``value`` into an openpyxl ``cell``; text always stays text."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True


def csv_text(value: str) -> str:
    """User text for a CSV file that spreadsheets open: text that would start a
    formula gets a leading apostrophe, which Excel and LibreOffice show as text."""
    if formula_like(value):
        return "'" + value
    return value
