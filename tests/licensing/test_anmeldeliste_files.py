"""Reading registration list files: formats, robust values, file-level limits
with German messages, and no traceback for any input."""

import dataclasses
import io
import random
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from licensing.anmeldeliste import ListFileError, cell_text, read_list
from licensing.models import Order, RegistrationUpload
from licensing.registration_result import RegistrationResult
from tests.factories import SchoolFactory
from tests.licensing.listfiles import HEADER, contact, make_xlsx, preview_address

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"

VALID_ROWS = [contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]]

DAMAGED = (
    "Die Datei ist beschädigt oder unvollständig und kann nicht gelesen werden. Bitte öffnen "
    "Sie sie in Excel oder LibreOffice, speichern Sie sie als Excel-Arbeitsmappe (.xlsx) und "
    "laden Sie sie erneut hoch."
)
NOT_A_SPREADSHEET = (
    "Die Datei ist keine Tabelle. Bitte laden Sie die Anmeldeliste als Excel-Arbeitsmappe "
    "(.xlsx) hoch; Excel 97–2003 (.xls), LibreOffice (.ods) und CSV werden ebenfalls gelesen."
)


def form_error(response):
    assert response.status_code == 200
    assert Order.objects.count() == 0
    assert RegistrationUpload.objects.count() == 0
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert errors[0] in response.content.decode().replace("&quot;", '"')
    return errors[0]


@pytest.mark.parametrize("name", ["libreoffice.xlsx", "libreoffice.ods", "libreoffice.xls"])
def test_files_saved_by_libreoffice_are_accepted(upload_list, directory, name):
    response = upload_list((FIXTURES / name).read_bytes(), name=name)

    assert preview_address(response)
    upload = RegistrationUpload.objects.get()
    entries = {
        e.school_number: dataclasses.asdict(e)
        for e in RegistrationResult.from_dict(upload.result).entries
    }
    assert sorted(entries) == ["100001", "100002", "100003", "200001", "200002"]
    # Formula (cached value), spaces and non-breaking spaces, rows as Excel numbers them.
    assert entries["100001"]["email"] == "kontakt100001@schule.example.org"
    assert entries["100001"]["row"] == 5
    assert entries["100002"]["email"] == "kontakt100002@schule.example.org"
    assert (entries["100002"]["first_name"], entries["100002"]["last_name"]) == ("Ben", "Schulz")
    assert entries["100003"]["row"] == 8  # after the empty row 7
    assert entries["100003"]["phone"] == "2211234"
    assert entries["200002"]["last_name"] == "Weiß"


def test_numbers_excel_turned_into_floats_or_text_and_lost_leading_zeros(
    upload_list, authority, directory, grundschule
):
    SchoolFactory(authority=authority, school_type=grundschule, school_number="012345")
    rows = [
        contact(100001.0),
        contact(" 100002\u00a0"),
        contact(100003),
        contact(12345),  # Excel dropped the leading zero of 012345
        contact("200001"),
        contact("200002"),
    ]
    response = upload_list(make_xlsx(rows))

    assert preview_address(response)
    stored = RegistrationResult.from_dict(RegistrationUpload.objects.get().result)
    numbers = [entry.school_number for entry in stored.entries]
    assert numbers == ["100001", "100002", "100003", "012345", "200001", "200002"]


def test_csv_is_read(upload_list, directory):
    lines = ["sep=;", ";".join(HEADER)] + [";".join(map(str, r)) for r in VALID_ROWS]
    content = "\r\n".join(lines).encode("cp1252")

    assert preview_address(upload_list(content, name="liste.csv"))


def test_xlsm_is_read(upload_list, directory):
    assert preview_address(upload_list(make_xlsx(VALID_ROWS), name="liste.xlsm"))


