"""Cost of the rule check before a number is drawn (R10): XSD, the product's
EN 16931 / XRechnung rules and CEN's EN 16931 schematron (Saxon-HE, compiled
once per process). Targets: compiling once under 5 s; a 1-school invoice under
0.3 s and a 256-school invoice under 1.5 s per check. Throwaway SQLite database.

    python benchmarks/bench_rule_check.py [runs]
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

TARGETS = {1: 0.3, 256: 1.5}


def _median_check(xml: bytes, runs: int) -> tuple[float, list[str]]:
    from invoicing.einvoice_rules import check_document

    times, errors = [], []
    for _ in range(runs):
        start = time.perf_counter()
        errors = check_document(xml)
        times.append(time.perf_counter() - start)
    return statistics.median(times), errors


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    connection.creation.create_test_db(verbosity=0, autoclobber=True)

    from invoicing.einvoice import invoice_xml
    from invoicing.einvoice_rules import schematron
    from tests.invoicing.factories import InvoiceFactory, add_lines

    start = time.perf_counter()
    schematron.failures(invoice_xml(add_lines(InvoiceFactory(), [("100.00", "7.00")])))
    compile_time = time.perf_counter() - start
    print(
        f"compile schematron once per process: {compile_time:.2f} s (target < 5 s: "
        f"{'MET' if compile_time < 5 else 'MISSED'})"
    )
    for schools, target in TARGETS.items():
        invoice = add_lines(InvoiceFactory(), [("149.00", "7.00")] * schools)
        median, errors = _median_check(invoice_xml(invoice), runs)
        verdict = "MET" if median < target and not errors else "MISSED"
        print(
            f"rule check, {schools} school(s): {median:.3f} s per document (median of {runs}; "
            f"target < {target} s: {verdict}){' ERRORS: ' + str(errors[:3]) if errors else ''}"
        )


if __name__ == "__main__":
    main()
