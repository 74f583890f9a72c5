"""PDF speed: a consolidated invoice for 500 schools, PDF/A-3 with the embedded
XRechnung, target under 3 s. Runs on a throwaway SQLite database.

    python benchmarks/bench_pdf.py [schools] [runs]
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    schools = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    # The test settings' SQLite database lives in memory: build the schema there.
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("check", verbosity=0)

    import logging

    logging.getLogger("factur-x").setLevel(logging.WARNING)
    import weasyprint  # noqa: F401  (import cost is paid once per worker, not per invoice)

    from invoicing.einvoice import invoice_xml
    from invoicing.pdf import render_invoice_pdf
    from tests.invoicing.factories import InvoiceFactory, add_lines

    invoice = add_lines(
        InvoiceFactory(),
        [("100.00", "7.00") if n % 3 else ("83.50", "19.00") for n in range(schools)],
    )
    # Calibration: FACTS.md measured a 1-page invoice at about 0.07 s on an idle
    # 2-core machine; a much higher figure here means the machine is busy.
    single = add_lines(InvoiceFactory(), [("100.00", "7.00")])
    render_invoice_pdf(single)
    start = time.perf_counter()
    render_invoice_pdf(single)
    one_page = time.perf_counter() - start
    xml_times, pdf_times = [], []
    pdf = b""
    for _ in range(runs):
        start = time.perf_counter()
        invoice_xml(invoice)
        xml_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        pdf = render_invoice_pdf(invoice)
        pdf_times.append(time.perf_counter() - start)

    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    median = statistics.median(pdf_times)
    print(f"invoice with {schools} schools: {pages} pages, {len(pdf) / 1024:.0f} KiB")
    print(f"XML:  {statistics.median(xml_times):.3f} s per invoice (median of {runs})")
    print(
        f"PDF:  {median:.2f} s per invoice incl. XML + embedding (median of {runs}; "
        f"min {min(pdf_times):.2f} s, max {max(pdf_times):.2f} s)"
    )
    print(f"calibration: 1-school invoice {one_page:.3f} s")
    print(f"target < 3 s: {'OK' if median < 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
