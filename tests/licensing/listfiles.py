"""Building registration list files for tests."""

import io
import re

from openpyxl import Workbook

HEADER = ["Schulnummer", "Schulname", "Schulform", "Vorname", "Nachname", "E-Mail", "Telefon"]


def preview_address(response) -> str:
    """The address of the stored draft's preview that answered a valid upload: the
    page is the preview, under its own address (``Content-Location``)."""
    assert response.status_code == 200, response.status_code
    assert response.has_header("Content-Location"), response.context["result"].messages
    return response["Content-Location"]


def without_csrf_tokens(html: str) -> str:
    """``html`` without its CSRF tokens (masked anew on every render)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def contact(number, name="", school_type="", first="Max", last="Muster", email=None, phone=""):
    return [
        number,
        name,
        school_type,
        first,
        last,
        email or f"p{str(number).strip()}@schule.example.org",
        phone,
    ]


def make_xlsx(rows, header=HEADER, leading_rows=()):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Anmeldeliste"
    for row in leading_rows:
        sheet.append(list(row))
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
