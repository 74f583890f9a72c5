"""The issue day on the workers: the nightly step numbers the due drafts in the
database and hands the documents out in chunks; the workers make and send them;
the next run hands out again what a dead worker left, and nothing goes twice."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail

from invoicing import issue_documents, issuing
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoices_documents_progress, invoices_issue_due
from invoicing.models import Invoice
from tests.invoicing.conftest import make_licence_year

pytestmark = pytest.mark.django_db
DAY = datetime.date(2099, 1, 8)


class _Queue:
    """Stands for the broker: keeps the chunks handed out for the workers."""

    def __init__(self) -> None:
        self.chunks: list[list[int]] = []
        self.args: list[tuple] = []

    def delay(self, invoice_ids, *args):
        self.chunks.append(list(invoice_ids))
        self.args.append(args)


@pytest.fixture
def queue(monkeypatch):
    queue = _Queue()
    monkeypatch.setattr(issuing, "make_invoice_documents", queue)
    monkeypatch.setattr(issuing, "DOCUMENT_CHUNK", 2)
    return queue


def _drafts(authority, count: int, *, schools: int = 1) -> list[Invoice]:
    start = datetime.date(2099, 1, 1)
    return [
        invoice_create_draft(
            licence_year=make_licence_year(
                authority=authority, start=start, prices=(D("10.00"),) * schools
            ),
            on=start,
        )
        for _i in range(count)
    ]


def test_the_night_numbers_and_hands_the_documents_out_in_chunks(authority, queue):
    drafts = _drafts(authority, 5)

    result = invoices_issue_due(on=DAY)

    assert result.done == [f"RE-2099-{n:05d}" for n in range(1, 6)]
    assert sorted(pk for chunk in queue.chunks for pk in chunk) == sorted(d.pk for d in drafts)
    assert [len(chunk) for chunk in queue.chunks] == [2, 2, 1]
    assert not Invoice.objects.exclude(pdf_sha256="").exists()  # the workers make them
    assert invoices_documents_progress(numbers=result.done) == {
        "issued": 5,
        "documents": 0,
        "sent": 0,
    }

    for chunk in queue.chunks:
        issue_documents.invoices_make_documents(invoice_ids=chunk)

    assert invoices_documents_progress(numbers=result.done) == {
        "issued": 5,
        "documents": 5,
        "sent": 5,
    }
    assert sorted(m.subject.split()[1] for m in mail.outbox) == result.done


def test_the_next_run_hands_out_what_a_dead_worker_left_and_nothing_goes_twice(authority, queue):
    _drafts(authority, 5)
    numbers = invoices_issue_due(on=DAY).done
    first, *lost = queue.chunks
    assert issue_documents.invoices_make_documents(invoice_ids=first) == 2
    # the worker that took the other chunks died; the next night:
    queue.chunks.clear()

    assert invoices_issue_due(on=DAY + datetime.timedelta(days=1)).done == []
    assert sorted(pk for chunk in queue.chunks for pk in chunk) == sorted(
        pk for chunk in lost for pk in chunk
    )
    for chunk in [first, *queue.chunks, *lost]:  # a late worker finishes its chunk too
        issue_documents.invoices_make_documents(invoice_ids=chunk)

    assert invoices_documents_progress(numbers=numbers) == {
        "issued": 5,
        "documents": 5,
        "sent": 5,
    }
    assert len(mail.outbox) == 5


def test_an_invoice_whose_documents_fail_does_not_stop_its_chunk(
    authority, queue, fake_renderers, monkeypatch
):
    drafts = _drafts(authority, 2)
    invoices_issue_due(on=DAY)
    pdf, _einvoice = fake_renderers
    real = pdf.render_invoice_pdf

    def broken_for_the_first(document, xml=None):
        if document.pk == drafts[0].pk:
            raise RuntimeError("Schriftart fehlt")
        return real(document, xml=xml)

    monkeypatch.setattr(pdf, "render_invoice_pdf", broken_for_the_first)
    assert issue_documents.invoices_make_documents(invoice_ids=[d.pk for d in drafts]) == 1
    assert list(Invoice.objects.order_by("pk").values_list("pdf_sha256", flat=True))[0] == ""
    assert len(mail.outbox) == 1


def test_without_a_broker_the_night_makes_and_sends_everything_itself(
    authority, django_capture_on_commit_callbacks
):
    _drafts(authority, 3)
    with django_capture_on_commit_callbacks(execute=True):
        numbers = invoices_issue_due(on=DAY).done
    assert invoices_documents_progress(numbers=numbers) == {
        "issued": 3,
        "documents": 3,
        "sent": 3,
    }


def test_the_nightly_runs_page_shows_what_the_workers_finished(authority, queue, publisher_client):
    from django.urls import reverse

    from portal.nightly import run_nightly

    _drafts(authority, 3)
    run = run_nightly(on=DAY)
    issue_documents.invoices_make_documents(invoice_ids=queue.chunks[0])

    page = publisher_client.get(reverse("admin:portal_nightlyrun_change", args=[run.pk]))
    assert "3 gestellt, 2 mit PDF/XML, 2 versendet" in page.content.decode()


def test_a_chunk_holds_few_lines_so_that_the_workers_finish_together(authority, queue, monkeypatch):
    monkeypatch.setattr(issuing, "DOCUMENT_CHUNK_LINES", 4)
    small = _drafts(authority, 2, schools=1)
    large = _drafts(authority, 2, schools=4)

    invoices_issue_due(on=DAY)

    assert queue.chunks == [[d.pk for d in small], [large[0].pk], [large[1].pk]]


def test_what_a_dead_worker_left_is_handed_out_again_the_largest_first(
    authority, queue, monkeypatch
):
    small, large, middle = (_drafts(authority, 1, schools=n)[0] for n in (1, 3, 2))
    invoices_issue_due(on=DAY)
    queue.chunks.clear()  # the worker died with all of them
    monkeypatch.setattr(issuing, "DOCUMENT_CHUNK", 1)

    assert invoices_issue_due(on=DAY + datetime.timedelta(days=1)).done == []
    assert queue.chunks == [[large.pk], [middle.pk], [small.pk]]


def test_the_night_hands_the_drafts_due_in_the_next_two_days_out_for_the_check_ahead(
    authority, monkeypatch
):
    precheck_queue = _Queue()
    monkeypatch.setattr(issuing, "precheck_drafts", precheck_queue)
    monkeypatch.setattr(issuing, "DOCUMENT_CHUNK", 2)
    drafts = _drafts(authority, 4)
    due = [DAY + datetime.timedelta(days=n) for n in (1, 1, 2, 3)]
    for invoice, day in zip(drafts, due, strict=True):
        Invoice.objects.filter(pk=invoice.pk).update(issue_due_on=day)

    assert invoices_issue_due(on=DAY).done == []

    assert precheck_queue.chunks == [[drafts[0].pk, drafts[1].pk], [drafts[2].pk]]
    assert precheck_queue.args == [(due[0].isoformat(),), (due[2].isoformat(),)]
