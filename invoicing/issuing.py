"""Issuing invoices (R9): a gapless number, the buyer and seller snapshot and the
due date under the number counter's lock; then the PDF (Factur-X) and the
XRechnung XML are rendered, stored with their SHA-256 and sent after commit. The
nightly run issues every draft whose day has come and repairs documents a crash
left missing."""

import datetime
import itertools
import logging
import operator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from config.steps import StepResult
from invoicing.drafts import draft_rebuild_lines
from invoicing.issue_documents import invoice_documents_store
from invoicing.models import Invoice, NumberSeries, Refund
from invoicing.numbering import number_next
from invoicing.precheck import issue_prepare, issue_problems_record
from invoicing.refunds import refund_documents_make
from invoicing.rule_check import document_rules_check
from invoicing.tasks import (
    make_invoice_documents,
    precheck_drafts,
    send_invoice_email,
    send_refund_notice,
)

logger = logging.getLogger(__name__)

# Worker tasks on the issue day: at most DOCUMENT_CHUNK invoices and about
# DOCUMENT_CHUNK_LINES invoice lines each (a 260-school PDF takes about ten times
# as long as a 20-school one), so that queueing costs nothing and the last task
# of the night is short: all workers finish at about the same time.
DOCUMENT_CHUNK = 10
DOCUMENT_CHUNK_LINES = 400
# Drafts due within this many days are checked ahead on the workers
# (``precheck.draft_precheck``) so that numbering skips CEN's schematron.
PRECHECK_DAYS = 2


class _Chunks:
    """Collects ids and hands each full chunk to ``task`` (``task.delay(ids,
    *args)``) at once, so that the workers start while the rest is numbered."""

    def __init__(self, task, *args) -> None:
        self.task, self.args = task, args
        self.ids: list[int] = []
        self.lines = 0
        self.handed_out: set[int] = set()

    def add(self, invoice_id: int, lines: int) -> None:
        self.ids.append(invoice_id)
        self.lines += lines
        if len(self.ids) >= DOCUMENT_CHUNK or self.lines >= DOCUMENT_CHUNK_LINES:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            self.task.delay(self.ids, *self.args)
            self.handed_out.update(self.ids)
        self.ids, self.lines = [], 0


def _issue_locked(invoice: Invoice, *, on: datetime.date) -> None:
    """Snapshot, check and number a locked draft. Runs in the caller's transaction,
    which also holds the number counter's lock until it commits. The buyer's
    billing data and the e-invoice rules are checked BEFORE the number is drawn:
    a failing draft raises and draws no number."""
    draft_rebuild_lines(invoice)
    issue_prepare(invoice, on=on)
    document_rules_check(invoice, series=NumberSeries.INVOICE)
    invoice.number = number_next(series=NumberSeries.INVOICE, year=on.year)
    invoice.status = Invoice.Status.ISSUED
    invoice.issue_problems = ""
    invoice.save()


def invoice_issue(*, invoice: Invoice, by=None, on: datetime.date | None = None) -> Invoice:
    """Issue a draft now (the publisher's staff, or the nightly work): gapless number,
    buyer and seller snapshot, due date; then the PDF and XML are rendered, stored
    with their SHA-256 and sent to the buyer after commit."""
    on = on or timezone.localdate()
    try:
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
            if not locked.can_issue:
                raise ValidationError(
                    _("Die Rechnung %(number)s ist bereits gestellt.") % {"number": locked.number}
                )
            _issue_locked(locked, on=on)
    except ValidationError as error:
        issue_problems_record(invoice.pk, error)
        raise
    logger.info("invoice %s issued by %s", locked.number, by or "nightly run")
    return invoice_store_documents(invoice=locked)


def invoice_number_if_due(*, invoice_id: int, on: datetime.date) -> bool:
    """Number one due draft unless another worker holds it or it was issued
    already; its documents are made afterwards (``invoice_store_documents``). A
    draft failing the billing data or rule check raises and keeps the reason."""
    try:
        with transaction.atomic():
            locked = (
                Invoice.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=invoice_id,
                    kind=Invoice.Kind.INVOICE,
                    status=Invoice.Status.DRAFT,
                    issue_due_on__lte=on,
                )
                .first()
            )
            if locked is None:
                return False
            _issue_locked(locked, on=on)
    except ValidationError as error:
        issue_problems_record(invoice_id, error)
        raise
    return True


