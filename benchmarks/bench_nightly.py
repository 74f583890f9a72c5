"""Renewal nights over 100,000 licences in 5,000 orders (issue 15):

1. 1 Aug 2027: 300 orders renew and 300 get their renewal notice (target ≤ 10 s);
2. the same night again: nothing is due (target ≤ 0.2 s);
3. the peak night, 1 Aug 2028: all 5,000 orders renew (target ≤ 60 s). Every
   order's last year is set to end on 31 Jul 2028 first, and the first night's
   300 drafts are moved out of the way, so that this night measures the renewals
   and not the issuing of invoices (``bench_invoicing``).

Every night that acts on orders must stay at ≤ 3 SQL statements per order acted on.

    python benchmarks/bench_nightly.py                # SQLite (throwaway file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lifecycle python benchmarks/bench_nightly.py

On PostgreSQL a throwaway database ``test_<name>`` is created and dropped; the
world is ANALYZEd after it is built, as the importers do. Prints seconds, SQL
statements and rows touched, each with its target and MET/MISSED (exit status 1
if a target is missed). ``BENCH_PROFILE=1`` prints the top of a cProfile of each
night.
"""

import cProfile
import datetime
import os
import pstats
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

ORDERS = 5_000
LICENCES_PER_ORDER = 20
RENEWING = 300
NOTICED = 300
ON = datetime.date(2027, 8, 1)
PEAK = datetime.date(2028, 8, 1)
MAX_STATEMENTS_PER_ORDER = 3


def main() -> None:
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="bench-nightly-")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    django.setup()
    import logging

    logging.disable(logging.INFO)  # the per-task log lines of eager Celery
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = f"{tmp}/bench-test.sqlite3"

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        build()
        missed = measure()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if missed:
        raise SystemExit(1)


