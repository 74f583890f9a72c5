"""The issue day (issue 15): N due drafts of 20 to 260 schools each are issued as
production does it. The nightly step ``invoices_issue_due`` numbers them in the
database and hands the documents out in chunks; ``--workers`` Celery worker
processes (one ``celery worker -c N``, started here) render the PDF (PDF/A-3 with
the XML embedded) and the XRechnung XML, store them and e-mail each invoice
(locmem backend). Timed from the start of the step until every invoice has its
documents and was sent. Target: 300 invoices in ≤ 60 s with 2 worker processes;
the time for 5,000 is extrapolated from the measured rate.

As in production, the nightly run of the day before hands the drafts due next
to the workers for the rule check ahead (CEN's schematron, remembered by content
hash), so that numbering on the issue day runs only the XSD and the product's
own rules; that night is timed and printed on its own. ``--cold`` skips it:
every draft is then checked in full while it is numbered (e.g. drafts whose
buyer changed its billing data on the last day). CPU seconds of this process
and of the worker processes are printed for each phase (PostgreSQL's are not).

Uses PostgreSQL and Redis (defaults: database ``invoicing`` on 127.0.0.1, Redis db 5;
override with DATABASE_URL / REDIS_URL). THE DATABASE IS FLUSHED: point it at a
database of its own. Checks that the numbers are 1..N without a duplicate or a gap.

    python benchmarks/bench_invoicing.py [--invoices 300] [--workers 2] [--cold]
"""

