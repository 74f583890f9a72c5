"""A camt.053 statement with 5,000 entries against 5,000 open invoices: parsed and
matched (the preview), then booked, then the same file again (all duplicates).

    python benchmarks/bench_bank.py                # SQLite (throwaway file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bank python benchmarks/bench_bank.py

On PostgreSQL a throwaway database ``test_<name>`` is created and dropped. The
entries are a realistic mix: most pay one invoice exactly, the rest are partial,
excess, several invoices, unknown text, debits, returns, foreign currency and
batch bookings. A statement of 500 entries is measured first to show that the
queries do not grow with the entries.
Targets: preview (parse + match) of 5,000 entries < 5 s; queries of preview and
booking the same for 500 and 5,000 entries.
"""

import datetime
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

ENTRIES = 5_000
SMALL = 500
INVOICES = ENTRIES + SMALL
TARGET_SECONDS = 5.0


def main() -> int:
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="bench-bank-")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    django.setup()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = f"{tmp}/bench-test.sqlite3"

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        build()
        small = measure(entries=SMALL, first=ENTRIES + 1, statement_id="BENCH-S", show=False)
        large = measure(entries=ENTRIES, first=1, statement_id="BENCH-L", show=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    constant = small["queries"][0::2] == large["queries"][0::2]
    met = large["preview_s"] < TARGET_SECONDS and constant
    print(
        f"queries (preview, booking, same file again) for {small['entries']} entries "
        f"{small['queries']}, for {large['entries']} entries {large['queries']}: preview "
        + ("constant" if constant else "GROWING")
        + "; booking writes in batches of 1,000 rows"
    )
    print(
        f"RESULT preview {large['entries']} entries: {large['preview_s']:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s) {'MET' if met else 'MISSED'}"
    )
    return 0 if met else 1


def build() -> None:
    from django.conf import settings
    from django.db import transaction

    from invoicing.models import Invoice
    from licensing.models import LicenceYear, Order, Product
    from licensing.terms import licence_year_end
    from schools.models import SchoolAuthority

    start = datetime.date(2026, 8, 1)
    with transaction.atomic():
        product = Product.objects.create(code="bench", name="Bench-Produkt", vat_rate="7.00")
        authority = SchoolAuthority.objects.create(customer_number="BENCH", name="Stadt Bench")
        orders = Order.objects.bulk_create(
            Order(authority=authority, product=product, status=Order.Status.CONFIRMED)
            for _ in range(INVOICES)
        )
        years = LicenceYear.objects.bulk_create(
            LicenceYear(order=o, number=1, start_date=start, end_date=licence_year_end(start))
            for o in orders
        )
        Invoice.objects.bulk_create(
            Invoice(
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.ISSUED,
                number=f"RE-2026-{n + 1:05d}",
                authority=authority,
                order=year.order,
                licence_year=year,
                issue_date=datetime.date(2026, 8, 8),
                due_date=datetime.date(2026, 9, 7),
                service_period_start=year.start_date,
                service_period_end=year.end_date,
                buyer_name=authority.name,
                seller=dict(settings.SELLER),
                gross_total=gross(n + 1),
            )
            for n, year in enumerate(years)
        )
    with __import__("django.db").db.connection.cursor() as cursor:
        if cursor.db.vendor == "postgresql":
            cursor.execute("ANALYZE")


def gross(n: int) -> Decimal:
    return Decimal(100 + n % 900) + Decimal(n % 100) / 100


def transactions(first: int, count: int) -> list:
    """``count`` entries: mostly exact payments of invoice ``first + i``; every
    10th entry one of the review cases in turn, every 50th a batch booking of
    two exact payments."""
    from tests.invoicing.bank_files import Tx

    txs, n, i, entries = [], first, 0, 0
    while entries < count:
        i += 1
        ref = f"BENCH-{first}-{i}"
        text = f"Rechnung RE-2026-{n:05d} Schulträger {n}"
        case = (i // 10) % 6 + 1 if i % 10 == 0 else 0
        if i % 50 == 25 and entries < count - 1:
            txs.append(
                Tx(
                    "0",
                    ref=ref,
                    batch=[
                        Tx(gross(n), text, ref=f"{ref}a"),
                        Tx(gross(n + 1), f"re 2026 {n + 1}", ref=f"{ref}b"),
                    ],
                )  # fmt: skip
            )
            n += 2
            entries += 2
            continue
        entries += 1
        if case == 1:
            txs.append(Tx(gross(n) - 10, text, ref=ref))  # partial
        elif case == 2:
            txs.append(Tx(gross(n) * 2, f"RE-2026-{n:05d} RE-2026-{n + 1:05d}", ref=ref))
        elif case == 3:
            txs.append(Tx("42.00", "Spende Förderverein", ref=ref))
        elif case == 4:
            txs.append(Tx("3.50", "Kontoführung", credit=False, ref=ref))
        elif case == 5:
            txs.append(Tx(gross(n), text, currency="USD", ref=ref))
        elif case == 6:
            txs.append(Tx(gross(n), text, return_reason="AC04", ref=ref))
        else:
            txs.append(Tx(gross(n), text, ref=ref))
        n += 1
    return txs


def measure(*, entries: int, first: int, statement_id: str, show: bool) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from invoicing import bank_services
    from invoicing.bank_statements import parse_bank_file
    from tests.invoicing.bank_files import camt053

    user = get_user_model().objects.get_or_create(username="bench", is_staff=True)[0]
    txs = transactions(first, entries)
    data = camt053(txs, statement_id=statement_id)
    started = time.perf_counter()
    (statement,) = parse_bank_file(data, "bench.xml")
    parse_s = time.perf_counter() - started
    count = len(statement.entries)
    bank_import = bank_services.bank_import_store(data=data, filename="bench.xml", by=user)
    with CaptureQueriesContext(connection) as preview_queries:
        started = time.perf_counter()
        plan = bank_services.bank_import_preview(bank_import=bank_import)
        preview_s = time.perf_counter() - started
    with CaptureQueriesContext(connection) as book_queries:
        started = time.perf_counter()
        summary = bank_services.bank_import_book(bank_import=bank_import, by=user)
        book_s = time.perf_counter() - started
    again = bank_services.bank_import_store(data=data, filename="bench.xml", by=user)
    with CaptureQueriesContext(connection) as again_queries:
        started = time.perf_counter()
        duplicate_plan = bank_services.bank_import_preview(bank_import=again)
        again_s = time.perf_counter() - started
    assert not duplicate_plan.entries and duplicate_plan.duplicates == count
    if show:
        print(
            f"[{connection.vendor}] camt.053 of {count} entries ({len(data) / 1e6:.1f} MB) "
            f"against {INVOICES} open invoices"
        )
        print(f"  parse:             {parse_s:.2f} s")
        print(
            f"  preview (parse + match): {preview_s:.2f} s, {len(preview_queries)} queries; "
            f"{len(plan.automatic)} automatic, {len(plan.review)} to review"
        )
        print(
            f"  booking:           {book_s:.2f} s, {len(book_queries)} queries; "
            f"{summary['automatic']} payments recorded ({summary['automatic_total']} €)"
        )
        print(
            f"  same file again:   {again_s:.2f} s, {len(again_queries)} queries; "
            f"{duplicate_plan.duplicates} duplicates, nothing to book"
        )
    return {
        "entries": count,
        "preview_s": preview_s,
        "queries": (len(preview_queries), len(book_queries), len(again_queries)),
    }


if __name__ == "__main__":
    sys.exit(main())
