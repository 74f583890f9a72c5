"""Issuing N due invoices in one nightly run, as production does it: the nightly
step ``invoices_issue_due`` numbers, renders (PDF/A-3 with the XML embedded) and
stores each draft in the worker process that runs the night; sending is handed to
Celery (the queued mails are purged at the end, no worker needed).

Uses PostgreSQL and Redis (defaults: database ``invoicing`` on 127.0.0.1, Redis db 5;
override with DATABASE_URL / REDIS_URL). THE DATABASE IS FLUSHED: point it at a
database of its own. Prints seconds per invoice and checks that the numbers are
1..N without a duplicate or a gap.

    python benchmarks/bench_invoicing.py [--invoices 300] [--schools 3]
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/invoicing")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("PRIVATE_STORAGE_ROOT", tempfile.mkdtemp(prefix="bench-invoicing-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_drafts(*, invoices: int, schools: int, on: datetime.date) -> None:
    from invoicing.drafts import invoice_create_draft
    from invoicing.models import Invoice
    from licensing.models import Licence, LicenceTerm, LicenceYear, Order, Product
    from licensing.terms import licence_year_end
    from schools.models import School, SchoolAuthority, SchoolType

    school_type, _ = SchoolType.objects.get_or_create(state="NW", key="02", name="Grundschule")
    product = Product.objects.create(code="bench", name="Bench-Produkt", vat_rate=Decimal("7"))
    authority = SchoolAuthority.objects.create(
        customer_number="BENCH", name="Stadt Bench", email="rechnung@bench.example.org"
    )
    start = datetime.date(on.year, 8, 1)
    school_rows = School.objects.bulk_create(
        School(
            authority=authority,
            school_type=school_type,
            school_number=f"{900000 + n}",
            name=f"Bench-Schule {n}",
        )
        for n in range(invoices * schools)
    )
    orders = Order.objects.bulk_create(
        Order(authority=authority, product=product, status=Order.Status.CONFIRMED)
        for _ in range(invoices)
    )
    years = LicenceYear.objects.bulk_create(
        LicenceYear(order=o, number=1, start_date=start, end_date=licence_year_end(start))
        for o in orders
    )
    licences = Licence.objects.bulk_create(
        Licence(order=orders[n // schools], school=school, product=product, status="active")
        for n, school in enumerate(school_rows)
    )
    LicenceTerm.objects.bulk_create(
        LicenceTerm(licence=licence, year=years[n // schools], net_price=Decimal("99.95"))
        for n, licence in enumerate(licences)
    )
    for year in years:
        invoice_create_draft(licence_year=year)
    Invoice.objects.update(issue_due_on=on)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--schools", type=int, default=3, help="schools (lines) per invoice")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery_app import app
    from invoicing.issuing import invoices_issue_due
    from invoicing.models import Invoice

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    app.control.purge()
    on = datetime.date(2026, 12, 1)
    t = time.perf_counter()
    build_drafts(invoices=args.invoices, schools=args.schools, on=on)
    print(
        f"setup: {args.invoices} drafts of {args.schools} lines in {time.perf_counter() - t:.1f} s"
    )

    t = time.perf_counter()
    result = invoices_issue_due(on=on)
    elapsed = time.perf_counter() - t
    app.control.purge()

    numbers = list(Invoice.objects.values_list("number", flat=True))
    expected = [f"RE-{on.year}-{n:05d}" for n in range(1, args.invoices + 1)]
    ok = sorted(numbers) == expected and len(set(numbers)) == len(numbers)
    print(f"issued {result.count} ({len(result.failed)} failed) in one process in {elapsed:.1f} s")
    print(f"seconds per invoice: {elapsed / max(len(numbers), 1):.4f}")
    print(f"numbers 1..{args.invoices} without duplicate or gap: {'yes' if ok else 'NO'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
