"""The registration list template holds only schools of the types the product
has a price for; the others stand on the sheet „Nicht bestellbar“ with the
reason, and a row with such a school is refused by the upload check, named by
row (issue 13)."""

import io

import pytest
from openpyxl import load_workbook

from licensing.anmeldeliste import read_list
from licensing.models import Order, Price, RegistrationUpload
from licensing.registration import registration_template
from tests.factories import SchoolFactory, SchoolTypeFactory
from tests.licensing.conftest import GS_NUMBERS, GYM_NUMBERS
from tests.licensing.listfiles import contact, make_xlsx, preview_address

pytestmark = pytest.mark.django_db

BERUFSKOLLEG_NUMBERS = ["300001", "300002"]


@pytest.fixture
def berufskolleg(db, authority, directory):
    """A type without a price for the product, with two active schools and a
    closed one of the authority."""
    school_type = SchoolTypeFactory(key="10", name="Berufskolleg")
    for number in BERUFSKOLLEG_NUMBERS:
        SchoolFactory(
            authority=authority,
            school_type=school_type,
            school_number=number,
            name=f"Berufskolleg {number}",
        )
    SchoolFactory(
        authority=authority, school_type=school_type, school_number="300009", is_active=False
    )
    return school_type


def numbers_in_column_a(sheet, first_row=5):
    return [sheet.cell(row=r, column=1).value for r in range(first_row, sheet.max_row + 1)]


def test_template_lists_unpriced_schools_only_as_not_orderable(authority, product, berufskolleg):
    workbook = load_workbook(
        io.BytesIO(registration_template(authority=authority, product=product))
    )

    assert workbook.sheetnames == ["Anmeldeliste", "Nicht bestellbar", "Anleitung"]
    fill_in = workbook["Anmeldeliste"]
    assert numbers_in_column_a(fill_in) == GS_NUMBERS + GYM_NUMBERS
    school_types = {fill_in.cell(row=r, column=3).value for r in range(5, fill_in.max_row + 1)}
    assert school_types == {"Grundschule", "Gymnasium"}
    # The school type drop-down offers only orderable types.
    help_sheet = workbook["Anleitung"]
    offered = [help_sheet.cell(row=r, column=1).value for r in (20, 21, 22)]
    assert offered == ["Grundschule", "Gymnasium", None]

    apart = workbook["Nicht bestellbar"]
    assert apart["A1"].value == "Nicht bestellbar: Mathe digital"
    assert "keinen Preis" in apart["A2"].value
    assert [c.value for c in apart[4]] == [
        "Schulnummer", "Schulname", "Schulform", "Adresse", "Grund",
    ]  # fmt: skip
    assert numbers_in_column_a(apart) == BERUFSKOLLEG_NUMBERS  # active ones only
    for row in (5, 6):
        assert apart.cell(row=row, column=3).value == "Berufskolleg"
        assert apart.cell(row=row, column=5).value == (
            "Schulform für dieses Produkt nicht bestellbar (kein Preis)"
        )
    instructions = " ".join(str(c.value) for c in help_sheet["A"] if c.value)
    assert "„Nicht bestellbar“" in instructions


def test_template_without_unpriced_types_has_no_extra_sheet(authority, product, directory):
    workbook = load_workbook(
        io.BytesIO(registration_template(authority=authority, product=product))
    )
    assert workbook.sheetnames == ["Anmeldeliste", "Anleitung"]


def test_price_ended_type_moves_to_not_orderable(authority, product, directory, gymnasium):
    Price.objects.filter(product=product, school_type=gymnasium).delete()
    workbook = load_workbook(
        io.BytesIO(registration_template(authority=authority, product=product))
    )
    assert numbers_in_column_a(workbook["Anmeldeliste"]) == GS_NUMBERS
    assert numbers_in_column_a(workbook["Nicht bestellbar"]) == GYM_NUMBERS


def test_the_not_orderable_sheet_is_never_read_as_the_list(authority, product, berufskolleg):
    """A template whose fill-in sheet is left as downloaded is read from
    „Anmeldeliste“, never from „Nicht bestellbar“."""
    parsed = read_list(registration_template(authority=authority, product=product), "a.xlsx")
    assert parsed.sheet_name == "Anmeldeliste"
    assert [row.values["school_number"] for row in parsed.rows] == GS_NUMBERS + GYM_NUMBERS


def test_upload_of_an_unpriced_school_names_its_row(upload_list, product, berufskolleg):
    rows = [contact(n) for n in GS_NUMBERS + GYM_NUMBERS] + [
        contact("300001", "Berufskolleg 300001", "Berufskolleg")
    ]

    response = upload_list(make_xlsx(rows))

    assert response.status_code == 200
    result = response.context["result"]
    assert result.messages == [
        "Zeile 8, Spalte Schulform: Die Schule 300001 hat die Schulform Berufskolleg; diese "
        "Schulform ist für dieses Produkt nicht bestellbar (es gibt keinen Preis dafür). Bitte "
        "löschen Sie die Zeile oder wenden Sie sich an Ihre Ansprechpartner im Verlag."
    ]
    assert "nicht bestellbar" in response.content.decode()
    assert Order.objects.count() == 0
    assert RegistrationUpload.objects.count() == 0


def test_unpriced_school_without_type_column_is_named_by_its_number(
    upload_list, product, berufskolleg
):
    header = ["Schulnummer", "Vorname", "Nachname", "E-Mail"]
    rows = [[n, "Max", "Muster", f"p{n}@schule.example.org"] for n in GS_NUMBERS + ["300002"]]

    result = upload_list(make_xlsx(rows, header=header)).context["result"]

    assert [str(e).split(":")[0] for e in result.row_errors] == ["Zeile 6, Spalte Schulnummer"]
    assert "300002" in result.row_errors[0].message


def test_unpriced_schools_are_not_reported_as_missing_from_the_list(
    staff_client, upload_list, product, berufskolleg
):
    rows = [contact(n) for n in GS_NUMBERS[:3] + GYM_NUMBERS]

    response = upload_list(make_xlsx(rows))
    result = staff_client.get(preview_address(response)).context["result"]

    assert [school["school_number"] for school in result.missing_schools] == ["100004"]
