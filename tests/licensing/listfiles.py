"""Building registration list files for tests."""

import io

from openpyxl import Workbook

HEADER = ["Schulnummer", "Schulname", "Schulform", "Vorname", "Nachname", "E-Mail", "Telefon"]


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
