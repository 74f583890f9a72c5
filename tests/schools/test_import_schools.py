from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from schools.models import School, SchoolAuthority, SchoolType
from tests.factories import LicenceFactory, OrderFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "sep=;\n"
    "Schulnummer;Schulform;Schulbezeichnung_1;Schulbezeichnung_2;Schulbezeichnung_3;"
    "Kurzbezeichnung;PLZ;Ort;Strasse;Telefonvorwahl;Telefon;Faxvorwahl;Fax;E-Mail;Homepage;"
    "Rechtsform;Traegernummer;Gemeindeschluessel;Schulbetriebsschluessel;Schulbetriebsdatum;"
    "EPSG;UTMRechtswert;UTMHochwert;\n"
)


def row(number, form="02", name="Städt. Grundschule", ort="Köln", traeger="10182", betrieb="1"):
    return (
        f'"{number}";"{form}";"{name}";"Am Park";"";"";"50667";"{ort}";"Schulweg 1";"0221";"1";'
        f'"";"";"{number}@schule.nrw.de";"";"1";"{traeger}";"05315000";"{betrieb}";"01.08.1970";'
        '"";"";""\n'
    )


def run_import(tmp_path: Path, *rows: str) -> tuple[str, str]:
    path = tmp_path / "schuldaten.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_schools", str(path), format="nrw", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_authorities_types_and_schools_and_skips_offices(tmp_path):
    out, err = run_import(
        tmp_path,
        row("100001"),
        row("100002", form="20", name="Gymnasium Kreuzgasse"),
        row("100003", form="0A", name="Bezirksregierung Köln"),
        row("200001", ort="Bonn", traeger="10170"),
    )

    assert "Schulträger neu: 2" in out
    assert "Schulen neu: 3" in out
    assert "Verwaltungsstellen übersprungen: 1" in out
    assert err == ""
    koeln = SchoolAuthority.objects.get(customer_number="10182")
    assert koeln.name == "Schulträger Köln"
    assert set(koeln.schools.values_list("school_number", flat=True)) == {"100001", "100002"}
    assert School.objects.get(school_number="100002").school_type.name == "Gymnasium"
    assert School.objects.get(school_number="100001").name == "Städt. Grundschule Am Park"
    assert not School.objects.filter(school_number="100003").exists()


def test_import_is_repeatable_updates_and_deactivates_but_deletes_nothing(tmp_path):
    run_import(tmp_path, row("100001"), row("100002"), row("100004"))
    SchoolAuthority.objects.filter(customer_number="10182").update(name="Stadt Köln")
    licensed = School.objects.get(school_number="100004")
    LicenceFactory(order=OrderFactory(authority=licensed.authority), school=licensed)

    out, _err = run_import(
        tmp_path,
        row("100001", name="Städt. Grundschule Neu"),
        row("100002", betrieb="9"),
        row("100005"),
    )

    assert "Schulen neu: 1, geändert: 1, deaktiviert: 2" in out
    assert School.objects.get(school_number="100001").name == "Städt. Grundschule Neu Am Park"
    assert not School.objects.get(school_number="100002").is_active
    # Missing from the file: closed, kept (it has a licence), never deleted.
    assert not School.objects.get(school_number="100004").is_active
    assert School.objects.count() == 4
    # The name the staff entered is kept.
    assert SchoolAuthority.objects.get(customer_number="10182").name == "Stadt Köln"

    out, _err = run_import(tmp_path, row("100001", name="Städt. Grundschule Neu"), row("100005"))
    assert "Schulen neu: 0, geändert: 0" in out


def test_bad_rows_are_reported_by_line_and_skipped(tmp_path):
    out, err = run_import(
        tmp_path,
        row("100001"),
        row("12AB"),
        row("100001"),
        row("100009", traeger=""),
    )

    assert "Zeile 4: Schulnummer „12AB“ ist keine sechsstellige Zahl" in err
    assert "Zeile 5: Schulnummer 100001 steht schon in Zeile 3" in err
    assert "Zeile 6: Trägernummer „“ ist keine Zahl" in err
    assert "fehlerhafte Zeilen: 3" in out
    assert School.objects.count() == 1


def test_a_file_that_is_not_the_directory_is_refused_without_traceback(tmp_path):
    path = tmp_path / "falsch.csv"
    path.write_text("Name;Ort\nA;B\n", encoding="utf-8")

    with pytest.raises(CommandError, match="es fehlen die Spalten Schulnummer, Schulform"):
        call_command("import_schools", str(path), format="nrw")
    assert not SchoolType.objects.exists()


def test_binary_garbage_is_refused_with_a_message(tmp_path):
    path = tmp_path / "bild.csv"
    path.write_bytes(bytes(range(256)) * 10)

    with pytest.raises(CommandError):
        call_command("import_schools", str(path), format="nrw")


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="Die Datei /nirgends.csv gibt es nicht"):
        call_command("import_schools", "/nirgends.csv", format="nrw")


def test_the_shipped_extract_imports(tmp_path):
    extract = Path(__file__).resolve().parents[2] / "schools" / "data" / "nrw-schuldaten-demo.csv"
    out = StringIO()

    call_command("import_schools", str(extract), format="nrw", stdout=out)

    assert "Schulen neu: 372" in out.getvalue()
    assert School.objects.filter(authority__customer_number="10182").count() == 260


def _planner_rows(model) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_the_tables_are_analysed_after_the_import_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    """PostgreSQL has no statistics for the new rows until ANALYZE (a query on
    them then scans whole tables); the import runs it once it has committed."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics of PostgreSQL")
    rows = [row(str(100001 + n), traeger=str(10182 + n % 3)) for n in range(30)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(tmp_path, *rows)
    assert _planner_rows(School) != 30  # no statistics before the commit
    for callback in callbacks:
        callback()
    assert (_planner_rows(School), _planner_rows(SchoolAuthority)) == (30, 3)
    assert _planner_rows(SchoolType) == SchoolType.objects.count()
