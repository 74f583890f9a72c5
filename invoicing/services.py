"""Writes of invoices: drafts, issuing with gapless numbers, documents, sending,
cancellation and reissue, overdue reminders. Payments live in ``payments.py``,
refunds in ``refunds.py``; both are re-exported here for the callers of the
original contract (licensing calls ``invoice_create_draft`` and
``refund_create_for_superseded``; the nightly run ``invoices_issue_due`` and
``invoices_mark_overdue``)."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.mail import build_templated_mail
from invoicing.documents import document_read, documents_store, download_name
from invoicing.models import DOCUMENT_FIELDS, Invoice, InvoiceLine, NumberSeries, Refund
from invoicing.numbering import number_next
from invoicing.payments import payment_record  # noqa: F401  (re-export)
from invoicing.refunds import (  # noqa: F401  (re-export)
    refund_create_for_superseded,
    refund_documents_make,
    refund_mark_paid_out,
)
from invoicing.totals import compute_totals
from licensing.models import Licence, LicenceTerm, LicenceYear
from licensing.steps import StepResult

logger = logging.getLogger(__name__)

PDF_TYPE = "application/pdf"
XML_TYPE = "application/xml"


def issue_delay_days() -> int:
    """R9: issued 1 to 2 weeks after setup or renewal, whatever the setting says."""
    return min(max(settings.INVOICE_ISSUE_DELAY_DAYS, 7), 14)


# --- Drafts ------------------------------------------------------------------------


def _draft_rebuild_lines(invoice: Invoice) -> None:
    """Lines of a draft from the year's licence terms (one per school), and totals.
    Drafts follow corrections of the order until they are issued."""
    terms = (
        LicenceTerm.objects.filter(year_id=invoice.licence_year_id)
        .exclude(licence__status=Licence.Status.REJECTED)
        .select_related("licence__school", "licence__product", "year")
        .order_by("licence__school__school_number", "pk")
    )
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            licence=term.licence,
            school_number=term.licence.school.school_number,
            school_name=term.licence.school.name,
            product_name=term.licence.product.name,
            period_start=term.year.start_date,
            period_end=term.year.end_date,
            net_amount=term.net_price,
            vat_rate=term.licence.product.vat_rate,
        )
        for position, term in enumerate(terms, start=1)
    ]
    InvoiceLine.objects.filter(invoice=invoice).delete()
    InvoiceLine.objects.bulk_create(lines)
    totals = compute_totals(lines)
    invoice.net_total, invoice.vat_total, invoice.gross_total = (
        totals.net,
        totals.vat,
        totals.gross,
    )
    invoice.save(update_fields=["net_total", "vat_total", "gross_total"])


@transaction.atomic
def invoice_create_draft(*, licence_year: LicenceYear, on: datetime.date | None = None) -> Invoice:
    """The draft consolidated invoice for a licence year (order start or renewal).

    Idempotent: the year's valid invoice is returned if there is one (a draft is
    brought up to date with the year's licence terms first). The draft is issued
    automatically ``INVOICE_ISSUE_DELAY_DAYS`` (7..14) after the later of ``on`` (the
    day of the confirmation or of the nightly run that renewed; default today) and
    the year's start."""
    existing = (
        Invoice.objects.select_for_update()
        .filter(licence_year=licence_year, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )
    if existing is None:
        order = licence_year.order
        start = max(on or timezone.localdate(), licence_year.start_date)
        invoice = Invoice(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.DRAFT,
            authority_id=order.authority_id,
            order=order,
            licence_year=licence_year,
            issue_due_on=start + datetime.timedelta(days=issue_delay_days()),
            service_period_start=licence_year.start_date,
            service_period_end=licence_year.end_date,
        )
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            # Created by a concurrent call since our look-up: use that one.
            return invoice_create_draft(licence_year=licence_year, on=on)
        existing = invoice
    if existing.status == Invoice.Status.DRAFT:
        _draft_rebuild_lines(existing)
    return existing


# --- Issuing -----------------------------------------------------------------------


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
    _draft_rebuild_lines(invoice)
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
        if locked.status != Invoice.Status.DRAFT or locked.kind != Invoice.Kind.INVOICE:
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
        if locked.status == Invoice.Status.DRAFT:
            raise ValidationError(_("Ein Entwurf hat noch keine Belege."))
        if not locked.pdf_sha256:
            xml_bytes = einvoice.invoice_xml(locked)
            pdf_bytes = pdf.render_invoice_pdf(locked)
            documents_store(document=locked, pdf=pdf_bytes, xml=xml_bytes)
            locked.save(update_fields=list(DOCUMENT_FIELDS))
            if send:
                transaction.on_commit(lambda: _enqueue_send(locked.pk))
    return locked


def _enqueue_send(invoice_id: int, resend: bool = False) -> None:
    from invoicing.tasks import send_invoice_email

    send_invoice_email.delay(invoice_id, resend)


def invoice_send(*, invoice_id: int, resend: bool = False) -> bool:
    """E-mail the issued document to the buyer's billing address with the PDF and the
    XML attached. Sends once unless ``resend``; returns whether it sent."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.pdf_sha256 or not invoice.buyer_email:
        logger.warning("invoice %s not sent: no documents or no billing e-mail", invoice.number)
        return False
    now = timezone.now()
    claimed = Invoice.objects.filter(pk=invoice_id, sent_at__isnull=True).update(sent_at=now)
    if not claimed and not resend:
        return False
    template = (
        "invoicing/emails/cancellation_issued"
        if invoice.kind == Invoice.Kind.CANCELLATION
        else "invoicing/emails/invoice_issued"
    )
    message = build_templated_mail(
        to=[invoice.buyer_email],
        template=template,
        context={"invoice": invoice, "seller": invoice.seller},
        attachments=[
            (download_name(invoice, "pdf"), document_read(invoice.pdf), PDF_TYPE),
            (download_name(invoice, "xml"), document_read(invoice.xml), XML_TYPE),
        ],
    )
    try:
        message.send()
    except Exception:
        if claimed:
            Invoice.objects.filter(pk=invoice_id, sent_at=now).update(sent_at=None)
        raise
    if not claimed:
        Invoice.objects.filter(pk=invoice_id).update(sent_at=now)
    return True


def invoice_resend(*, invoice: Invoice, by=None) -> None:
    """Send an issued document to the buyer again (admin action), after commit."""
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Entwürfe werden nicht versendet."))
    transaction.on_commit(lambda: _enqueue_send(invoice.pk, True))


def invoices_issue_due(*, on: datetime.date, fan_out: bool = False) -> StepResult:
    """Nightly: issue every draft whose issue date has come. The result names the
    invoices issued (with ``fan_out``: the drafts handed to the Celery workers) and
    the drafts that could not be issued.

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
    if fan_out:
        from invoicing.tasks import issue_invoice

        for invoice_id in due_ids:
            issue_invoice.delay(invoice_id, on.isoformat())
        return StepResult(
            done=[_("Rechnungsentwurf %(id)s an den Worker übergeben") % {"id": i} for i in due_ids]
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
        _enqueue_send(invoice_id)
    return repaired


# --- Cancellation ------------------------------------------------------------------


@transaction.atomic
def invoice_cancel_and_reissue(
    *, invoice: Invoice, by=None, reason: str, on: datetime.date | None = None
) -> tuple[Invoice, Invoice]:
    """Void an issued invoice with a cancellation invoice (Stornorechnung: its own
    number, referencing the original, the original's lines and totals negated) and
    open a new draft for the same licence year. Returns (cancellation, new draft)."""
    on = on or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Bitte geben Sie den Grund der Stornierung an."))
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.kind != Invoice.Kind.INVOICE:
        raise ValidationError(_("Eine Stornorechnung kann nicht storniert werden."))
    if original.status == Invoice.Status.DRAFT:
        raise ValidationError(
            _("Ein Entwurf wird nicht storniert, sondern vor dem Stellen korrigiert.")
        )
    if original.status == Invoice.Status.CANCELLED:
        raise ValidationError(
            _("Die Rechnung %(number)s ist bereits storniert.") % {"number": original.number}
        )
    if original.status == Invoice.Status.PAID:
        raise ValidationError(
            _(
                "Die Rechnung %(number)s ist bereits bezahlt. Bitte klären Sie die "
                "Rückzahlung, bevor Sie sie stornieren."
            )
            % {"number": original.number}
        )
    snapshot = {
        field: getattr(original, field)
        for field in (
            "authority_id",
            "order_id",
            "licence_year_id",
            "service_period_start",
            "service_period_end",
            "buyer_name",
            "buyer_department",
            "buyer_street",
            "buyer_postal_code",
            "buyer_city",
            "buyer_country",
            "buyer_email",
            "buyer_leitweg_id",
            "buyer_vat_id",
            "buyer_customer_number",
            "seller",
        )
    }
    cancellation = Invoice(
        kind=Invoice.Kind.CANCELLATION,
        status=Invoice.Status.DRAFT,
        cancels=original,
        reason=reason,
        net_total=-original.net_total,
        vat_total=-original.vat_total,
        gross_total=-original.gross_total,
        **snapshot,
    )
    cancellation.save()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=cancellation,
                position=line.position,
                licence_id=line.licence_id,
                school_number=line.school_number,
                school_name=line.school_name,
                product_name=line.product_name,
                period_start=line.period_start,
                period_end=line.period_end,
                net_amount=-line.net_amount,
                vat_rate=line.vat_rate,
            )
            for line in original.lines.all()
        ]
    )
    cancellation.issue_date = on
    cancellation.issued_at = timezone.now()
    cancellation.number = number_next(series=NumberSeries.INVOICE, year=on.year)
    cancellation.status = Invoice.Status.ISSUED
    cancellation.save()

    original.status = Invoice.Status.CANCELLED
    original.save(update_fields=["status"])

    new_invoice = invoice_create_draft(licence_year=original.licence_year, on=on)
    new_invoice.issue_due_on = on + datetime.timedelta(days=issue_delay_days())
    new_invoice.save(update_fields=["issue_due_on"])
    logger.info("invoice %s cancelled by %s: %s", original.number, by, reason)
    cancellation = invoice_store_documents(invoice=cancellation)
    return cancellation, new_invoice


