"""The per-school cost sheet (R9): its gross amounts add up to the invoice."""

import datetime
from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import load_workbook

from invoicing.breakdown import breakdown_xlsx
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from tests.invoicing.conftest import make_licence_year


@pytest.mark.django_db
def test_sheet_amounts_add_up_to_the_invoice_and_say_how(authority):
    year = make_licence_year(authority=authority, prices=(D("33.35"),) * 3)
    invoice = invoice_issue(
        invoice=invoice_create_draft(licence_year=year), on=datetime.date(2026, 8, 10)
    )

    sheet = load_workbook(BytesIO(breakdown_xlsx(invoice=invoice))).active

    rows = list(sheet.iter_rows(min_row=5, max_row=7, values_only=True))
    # 3 x 2.3345 = 7.0035 -> 7.00: 2.33 each, the one cent left to the first position
    assert [D(str(row[8])) for row in rows] == [D("2.34"), D("2.33"), D("2.33")]
    assert sum(D(str(row[9])) for row in rows) == invoice.gross_total == D("107.05")
    texts = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert any("Verfahren des größten Restes" in text for text in texts)
