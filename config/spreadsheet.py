"""Writing user text into spreadsheets safely (shared by every .xlsx the product writes).

A text that begins with ``=``, ``+``, ``-`` or ``@`` would be read by Excel or
LibreOffice as a formula (formula injection, e.g. ``=HYPERLINK(...)`` in a school
or contact name). ``write_text`` stores such text as a string cell with a quote
prefix, so it is shown and read back exactly as written, never evaluated.
"""

FORMULA_START = ("=", "+", "-", "@")


def write_text(cell, value) -> None:
    """Write ``value`` into an openpyxl ``cell``; text always stays text."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True


def csv_text(value: str) -> str:
    """User text for a CSV file that spreadsheets open: text that would start a
    formula gets a leading apostrophe, which Excel and LibreOffice show as text."""
    if value.startswith(FORMULA_START):
        return "'" + value
    return value