# --- Overdue -------------------------------------------------------------------------


def invoices_mark_overdue(*, on: datetime.date) -> StepResult:
    """Nightly: issued, unpaid invoices past their due date are marked overdue and
    the buyer gets one friendly reminder (never a second). The result names the
    invoices newly marked."""
    candidates = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
        due_date__lt=on,
        reminder_sent_at__isnull=True,
    ).values_list("pk", flat=True)
    marked: list[str] = []
    for invoice_id in list(candidates):
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(skip_locked=True)
                .filter(pk=invoice_id, status=Invoice.Status.ISSUED)
                .first()
            )
            if invoice is None:
                continue
            if invoice.overdue_since is None:
                invoice.overdue_since = on
                invoice.save(update_fields=["overdue_since"])
                marked.append(invoice.number)
            transaction.on_commit(lambda pk=invoice_id: _enqueue_reminder(pk))
    return StepResult(done=marked)


def _enqueue_reminder(invoice_id: int) -> None:
    from invoicing.tasks import send_payment_reminder

    send_payment_reminder.delay(invoice_id)


def invoice_send_reminder(*, invoice_id: int) -> bool:
    """The one friendly payment reminder; claimed by ``reminder_sent_at`` so that it
    never goes out twice. Returns whether it sent."""
    now = timezone.now()
    claimed = Invoice.objects.filter(
        pk=invoice_id, status=Invoice.Status.ISSUED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.buyer_email:
        logger.warning("invoice %s: no billing e-mail for the reminder", invoice.number)
        return False
    message = build_templated_mail(
        to=[invoice.buyer_email],
        template="invoicing/emails/payment_reminder",
        context={"invoice": invoice, "seller": invoice.seller},
        attachments=[(download_name(invoice, "pdf"), document_read(invoice.pdf), PDF_TYPE)],
    )
    try:
        message.send()
    except Exception:
        Invoice.objects.filter(pk=invoice_id, reminder_sent_at=now).update(reminder_sent_at=None)
        raise
    return True