def invoice_issue_if_due(*, invoice_id: int, on: datetime.date) -> bool:
    """Issue one due draft with its documents, in this process."""
    if not invoice_number_if_due(invoice_id=invoice_id, on=on):
        return False
    invoice_store_documents(invoice=Invoice(pk=invoice_id))
    return True


def invoice_store_documents(*, invoice: Invoice, send: bool = True) -> Invoice:
    """Render and store the PDF (Factur-X, XML embedded) and the XRechnung XML of an
    issued invoice or cancellation invoice, once; then send them after commit.
    Safe to call again: documents already stored are kept as they are."""
    locked, made = invoice_documents_store(invoice_id=invoice.pk)
    if made and send:
        send_invoice_email.delay(locked.pk)
    return locked


def invoices_issue_due(*, on: datetime.date) -> StepResult:
    """Nightly: number every draft whose issue date has come and hand the
    rendering, storing and sending of its documents to the workers as soon as
    a chunk is numbered (``DOCUMENT_CHUNK``; all workers share them; without a
    broker they run here); then hand out the documents a dead worker left, and
    the drafts due in the next ``PRECHECK_DAYS`` days for the rule check ahead.
    The result names the invoices numbered and the drafts that could not be
    issued; ``invoices_documents_progress`` tells what the workers have finished.

    Safe to run twice, late or after a crash: each draft is taken under
    ``select_for_update(skip_locked=True)`` and only while it is still a draft;
    documents are made once (``invoice_store_documents``), mails sent once."""
    documents = _Chunks(make_invoice_documents)
    result = invoices_number_due(on=on, documents=documents)
    documents.flush()
    invoices_hand_out_documents(skip=documents.handed_out)
    invoices_repair_documents(failed=result.failed, invoices=False)
    drafts_hand_out_precheck(on=on)
    return result


def invoices_number_due(*, on: datetime.date, documents: _Chunks | None = None) -> StepResult:
    """Number every due draft, each in its own short transaction (the counter's
    lock is held only that long); each numbered invoice goes to ``documents``
    (documents are not made here)."""
    due = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT, issue_due_on__lte=on
        )
        .annotate(line_count=Count("lines"))
        .order_by("issue_due_on", "pk")
        .values_list("pk", "line_count")
    )
    result = StepResult()
    numbered: list[int] = []
    for invoice_id, lines in list(due):
        try:
            if invoice_number_if_due(invoice_id=invoice_id, on=on):
                numbered.append(invoice_id)
                if documents is not None:
                    documents.add(invoice_id, lines)
        except Exception as error:  # one broken draft must not stop the others
            if isinstance(error, ValidationError):
                logger.warning("draft invoice %s not issued: %s", invoice_id, error.messages)
            else:
                logger.exception("draft invoice %s not issued", invoice_id)
            result.failed.append(
                _failure(
                    step="invoices_issued",
                    item=_("Rechnungsentwurf %(id)s") % {"id": invoice_id},
                    error=error,
                )
            )
    numbers = dict(Invoice.objects.filter(pk__in=numbered).values_list("pk", "number"))
    result.done.extend(numbers[pk] for pk in numbered)
    return result


def invoices_hand_out_documents(*, skip: set[int] = frozenset()) -> int:
    """Enqueue the making of the documents of every issued invoice that has none
    (except ``skip``, handed out already), the largest first, in chunks. Returns
    the number of invoices."""
    missing = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(pdf_sha256="")
        .exclude(pk__in=skip)
        .annotate(line_count=Count("lines"))
        .order_by("-line_count", "pk")
        .values_list("pk", "line_count")
    )
    chunks = _Chunks(make_invoice_documents)
    for invoice_id, lines in missing:
        chunks.add(invoice_id, lines)
    chunks.flush()
    return len(chunks.handed_out)