import argparse
import datetime
import os
import subprocess
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
os.environ.setdefault("DEBUG", "0")  # as in production: no query log in the workers
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("PRIVATE_STORAGE_ROOT", tempfile.mkdtemp(prefix="bench-invoicing-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

TARGET_SECONDS = 60
PEAK_INVOICES = 5_000
MIN_SCHOOLS, MAX_SCHOOLS = 20, 260


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def school_counts(invoices: int) -> list[int]:
    """20 to 260 schools, spread evenly over the invoices."""
    if invoices == 1:
        return [MIN_SCHOOLS]
    span = MAX_SCHOOLS - MIN_SCHOOLS
    return [MIN_SCHOOLS + n * span // (invoices - 1) for n in range(invoices)]


def build_drafts(*, invoices: int, on: datetime.date) -> int:
    """Drafts due on ``on``, made as the renewal night makes them. Returns the lines."""
    from config.db_statistics import tables_analyze
    from invoicing.drafts import invoices_create_drafts
    from invoicing.models import Invoice, InvoiceLine
    from licensing.models import Licence, LicenceTerm, LicenceYear, Order, Product
    from licensing.terms import licence_year_end
    from schools.models import School, SchoolAuthority, SchoolType

    school_type, _ = SchoolType.objects.get_or_create(state="NW", key="02", name="Grundschule")
    product = Product.objects.create(code="bench", name="Bench-Produkt", vat_rate=Decimal("7"))
    counts = school_counts(invoices)
    authorities = SchoolAuthority.objects.bulk_create(
        SchoolAuthority(
            customer_number=f"B{n:05d}",
            name=f"Stadt Bench {n}",
            email=f"rechnung{n}@bench.example.org",
            street="Rathausplatz 1",
            postal_code="50667",
            city="Köln",
            has_no_leitweg_id=True,
        )
        for n in range(invoices)
    )
    owners = [authorities[n] for n, count in enumerate(counts) for _i in range(count)]
    school_rows = School.objects.bulk_create(
        (
            School(
                authority=owner,
                school_type=school_type,
                school_number=f"{900000 + n}",
                name=f"Städtische Bench-Grundschule {n}",
            )
            for n, owner in enumerate(owners)
        ),
        batch_size=5000,
    )
    orders = Order.objects.bulk_create(
        Order(authority=a, product=product, status=Order.Status.CONFIRMED) for a in authorities
    )
    start = datetime.date(on.year, 8, 1)
    years = LicenceYear.objects.bulk_create(
        LicenceYear(order=o, number=1, start_date=start, end_date=licence_year_end(start))
        for o in orders
    )
    order_of = [n for n, count in enumerate(counts) for _i in range(count)]
    licences = Licence.objects.bulk_create(
        (
            Licence(order=orders[order_of[n]], school=school, product=product, status="active")
            for n, school in enumerate(school_rows)
        ),
        batch_size=5000,
    )
    terms = LicenceTerm.objects.bulk_create(
        (
            LicenceTerm(licence=lic, year=years[order_of[n]], net_price=Decimal("99.95"))
            for n, lic in enumerate(licences)
        ),
        batch_size=5000,
    )
    for year, order in zip(years, orders, strict=True):
        year.order = order
    invoices_create_drafts(years=years, terms=terms, on=on)
    Invoice.objects.update(issue_due_on=on)
    tables_analyze(School, Order, LicenceYear, Licence, LicenceTerm, Invoice, InvoiceLine)
    return len(terms)


def start_workers(workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "--concurrency",
            str(workers),
            "--pool",
            "prefork",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    from config.celery_app import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return process
    process.terminate()
    raise SystemExit("the Celery worker did not start")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its descendants, also
    of those already reaped (Linux ``/proc``)."""
    parents, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        times[child] = sum(int(value) for value in fields[11:15])
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_now(workers: subprocess.Popen) -> tuple[float, float]:
    """CPU seconds so far of this process and of the worker processes."""
    return time.process_time(), tree_cpu_seconds(workers.pid)


def cpu_text(before: tuple[float, float], after: tuple[float, float]) -> str:
    here, workers = after[0] - before[0], after[1] - before[1]
    return f"CPU {here + workers:.1f} s: this process {here:.1f} s, workers {workers:.1f} s"


def check_ahead(*, invoices: int, on: datetime.date, timeout: float) -> float:
    """The nightly run of the day before ``on`` hands the drafts due then out for
    the check ahead; returns the seconds until the workers have checked them."""
    from invoicing.issuing import drafts_hand_out_precheck
    from invoicing.models import Invoice, RuleCheckPass

    started = time.perf_counter()
    drafts_hand_out_precheck(on=on - datetime.timedelta(days=1))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        checked = RuleCheckPass.objects.count() + Invoice.objects.exclude(issue_problems="").count()
        if checked >= invoices:
            break
        time.sleep(0.2)
    return time.perf_counter() - started


def wait_until_done(invoices: int, *, timeout: float) -> int:
    from invoicing.models import Invoice

    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        done = Invoice.objects.exclude(pdf_sha256="").exclude(sent_at=None).count()
        if done >= invoices:
            break
        time.sleep(0.5)
    return done


def measure(args) -> bool:
    from invoicing.issuing import invoices_issue_due
    from invoicing.models import Invoice

    on = datetime.date(2026, 12, 1)
    started = time.perf_counter()
    lines = build_drafts(invoices=args.invoices, on=on)
    print(
        f"setup: {args.invoices} drafts of {MIN_SCHOOLS}-{MAX_SCHOOLS} schools "
        f"({lines} lines) in {time.perf_counter() - started:.1f} s"
    )
    workers = start_workers(args.workers)
    try:
        if not args.cold:
            cpu = cpu_now(workers)
            ahead = check_ahead(invoices=args.invoices, on=on, timeout=args.timeout)
            print(
                f"the night before: {args.invoices} drafts checked ahead on the workers "
                f"in {ahead:.1f} s ({cpu_text(cpu, cpu_now(workers))})"
            )
        load_before = load_average()
        cpu = cpu_now(workers)
        started = time.perf_counter()
        result = invoices_issue_due(on=on)
        numbered = time.perf_counter() - started
        numbered_cpu = time.process_time() - cpu[0]
        done = wait_until_done(args.invoices, timeout=args.timeout)
        elapsed = time.perf_counter() - started
        cpu = cpu_text(cpu, cpu_now(workers))
    finally:
        workers.terminate()
        workers.wait(timeout=60)

    numbers = list(Invoice.objects.values_list("number", flat=True))
    expected = [f"RE-{on.year}-{n:05d}" for n in range(1, args.invoices + 1)]
    gapless = sorted(numbers) == expected and len(set(numbers)) == len(numbers)
    rate = done / elapsed if elapsed else 0.0
    met = done == args.invoices and elapsed <= TARGET_SECONDS and gapless
    print(
        f"numbered {result.count} ({len(result.failed)} failed) in {numbered:.1f} s; "
        f"{done} of {args.invoices} with PDF, XML and e-mail after {elapsed:.1f} s "
        f"with {args.workers} worker processes ({rate:.2f} invoices/s)"
    )
    print(
        f"issue day {cpu} (numbering {numbered_cpu:.1f} s); "
        f"load average before {load_before}, after {load_average()}"
    )
    extrapolated = f"{PEAK_INVOICES / rate / 60:.1f} min" if rate else "-"
    print(
        f"issue day, {args.invoices} invoices{' (cold: no check ahead)' if args.cold else ''}: "
        f"{elapsed:.1f} s (target ≤ {TARGET_SECONDS} s) {'MET' if met else 'MISSED'}; "
        f"{PEAK_INVOICES} invoices extrapolated at this rate: {extrapolated}"
    )
    print(f"numbers 1..{args.invoices} without duplicate or gap: {'yes' if gapless else 'NO'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait at most")
    parser.add_argument(
        "--cold", action="store_true", help="no check ahead the night before (all in full)"
    )
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from config.celery_app import app

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    app.control.purge()
    met = measure(args)
    app.control.purge()
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
