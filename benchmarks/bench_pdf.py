"""PDF speed (issue 15): the invoice PDF/A-3 with its embedded XRechnung, as
issuing renders it, for 500 schools (target ≤ 1.5 s) and for 1 school (target
≤ 0.1 s). Runs on a throwaway SQLite database.

    python benchmarks/bench_pdf.py [schools] [runs]

Prints the median wall time (the verdict), the process CPU time beside it and
the machine's load average: on a busy machine wall time grows while CPU time
shows the render's own cost.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

TARGETS = {500: 1.5, 1: 0.1}


def school_names(count: int) -> list[str]:
    """Names as long as the NRW directory's: most short, some wrapping."""
    long = "Städtische Gemeinschaftshauptschule und Realschule im Schulzentrum An der Ziegelei"
    return [
        long if n % 25 == 0 else f"Städt. Gemeinschaftsgrundschule Am Park {n}"
        for n in range(1, count + 1)
    ]


def measure(render, invoice, runs: int) -> tuple[float, float, bytes]:
    walls, cpus, pdf = [], [], b""
    render(invoice)  # warm: fonts, stylesheet, templates
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = render(invoice)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), pdf


def report(label: str, wall: float, cpu: float, target: float | None) -> None:
    verdict = (
        "" if target is None else f"target ≤ {target} s: {'MET' if wall <= target else 'MISSED'}"
    )
    print(f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU (median)  {verdict}")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    schools = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    # The test settings' SQLite database lives in memory: build the schema there.
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("check", verbosity=0)

    import io

    import weasyprint  # noqa: F401  (import cost is paid once per worker, not per invoice)
    from pypdf import PdfReader

    from invoicing.einvoice import invoice_xml
    from invoicing.pdf import render_invoice_pdf
    from tests.invoicing.factories import InvoiceFactory, add_lines

    product = "Westermann Unterrichtsmanager Digital – Schullizenz"
    invoice = add_lines(
        InvoiceFactory(),
        [("100.00", "7.00")] * schools,
        product=product,
        names=school_names(schools),
    )
    single = add_lines(InvoiceFactory(), [("100.00", "7.00")], product=product)

    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    xml_wall, _cpu, _xml = measure(invoice_xml, invoice, runs)
    print(f"XML alone for {schools} schools: {xml_wall:.3f} s")
    wall, cpu, pdf = measure(render_invoice_pdf, invoice, runs)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    report(
        f"PDF {schools} schools ({pages} pages, {len(pdf) / 1024:.0f} KiB)",
        wall,
        cpu,
        TARGETS.get(schools),
    )
    wall, cpu, _pdf = measure(render_invoice_pdf, single, max(runs, 7))
    report("PDF 1 school", wall, cpu, TARGETS[1])


if __name__ == "__main__":
    main()