def test_header_found_below_title_rows_in_any_order(directory):
    header = ["E-MAIL", "Ansprechpartner Nachname", "Ansprechpartner Vorname", "Schulnummer"]
    rows = [[f"a{n}@b.de", "X", "Y", n] for n in ["100001", "100002"]]
    parsed = read_list(make_xlsx(rows, header=header, leading_rows=[["Titel"], [], ["Hinweis"]]))
    assert parsed.header_row == 4
    assert [r.row_number for r in parsed.rows] == [5, 6]
    assert parsed.rows[0].values["school_number"] == "100001"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123456.0, "123456"),
        (123456, "123456"),
        ("  123456 ", "123456"),
        ("\u00a0Anna\u202fMaria\u200b ", "Anna Maria"),
        (None, ""),
        (float("nan"), ""),
        (2.5, "2.5"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_file_too_large(upload_list, directory):
    message = form_error(upload_list(b"x" * 2048))
    assert message == (
        "Die Datei ist zu groß (höchstens 0 MB). Eine Anmeldeliste braucht keine Bilder "
        "oder weiteren Tabellenblätter."
    )


def test_file_too_large_in_the_reader():
    with override_settings(UPLOAD_MAX_BYTES=3 * 1024 * 1024), pytest.raises(ListFileError) as exc:
        read_list(b"x" * (3 * 1024 * 1024 + 1), "liste.xlsx")
    assert exc.value.message.startswith("Die Datei ist zu groß (höchstens 3 MB).")


@override_settings(UPLOAD_MAX_ROWS=3)
def test_too_many_rows(upload_list, directory):
    message = form_error(upload_list(make_xlsx(VALID_ROWS)))
    assert message == (
        "Die Liste hat mehr als 3 Zeilen. Bitte teilen Sie sie auf oder entfernen Sie leere "
        "und fremde Zeilen."
    )


def test_zip_bomb_is_refused_before_parsing(upload_list, directory):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (101 * 1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < 1024 * 1024

    message = form_error(upload_list(content))
    assert message == (
        "Die Datei ist entpackt zu groß (mehr als 100 MB). Eine Anmeldeliste ist viel kleiner: "
        "Bitte entfernen Sie Bilder und andere Tabellenblätter und laden Sie nur die Liste hoch."
    )


def test_workbook_without_sheets(upload_list, directory):
    source = zipfile.ZipFile(io.BytesIO(make_xlsx(VALID_ROWS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(
                    data[data.index(b"<sheets>") : data.index(b"</sheets>") + 9], b"<sheets/>"
                )
            archive.writestr(info, data)
    message = form_error(upload_list(buffer.getvalue()))
    assert (
        message == "Die Arbeitsmappe enthält kein Tabellenblatt. Bitte verwenden Sie die Vorlage."
    )


def test_empty_sheet(upload_list, directory):
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    message = form_error(upload_list(buffer.getvalue()))
    assert message == "Das Tabellenblatt ist leer. Bitte tragen Sie die Schulen in die Vorlage ein."


def test_header_without_rows(upload_list, directory):
    message = form_error(upload_list(make_xlsx([], leading_rows=[["Titel"]])))
    assert message == (
        "Die Liste enthält unter der Kopfzeile (Zeile 2) keine Schulen. Bitte tragen Sie je "
        "Schule eine Zeile ein."
    )


def test_no_header_row(upload_list, directory):
    message = form_error(upload_list(make_xlsx([["100001", "Max"]], header=["Nummer", "Name"])))
    assert message == (
        "Die Kopfzeile wurde nicht gefunden. Die Liste braucht eine Zeile mit den "
        "Spaltenüberschriften Schulnummer, Ansprechpartner Vorname, Ansprechpartner Nachname "
        "und Ansprechpartner E-Mail (wie in der Vorlage); "
        "Reihenfolge und Schreibweise sind egal."
    )


def test_required_column_missing(upload_list, directory):
    content = make_xlsx([["100001", "Max"]], header=["Schulnummer", "Vorname"], leading_rows=[[]])
    message = form_error(upload_list(content))
    assert message == (
        "In der Kopfzeile (Zeile 2) fehlen die Spalten: Ansprechpartner Nachname, "
        "Ansprechpartner E-Mail. Bitte verwenden Sie die Vorlage oder ergänzen Sie die Spalten."
    )


def test_password_protected_file(upload_list, directory):
    # An encrypted Office file is an OLE container with an EncryptedPackage stream.
    content = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 1016
        + "EncryptionInfo".encode("utf-16-le")
        + b"\x00" * 50
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 2000
    )
    message = form_error(upload_list(content, name="liste.xlsx"))
    assert message.startswith("Die Datei ist mit einem Passwort geschützt.")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "liste.pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "bild.png"),
        (bytes(range(256)) * 20, "liste.xlsx"),
    ],
    ids=["pdf", "png", "binary"],
)
def test_not_a_spreadsheet(upload_list, directory, content, name):
    assert form_error(upload_list(content, name=name)) == NOT_A_SPREADSHEET


def test_word_document_is_not_a_spreadsheet(upload_list, directory):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert form_error(upload_list(buffer.getvalue(), name="liste.docx")) == NOT_A_SPREADSHEET


def test_truncated_xlsx_is_damaged(upload_list, directory):
    content = make_xlsx(VALID_ROWS)
    assert form_error(upload_list(content[: len(content) // 2])) == DAMAGED


def test_empty_file(upload_list, directory):
    # Django's own file field refuses it first.
    assert form_error(upload_list(b"")) == "Die übertragene Datei ist leer."
    with pytest.raises(ListFileError) as exc:
        read_list(b"  \n", "liste.csv")
    assert exc.value.message == "Die Datei ist leer."


def test_fuzz_random_and_truncated_files_never_raise_anything_else():
    rng = random.Random(20261127)
    template = make_xlsx(VALID_ROWS)
    ods = (FIXTURES / "libreoffice.ods").read_bytes()
    xls = (FIXTURES / "libreoffice.xls").read_bytes()
    samples = []
    for _ in range(60):
        samples.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000))))
    for source in (template, ods, xls):
        for _ in range(20):
            samples.append(source[: rng.randint(1, len(source))])
        for _ in range(30):  # flipped bytes inside a valid file
            data = bytearray(source)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            samples.append(bytes(data))
    for prefix in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        samples.extend(prefix + bytes(rng.getrandbits(8) for _ in range(500)) for _ in range(10))
    for index, sample in enumerate(samples):
        for name in ("liste.xlsx", "liste.csv"):
            try:
                read_list(sample, name)
            except ListFileError as exc:
                assert exc.message
            except Exception as exc:  # pragma: no cover - the failure we look for
                pytest.fail(f"sample {index} ({name!r}) raised {exc!r}")


def test_sheet_claiming_billions_of_cells_does_not_take_the_server_down():
    # A cell at the last address Excel has (XFD1048576) makes the reader allocate
    # the whole 17-billion-cell grid; in-process that aborts Python. The reader
    # runs in a memory-limited child process, so this is an ordinary message.
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"], sheet["XFD1048576"] = "Schulnummer", "E-Mail", "x"
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(ListFileError) as exc:
        read_list(buffer.getvalue(), "liste.xlsx")
    assert exc.value.message == DAMAGED


def test_fuzzed_upload_is_a_page_not_a_500(upload_list, directory):
    rng = random.Random(7)
    content = make_xlsx(VALID_ROWS)
    for _ in range(10):
        response = upload_list(content[: rng.randint(1, len(content) - 1)])
        assert response.status_code == 200
    assert RegistrationUpload.objects.count() == 0
