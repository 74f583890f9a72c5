"""Issuing invoices (R9): a gapless number, the buyer and seller snapshot and the
due date under the number counter's lock; then the PDF (Factur-X) and the
XRechnung XML are rendered, stored with their SHA-256 and sent after commit. The
nightly run issues every draft whose day has come and repairs documents a crash
left missing."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.steps import StepResult
from invoicing.drafts import draft_rebuild_lines
from invoicing.issue_documents import invoice_documents_store
from invoicing.models import Invoice, NumberSeries, Refund
from invoicing.numbering import number_next
from invoicing.refunds import refund_documents_make
from invoicing.rule_check import document_rules_check
from invoicing.tasks import make_invoice_documents, send_invoice_email, send_refund_notice
from schools.billing import billing_missing_text

logger = logging.getLogger(__name__)

# Invoices per worker task on the issue day: small enough that two workers share
# the night's invoices evenly, large enough that queueing costs nothing.
DOCUMENT_CHUNK = 10


def _snapshot_buyer(invoice: Invoice) -> None:
    authority = invoice.authority
    invoice.buyer_name = authority.invoice_name
    invoice.buyer_department = authority.billing_department
    invoice.buyer_street = authority.street
    invoice.buyer_postal_code = authority.postal_code
    invoice.buyer_city = authority.city
    invoice.buyer_country = authority.country or "DE"
    invoice.buyer_email = authority.email
    invoice.buyer_leitweg_id = authority.leitweg_id
    invoice.buyer_vat_id = authority.vat_id
    invoice.buyer_customer_number = authority.customer_number
    invoice.buyer_order_reference = invoice.order.order_reference


def _issue_locked(invoice: Invoice, *, on: datetime.date) -> None:
    """Snapshot, check and number a locked draft. Runs in the caller's transaction,
    which also holds the number counter's lock until it commits. The buyer's
    billing data and the e-invoice rules are checked BEFORE the number is drawn:
    a failing draft raises and draws no number."""
    draft_rebuild_lines(invoice)
    if not invoice.lines.exists():
        raise ValidationError(
            _("Die Rechnung hat keine Positionen: Das Nutzungsjahr enthält keine Lizenz.")
        )
    missing = billing_missing_text(invoice.authority)
    if missing:
        raise ValidationError(missing)
    _snapshot_buyer(invoice)
    invoice.seller = dict(settings.SELLER)
    invoice.issue_date = on
    invoice.issued_at = timezone.now()
    invoice.due_date = on + datetime.timedelta(days=settings.INVOICE_PAYMENT_DAYS)
    document_rules_check(invoice, series=NumberSeries.INVOICE)
    invoice.number = number_next(series=NumberSeries.INVOICE, year=on.year)
    invoice.status = Invoice.Status.ISSUED
    invoice.issue_problems = ""
    invoice.save()


def _issue_problems_record(invoice_id: int, error: ValidationError) -> None:
    """Keep on the draft why it could not be issued (the work queue lists it);
    written after the issuing transaction rolled back."""
    Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.DRAFT).update(
        issue_problems=" ".join(error.messages)[:4000]
    )


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
        _issue_problems_record(invoice.pk, error)
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
        _issue_problems_record(invoice_id, error)
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
    """Nightly: number every draft whose issue date has come, then hand the
    rendering, storing and sending of the documents of every issued invoice that
    has none yet (tonight's and any a dead worker left) to the workers, in chunks
    of ``DOCUMENT_CHUNK`` that all workers share (without a broker they run here,
    one after another). The result names the invoices numbered and the drafts that
    could not be issued; ``invoices_documents_progress`` tells what the workers
    have finished.

    Safe to run twice, late or after a crash: each draft is taken under
    ``select_for_update(skip_locked=True)`` and only while it is still a draft;
    documents are made once (``invoice_store_documents``), mails sent once."""
    result = invoices_number_due(on=on)
    invoices_hand_out_documents()
    invoices_repair_documents(failed=result.failed, invoices=False)
    return result


def invoices_number_due(*, on: datetime.date) -> StepResult:
    """Number every due draft, each in its own short transaction (the counter's
    lock is held only that long). Documents are not made here."""
    due_ids = list(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT, issue_due_on__lte=on
        )
        .order_by("issue_due_on", "pk")
        .values_list("pk", flat=True)
    )
    result = StepResult()
    numbered: list[int] = []
    for invoice_id in due_ids:
        try:
            if invoice_number_if_due(invoice_id=invoice_id, on=on):
                numbered.append(invoice_id)
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


def invoices_hand_out_documents() -> int:
    """Enqueue the making of the documents of every issued invoice that has none,
    ``DOCUMENT_CHUNK`` invoices per task. Returns the number of invoices."""
    ids = list(
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(pdf_sha256="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), DOCUMENT_CHUNK):
        make_invoice_documents.delay(ids[start : start + DOCUMENT_CHUNK])
    return len(ids)


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
