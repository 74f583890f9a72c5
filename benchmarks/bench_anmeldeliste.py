"""Benchmark: registration list parse + validate, from the uploaded bytes to the
validation result (the server-side work of an upload).

    python benchmarks/bench_anmeldeliste.py

Sets up Django itself (test settings, a throwaway SQLite file with migrations),
builds synthetic directories for 100, 1,000 and 10,000 rows and loads the real
largest NRW authority (Trägernummer 10182, Köln, 260 schools) from
../shared/data/nrw-schuldaten.csv when it is there (Datenlizenz Deutschland –
Namensnennung – Version 2.0; Ministerium für Schule und Bildung des Landes
Nordrhein-Westfalen, open.nrw). Prints seconds (median of 5), rows/s, SQL
queries and peak memory (tracemalloc in this process; the spreadsheet reader
runs in a forked child whose peak RSS is printed too).
Targets: 1,000 rows < 0.1 s, 10,000 rows < 1 s and < 100 MB, constant queries.
"""

import csv
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_FILE = Path(tempfile.mkdtemp(prefix="bench-anmeldeliste-")) / "bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from licensing.anmeldeliste import read_list  # noqa: E402
from licensing.models import Price, Product  # noqa: E402
from licensing.registration import registration_validate  # noqa: E402
from schools.models import School, SchoolAuthority, SchoolType  # noqa: E402

CSV_PATH = ROOT.parent / "shared" / "data" / "nrw-schuldaten.csv"
if not CSV_PATH.exists():
    CSV_PATH = Path("/work/shared/data/nrw-schuldaten.csv")
TYPE_NAMES = {
    "02": "Grundschule", "04": "Hauptschule", "08": "Förderschule", "10": "Realschule",
    "15": "Gesamtschule", "20": "Gymnasium", "25": "Weiterbildungskolleg",
    "30": "Berufskolleg", "83": "Schule für Kranke",
}  # fmt: skip
HEADER = ["Schulnummer", "Schulname", "Schulform", "Vorname", "Nachname", "E-Mail", "Telefon"]


def setup_database():
    types = {
        key: SchoolType.objects.create(state="NW", key=key, name=name)
        for key, name in TYPE_NAMES.items()
    }
    product = Product.objects.create(code="bench", name="Benchmark-Produkt", vat_rate=7)
    Price.objects.bulk_create(
        Price(
            product=product,
            school_type=t,
            valid_from="2020-01-01",
            bulk_price="100.00",
            individual_price="150.00",
        )
        for t in types.values()
    )
    return types, product


def synthetic_authority(types, n):
    authority = SchoolAuthority.objects.create(customer_number=f"S{n}", name=f"Synthetisch {n}")
    keys = list(TYPE_NAMES)
    School.objects.bulk_create(
        School(
            authority=authority,
            school_type=types[keys[i % len(keys)]],
            school_number=f"{n}{i:06d}",
            name=f"Schule {i} in Musterstadt",
        )
        for i in range(n)
    )
    return authority


def cologne(types):
    authority = SchoolAuthority.objects.create(customer_number="10182", name="Stadt Köln")
    schools = []
    with CSV_PATH.open(encoding="utf-8") as handle:
        next(handle)  # sep=;
        for row in csv.DictReader(handle, delimiter=";"):
            if row["Traegernummer"] != "10182" or row["Schulform"] not in types:
                continue
            name = " ".join(p for p in (row["Schulbezeichnung_1"], row["Schulbezeichnung_2"]) if p)
            schools.append(
                School(
                    authority=authority,
                    school_type=types[row["Schulform"]],
                    school_number=row["Schulnummer"],
                    name=name[:300],
                    street=row["Strasse"],
                    postal_code=row["PLZ"],
                    city=row["Ort"],
                    is_active=row["Schulbetriebsschluessel"] == "1",
                )
            )
    School.objects.bulk_create(schools)
    return authority


def list_bytes(authority) -> bytes:
    """An .xlsx as a user sends it: school numbers as numbers (Excel floats),
    names, types and contacts of every active school."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Anmeldeliste")
    sheet.append(["Anmeldeliste"])
    sheet.append([])
    sheet.append(HEADER)
    for i, school in enumerate(
        School.objects.filter(authority=authority, is_active=True)
        .select_related("school_type")
        .order_by("school_number")
    ):
        sheet.append(
            [
                int(school.school_number),
                school.name,
                school.school_type.name,
                "Vorname",
                f"Nachname {i}",
                f"kontakt{i}@schule.example.org",
                "0221 123456",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(data, authority, product):
    parsed = read_list(data, "liste.xlsx")
    return registration_validate(parsed=parsed, authority=authority, product=product)


def measure(label, authority, product):
    data = list_bytes(authority)
    result = run(data, authority, product)  # warm-up
    assert result.is_valid, result.messages[:5]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run(data, authority, product)
        times.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        run(data, authority, product)
    tracemalloc.start()
    run(data, authority, product)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    seconds = statistics.median(times)
    rows = result.row_count
    print(
        f"{label:<28} {rows:>7} rows {len(data) / 1024:>8.0f} KiB {seconds:>8.3f} s "
        f"{rows / seconds:>10,.0f} rows/s {len(queries):>3} queries "
        f"{peak / 1024 / 1024:>7.1f} MiB peak"
    )


def main():
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        types, product = setup_database()
        cases = [
            (f"synthetisch {n:,}".replace(",", "."), synthetic_authority(types, n))
            for n in (100, 1000, 10000)
        ]
        if CSV_PATH.exists():
            cases.append(("Köln (10182), echte Daten", cologne(types)))
        else:
            print(f"({CSV_PATH} fehlt: Fall Köln übersprungen)")
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, SQLite {DB_FILE}")
    for label, authority in cases:
        measure(label, authority, product)
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of the reader child processes: {child_rss:.0f} MiB")
    print("targets: 1.000 rows < 0.1 s; 10.000 rows < 1 s and < 100 MiB; queries constant")


if __name__ == "__main__":
    main()
