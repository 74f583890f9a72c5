"""E-mailing issued documents to the buyer: the invoice or cancellation invoice
with its PDF and XML, and the one friendly payment reminder. Each is claimed by a
timestamp on the invoice so that it never goes out twice; called by the tasks in
``tasks.py``."""

import logging

from django.utils import timezone

from config.mail import build_templated_mail
from invoicing.documents import CONTENT_TYPES, document_read, download_name
from invoicing.models import Invoice

logger = logging.getLogger(__name__)


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
            (download_name(invoice, "pdf"), document_read(invoice.pdf), CONTENT_TYPES["pdf"]),
            (download_name(invoice, "xml"), document_read(invoice.xml), CONTENT_TYPES["xml"]),
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
        attachments=[
            (download_name(invoice, "pdf"), document_read(invoice.pdf), CONTENT_TYPES["pdf"])
        ],
    )
    try:
        message.send()
    except Exception:
        Invoice.objects.filter(pk=invoice_id, reminder_sent_at=now).update(reminder_sent_at=None)
        raise
    return True