def build() -> None:
    from django.db import transaction

    from licensing.models import (
        Licence,
        LicenceTerm,
        LicenceYear,
        Order,
        OrderSchool,
        Price,
        Product,
    )
    from licensing.terms import add_months
    from schools.models import School, SchoolAuthority, SchoolType

    started = time.perf_counter()
    with transaction.atomic():
        school_type = SchoolType.objects.create(state="NW", key="02", name="Grundschule")
        product = Product.objects.create(code="bench", name="Bench-Produkt", vat_rate="7.00")
        Price.objects.create(
            product=product,
            school_type=school_type,
            valid_from=datetime.date(2020, 1, 1),
            bulk_price=Decimal("100.00"),
            individual_price=Decimal("150.00"),
        )
        Price.objects.create(
            product=product,
            school_type=school_type,
            valid_from=datetime.date(2027, 8, 1),
            bulk_price=Decimal("110.00"),
            individual_price=Decimal("160.00"),
        )
        authorities = SchoolAuthority.objects.bulk_create(
            SchoolAuthority(
                customer_number=str(100000 + i), name=f"Träger {i}", email=f"t{i}@example.org"
            )
            for i in range(ORDERS)
        )
        schools = School.objects.bulk_create(
            (
                School(
                    authority=authorities[i // LICENCES_PER_ORDER],
                    school_type=school_type,
                    school_number=str(1_000_000 + i),
                    name=f"Schule {i}",
                )
                for i in range(ORDERS * LICENCES_PER_ORDER)
            ),
            batch_size=5000,
        )
        orders = Order.objects.bulk_create(
            Order(authority=a, product=product, status=Order.Status.CONFIRMED) for a in authorities
        )
        # Last day of each order's current year: 300 end the day before ON (renew),
        # 300 end RENEWAL_NOTICE_DAYS after ON (notice), the rest later.
        from django.conf import settings

        notice_end = ON + datetime.timedelta(days=settings.RENEWAL_NOTICE_DAYS)
        years = []
        for i, order in enumerate(orders):
            if i < RENEWING:
                end = ON - datetime.timedelta(days=1)
            elif i < RENEWING + NOTICED:
                end = notice_end
            else:
                end = notice_end + datetime.timedelta(days=1 + i % 300)
            start = add_months(end, -12) + datetime.timedelta(days=1)
            years.append(
                LicenceYear(
                    order=order,
                    number=1,
                    start_date=start,
                    end_date=end,
                    renewal_notice_sent_at="2027-06-19T03:00:00+02:00" if i < RENEWING else None,
                )
            )
        years = LicenceYear.objects.bulk_create(years, batch_size=2000)
        OrderSchool.objects.bulk_create(
            (
                OrderSchool(
                    order=orders[i // LICENCES_PER_ORDER],
                    school=school,
                    contact_first_name="Max",
                    contact_last_name="Muster",
                    contact_email=f"s{i}@example.org",
                )
                for i, school in enumerate(schools)
            ),
            batch_size=5000,
        )
        licences = Licence.objects.bulk_create(
            (
                Licence(
                    order=orders[i // LICENCES_PER_ORDER],
                    school=school,
                    product=product,
                    status=Licence.Status.ACTIVE,
                )
                for i, school in enumerate(schools)
            ),
            batch_size=5000,
        )
        LicenceTerm.objects.bulk_create(
            (
                LicenceTerm(
                    licence=licence, year=years[i // LICENCES_PER_ORDER], net_price="100.00"
                )
                for i, licence in enumerate(licences)
            ),
            batch_size=5000,
        )
    from config.db_statistics import tables_analyze
    from schools.models import School as SchoolModel

    tables_analyze(
        SchoolAuthority, SchoolModel, Order, OrderSchool, LicenceYear, Licence, LicenceTerm
    )
    print(
        f"data: {len(orders)} orders, {len(licences)} licences "
        f"({time.perf_counter() - started:.1f} s to build)"
    )


def counts() -> dict[str, int]:
    from invoicing.models import Invoice, InvoiceLine
    from licensing.models import LicenceTerm, LicenceYear, OutgoingMail

    return {
        "drafts": Invoice.objects.count(),
        "lines": InvoiceLine.objects.count(),
        "years": LicenceYear.objects.count(),
        "terms": LicenceTerm.objects.count(),
        "noticed": LicenceYear.objects.exclude(renewal_notice_sent_at=None).count(),
        "mails": OutgoingMail.objects.count(),
        "sent": OutgoingMail.objects.exclude(sent_at=None).count(),
    }


class QueryCounter:
    """Counts every SQL statement (without keeping them, unlike Django's query log,
    which stops at 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def verdict(label: str, measured: float, target: float, unit: str) -> bool:
    met = measured <= target
    outcome = "MET" if met else "MISSED"
    print(f"  {label}: {measured:.2f} {unit} (target ≤ {target:g} {unit}) {outcome}")
    return met


def night(label: str, on: datetime.date, *, target_seconds: float) -> bool:
    """One nightly run on ``on``; prints its figures and verdicts."""
    from django.db import connection

    from portal.nightly import run_nightly

    before = counts()
    queries = QueryCounter()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        if profile:
            profile.enable()
        run = run_nightly(on=on)
        if profile:
            profile.disable()
        seconds = time.perf_counter() - started
    after = counts()
    touched = {k: after[k] - before[k] for k in after}
    acted = run.notices + run.renewals + run.expiries
    print(f"{label} [{connection.vendor}]: {run.summary()}")
    print(
        "  rows touched: "
        f"{touched['years']} licence years and {touched['terms']} licence terms created, "
        f"{touched['noticed']} years marked noticed, {touched['mails']} mails written, "
        f"{touched['sent']} mails sent, {touched['drafts']} draft invoices with "
        f"{touched['lines']} lines"
    )
    met = verdict("time", seconds, target_seconds, "s")
    print(f"  {len(queries)} SQL statements")
    if acted:
        met &= verdict(
            "SQL statements per order acted on",
            len(queries) / acted,
            MAX_STATEMENTS_PER_ORDER,
            "",
        )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return met


def peak_prepare() -> None:
    """Make every order's last year end the day before the peak night (the 300
    renewed ones do already), so that all 5,000 renew on their year's first day
    and none catches up a year begun earlier (whose draft would be due at once);
    move the first night's drafts out of the way (their issuing is
    bench_invoicing's subject)."""
    from invoicing.models import Invoice
    from licensing.models import LicenceYear

    LicenceYear.objects.filter(number=1).exclude(order__years__number=2).update(
        start_date=PEAK.replace(year=PEAK.year - 1), end_date=PEAK - datetime.timedelta(days=1)
    )
    Invoice.objects.filter(status=Invoice.Status.DRAFT).update(
        issue_due_on=datetime.date(2099, 1, 1)
    )


def measure() -> bool:
    """Runs the three nights; returns whether a target was missed."""
    met = night(f"night with {RENEWING} renewals and {NOTICED} notices", ON, target_seconds=10)
    met &= night("the same night again, nothing due", ON, target_seconds=0.2)
    peak_prepare()
    met &= night(f"peak night, all {ORDERS} orders renew", PEAK, target_seconds=60)
    return not met


if __name__ == "__main__":
    main()