def drafts_hand_out_precheck(*, on: datetime.date) -> int:
    """Hand the drafts due after ``on`` and within ``PRECHECK_DAYS`` days to the
    workers for the rule check ahead, each with the day it will be issued on.
    Returns the number of drafts."""
    drafts = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.DRAFT,
            issue_due_on__gt=on,
            issue_due_on__lte=on + datetime.timedelta(days=PRECHECK_DAYS),
        )
        .annotate(line_count=Count("lines"))
        .order_by("issue_due_on", "pk")
        .values_list("pk", "issue_due_on", "line_count")
    )
    handed_out = 0
    for day, group in itertools.groupby(drafts, key=operator.itemgetter(1)):
        chunks = _Chunks(precheck_drafts, day.isoformat())
        for invoice_id, _day, lines in group:
            chunks.add(invoice_id, lines)
        chunks.flush()
        handed_out += len(chunks.handed_out)
    return handed_out


def invoices_documents_progress(*, numbers: list[str]) -> dict[str, int]:
    """Of the invoices ``numbers``: how many there are, how many have their
    documents and how many were sent (what the workers have finished)."""
    invoices = Invoice.objects.filter(number__in=numbers)
    return {
        "issued": invoices.count(),
        "documents": invoices.exclude(pdf_sha256="").count(),
        "sent": invoices.exclude(sent_at=None).count(),
    }


def _failure(*, step: str, item: str, error: Exception) -> dict:
    message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    return {"step": step, "item": item, "error": f"{type(error).__name__}: {message}"}


def invoices_repair_documents(*, failed: list[dict] | None = None, invoices: bool = True) -> int:
    """Documents of issued invoices (unless ``invoices`` is false: the nightly run
    hands those to the workers) and refunds that a crash left without PDF/XML, made
    here; unsent invoices are sent again. A document that cannot be made is
    reported in ``failed`` and tried again the next night."""
    repaired = 0
    missing = Invoice.objects.exclude(status=Invoice.Status.DRAFT).filter(pdf_sha256="")
    for invoice in missing if invoices else []:
        try:
            invoice_store_documents(invoice=invoice)
        except Exception as error:
            logger.exception("documents of invoice %s could not be made", invoice.number)
            if failed is None:
                raise
            failed.append(
                _failure(
                    step="invoices_issued",
                    item=_("Rechnung %(number)s (PDF/XML)") % {"number": invoice.number},
                    error=error,
                )
            )
            continue
        repaired += 1
    for refund_id in (
        Refund.objects.exclude(status=Refund.Status.DRAFT)
        .filter(pdf_sha256="")
        .values_list("pk", flat=True)
    ):
        try:
            refund_documents_make(refund_id=refund_id)
        except Exception as error:
            logger.exception("documents of refund %s could not be made", refund_id)
            if failed is None:
                raise
            failed.append(
                _failure(
                    step="invoices_issued",
                    item=_("Erstattung %(id)s (PDF/XML)") % {"id": refund_id},
                    error=error,
                )
            )
            continue
        repaired += 1
    unsent = Invoice.objects.exclude(status=Invoice.Status.DRAFT).filter(
        sent_at__isnull=True, issued_at__lt=timezone.now() - datetime.timedelta(hours=1)
    )
    for invoice_id in unsent.exclude(pdf_sha256="").values_list("pk", flat=True):
        send_invoice_email.delay(invoice_id)
    unsent_refunds = (
        Refund.objects.filter(
            status=Refund.Status.ISSUED, issued_at__lt=timezone.now() - datetime.timedelta(hours=1)
        )
        .exclude(pdf_sha256="")
        .exclude(payout__notice_sent_at__isnull=False)
    )
    for refund_id in unsent_refunds.values_list("pk", flat=True):
        send_refund_notice.delay(refund_id)
    return repaired


def invoice_resend(*, invoice: Invoice, by=None) -> None:
    """Send an issued document to the buyer again (admin action), after commit."""
    if not invoice.can_send:
        raise ValidationError(_("Entwürfe werden nicht versendet."))
    send_invoice_email.delay(invoice.pk, True)
