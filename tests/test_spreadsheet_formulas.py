"""Every spreadsheet the product writes keeps user text that looks like a formula
as text: read back, the cell is a string with exactly the text written."""

import csv
import datetime
import hashlib
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook, load_workbook

from config.spreadsheet import write_text
from config.storage import private_storage
from invoicing.archive import archive_export
from invoicing.breakdown import breakdown_xlsx
from invoicing.models import Invoice
from licensing.registration import registration_template
from tests.factories import (
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
    SchoolTypeFactory,
)
from tests.invoicing.factories import InvoiceFactory, add_lines

EVIL = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]


def cells_with(workbook, texts):
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in texts:
                    found.setdefault(cell.value, cell)
    return found


def test_write_text_keeps_formula_like_text_and_leaves_numbers_alone():
    workbook = Workbook()
    sheet = workbook.active
    for row, text in enumerate([*EVIL, "Grundschule"], start=1):
        write_text(sheet.cell(row=row, column=1), text)
    write_text(sheet.cell(row=1, column=2), 42)
    out = BytesIO()
    workbook.save(out)
    sheet = load_workbook(BytesIO(out.getvalue())).active
    for row, text in enumerate([*EVIL, "Grundschule"], start=1):
        cell = sheet.cell(row=row, column=1)
        assert (cell.data_type, cell.value) == ("s", text)
    assert sheet.cell(row=1, column=2).value == 42


def test_write_text_drops_control_characters_xlsx_cannot_hold():
    workbook = Workbook()
    sheet = workbook.active
    write_text(sheet.cell(row=1, column=1), "Anna\x01 Muster\x1fmann")
    write_text(sheet.cell(row=2, column=1), "\x02=SUM(A1)")
    write_text(sheet.cell(row=3, column=1), "Zeile 1\nZeile 2\tTab")
    out = BytesIO()
    workbook.save(out)
    sheet = load_workbook(BytesIO(out.getvalue())).active
    assert sheet.cell(row=1, column=1).value == "Anna Mustermann"
    second = sheet.cell(row=2, column=1)
    assert (second.value, second.quotePrefix) == ("=SUM(A1)", True)
    assert sheet.cell(row=3, column=1).value == "Zeile 1\nZeile 2\tTab"


@pytest.mark.django_db
@pytest.mark.parametrize("sheet_name", ["Anmeldeliste", "Nicht bestellbar"])
def test_registration_template_writes_school_names_as_text(sheet_name):
    authority = SchoolAuthorityFactory(name="@SUM(A1)")
    school_type = SchoolTypeFactory(name="-2")
    for i, name in enumerate(EVIL):
        SchoolFactory(authority=authority, school_type=school_type, name=name, street=f"+1 Weg {i}")
    product = ProductFactory(name='=HYPERLINK("http://x","y")')
    if sheet_name == "Anmeldeliste":
        PriceFactory(product=product, school_type=school_type)
    else:  # a type without a price: its schools stand on the sheet „Nicht bestellbar“
        SchoolFactory(authority=authority, school_type=SchoolTypeFactory(key="99", name="X"))
        PriceFactory(product=product, school_type=SchoolTypeFactory(key="99"))

    workbook = load_workbook(BytesIO(registration_template(authority=authority, product=product)))

    found = cells_with(workbook, EVIL)
    assert set(found) == set(EVIL)
    for text, cell in found.items():
        assert (cell.data_type, cell.value) == ("s", text), cell.coordinate
        assert cell.parent.title == sheet_name
    sheet = workbook[sheet_name]
    names = [sheet.cell(row=row, column=2) for row in range(5, 9)]
    assert sorted(cell.value for cell in names) == sorted(EVIL)
    assert {cell.data_type for cell in names} == {"s"}
    assert workbook["Anmeldeliste"]["A2"].value.startswith("Schulträger: @SUM(A1)")


@pytest.mark.django_db
def test_cost_breakdown_writes_school_and_buyer_names_as_text():
    # Lines are written while the document is a draft (issued ones are immutable).
    invoice = InvoiceFactory(buyer_name='=HYPERLINK("http://x","y")', status="draft")
    invoice = add_lines(invoice, [("100.00", "7.00")] * 4, product="@SUM(A1)")
    for line, name in zip(invoice.lines.order_by("position"), EVIL, strict=True):
        type(line).objects.filter(pk=line.pk).update(school_name=name)

    sheet = load_workbook(BytesIO(breakdown_xlsx(invoice=invoice))).active

    assert (sheet["A2"].data_type, sheet["A2"].value) == ("s", EVIL[0])
    for row, name in enumerate(EVIL, start=5):
        school, product = sheet.cell(row=row, column=3), sheet.cell(row=row, column=4)
        assert (school.data_type, school.value) == ("s", name)
        assert (product.data_type, product.value) == ("s", "@SUM(A1)")
        assert sheet.cell(row=row, column=5).value == datetime.datetime(2026, 8, 1)


@pytest.mark.django_db
def test_archive_index_csv_keeps_formula_like_names_as_text(tmp_path):

    invoice = InvoiceFactory(buyer_name='=HYPERLINK("http://x","y")', status="draft")
    invoice = add_lines(invoice, [("100.00", "7.00")])
    files = {}
    for kind, content in (("pdf", b"%PDF-1.7 x\n%%EOF\n"), ("xml", b"<x/>")):
        name = private_storage().save(f"test/{invoice.pk}.{kind}", ContentFile(content))
        files[kind] = name
        files[f"{kind}_sha256"] = hashlib.sha256(content).hexdigest()
    Invoice.objects.filter(pk=invoice.pk).update(status="issued", **files)

    archive_export(year=2026, out=tmp_path)

    text = (tmp_path / "index.csv").read_text(encoding="utf-8-sig")
    row = list(csv.reader(text.splitlines(), delimiter=";"))[1]
    assert row[3] == '\'=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    "text",
    ["\t=1+1", "\r=1+1", " =HYPERLINK(1)", "\n+1", "\xa0@SUM(A1)", "  \t-2", "\tKöln"],
)
def test_leading_whitespace_or_control_characters_do_not_hide_a_formula(text):
    from config.spreadsheet import csv_text

    workbook = Workbook()
    write_text(workbook.active.cell(row=1, column=1), text)
    out = BytesIO()
    workbook.save(out)
    cell = load_workbook(BytesIO(out.getvalue())).active.cell(row=1, column=1)

    assert cell.quotePrefix
    assert (cell.data_type, cell.value) == ("s", text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Köln", " Köln", "1 = 1", "a-b", "\x01Köln", ""])
def test_ordinary_text_is_left_alone(text):
    from config.spreadsheet import csv_text, formula_like

    assert not formula_like(text)
    assert csv_text(text) == text


def test_control_character_before_a_formula_in_csv():
    from config.spreadsheet import csv_text

    assert csv_text("\x01=1+1") == "'\x01=1+1"
