"""Gapless numbers under concurrency, on the real PostgreSQL (row locks do not exist
on SQLite, which serialises writers anyway)."""

import threading

import pytest
from django.db import connection, transaction

from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoices_issue_due
from invoicing.models import DocumentCounter, Invoice, NumberSeries
from invoicing.numbering import number_next
from tests.factories import SchoolAuthorityFactory
from tests.invoicing.conftest import make_licence_year

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_in_threads(target, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            target()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_from_a_missing_counter_give_1_to_n():
    numbers: list[str] = []

    def draw_many():
        for _ in range(10):
            with transaction.atomic():
                numbers.append(number_next(series=NumberSeries.REFUND, year=2031))

    assert run_in_threads(draw_many, 6) == []

    assert sorted(numbers) == [f"ER-2031-{n:05d}" for n in range(1, 61)]
    assert DocumentCounter.objects.get(series=NumberSeries.REFUND, year=2031).last_number == 60


@pytest.mark.django_db(transaction=True)
def test_nightly_runs_in_parallel_issue_every_draft_once_without_gaps():
    authority = SchoolAuthorityFactory()
    drafts = [
        invoice_create_draft(licence_year=make_licence_year(authority=authority)) for _ in range(40)
    ]
    day = max(d.issue_due_on for d in drafts)
    issued_counts: list[int] = []

    assert run_in_threads(lambda: issued_counts.append(invoices_issue_due(on=day).count), 4) == []

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert sum(issued_counts) == 40
    assert numbers == [f"RE-{day.year}-{n:05d}" for n in range(1, 41)]
    assert not Invoice.objects.filter(status=Invoice.Status.DRAFT).exists()
    assert not Invoice.objects.filter(pdf_sha256="").exists()
