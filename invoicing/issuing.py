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
from invoicing.documents import documents_store
from invoicing.drafts import draft_rebuild_lines
from invoicing.models import DOCUMENT_FIELDS, Invoice, NumberSeries, Refund
from invoicing.numbering import number_next
from invoicing.refunds import refund_documents_make
from invoicing.tasks import send_invoice_email, send_refund_notice

logger = logging.getLogger(__name__)


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


def _issue_locked(invoice: Invoice, *, on: datetime.date) -> None:
    """Number and snapshot a locked draft. Runs in the caller's transaction, which
    also holds the number counter's lock until it commits."""
    draft_rebuild_lines(invoice)
    if not invoice.lines.exists():
        raise ValidationError(
            _("Die Rechnung hat keine Positionen: Das Nutzungsjahr enthält keine Lizenz.")
        )
    _snapshot_buyer(invoice)
    invoice.seller = dict(settings.SELLER)
    invoice.issue_date = on
    invoice.issued_at = timezone.now()
    invoice.due_date = on + datetime.timedelta(days=settings.INVOICE_PAYMENT_DAYS)
    invoice.number = number_next(series=NumberSeries.INVOICE, year=on.year)
    invoice.status = Invoice.Status.ISSUED
    invoice.save()


def invoice_issue(*, invoice: Invoice, by=None, on: datetime.date | None = None) -> Invoice:
    """Issue a draft now (the publisher's staff, or the nightly work): gapless number,
    buyer and seller snapshot, due date; then the PDF and XML are rendered, stored
    with their SHA-256 and sent to the buyer after commit."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not locked.can_issue:
            raise ValidationError(
                _("Die Rechnung %(number)s ist bereits gestellt.") % {"number": locked.number}
            )
        _issue_locked(locked, on=on)
    logger.info("invoice %s issued by %s", locked.number, by or "nightly run")
    return invoice_store_documents(invoice=locked)


def invoice_issue_if_due(*, invoice_id: int, on: datetime.date) -> bool:
    """Issue one due draft unless another worker holds it or it was issued already.
    The nightly work and the Celery task both come through here."""
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
    invoice_store_documents(invoice=locked)
    return True


def invoice_store_documents(*, invoice: Invoice, send: bool = True) -> Invoice:
    """Render and store the PDF (Factur-X, XML embedded) and the XRechnung XML of an
    issued invoice or cancellation invoice, once; then send them after commit.
    Safe to call again: documents already stored are kept as they are."""
    from invoicing import einvoice, pdf  # heavy imports only where documents are made

    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.is_draft:
            raise ValidationError(_("Ein Entwurf hat noch keine Belege."))
        if not locked.pdf_sha256:
            xml_bytes = einvoice.invoice_xml(locked)
            pdf_bytes = pdf.render_invoice_pdf(locked)
            documents_store(document=locked, pdf=pdf_bytes, xml=xml_bytes)
            locked.save(update_fields=list(DOCUMENT_FIELDS))
            if send:
                send_invoice_email.delay(locked.pk)
    return locked


def invoices_issue_due(*, on: datetime.date) -> StepResult:
    """Nightly: issue every draft whose issue date has come. The result names the
    invoices issued and the drafts that could not be issued.

    Safe to run twice, late or after a crash: each draft is taken under
    ``select_for_update(skip_locked=True)`` and only while it is still a draft;
    documents missing or unsent after a crash are made and sent now."""
    due_ids = list(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT, issue_due_on__lte=on
        )
        .order_by("issue_due_on", "pk")
        .values_list("pk", flat=True)
    )
    issued: list[str] = []
    failed: list[dict] = []
    for invoice_id in due_ids:
        try:
            if invoice_issue_if_due(invoice_id=invoice_id, on=on):
                issued.append(Invoice.objects.values_list("number", flat=True).get(pk=invoice_id))
        except Exception as error:  # one broken draft must not stop the others
            if isinstance(error, ValidationError):
                logger.warning("draft invoice %s not issued: %s", invoice_id, error.messages)
            else:
                logger.exception("draft invoice %s not issued", invoice_id)
            failed.append(
                _failure(
                    step="invoices_issued",
                    item=_("Rechnungsentwurf %(id)s") % {"id": invoice_id},
                    error=error,
                )
            )
    invoices_repair_documents(failed=failed)
    return StepResult(done=issued, failed=failed)


def _failure(*, step: str, item: str, error: Exception) -> dict:
    message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    return {"step": step, "item": item, "error": f"{type(error).__name__}: {message}"}


def invoices_repair_documents(*, failed: list[dict] | None = None) -> int:
    """Documents of issued invoices that a crash left without PDF/XML or unsent.
    A document that cannot be made is reported in ``failed`` and tried again the
    next night."""
    repaired = 0
    for invoice in Invoice.objects.exclude(status=Invoice.Status.DRAFT).filter(pdf_sha256=""):
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
