"""E-mailing issued documents: the invoice or cancellation invoice with its PDF
and XML and the two payment reminders to the buyer, the refund document with the
link for the account to the school. Each is claimed by a
timestamp on the invoice so that it never goes out twice; called by the tasks in
``tasks.py``."""

import logging

from django.conf import settings
from django.utils import timezone

from config.mail import build_templated_mail
from invoicing.documents import CONTENT_TYPES, document_read, download_name
from invoicing.models import Invoice, Refund, RefundPayout
from invoicing.payout_links import refund_account_url
from invoicing.selectors import refund_notice_recipient

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


REMINDER_LEVELS = {
    1: ("reminder_sent_at", "invoicing/emails/payment_reminder"),
    2: ("second_reminder_sent_at", "invoicing/emails/payment_reminder_second"),
}


def invoice_send_reminder(*, invoice_id: int, level: int = 1) -> bool:
    """The payment reminder of ``level`` (1 or 2); claimed by its timestamp so that
    it never goes out twice. It states the invoice amount, the payments received
    with their dates and what remains. Nothing is sent (nor claimed) while the
    payments received cover the invoice (an excess payment staff must clarify).
    Returns whether it sent."""
    field, template = REMINDER_LEVELS[level]
    if Invoice.objects.get(pk=invoice_id).balance.remaining <= 0:
        logger.info("invoice %s: no reminder, the payments cover it", invoice_id)
        return False
    now = timezone.now()
    claimed = Invoice.objects.filter(
        pk=invoice_id, status=Invoice.Status.ISSUED, **{f"{field}__isnull": True}
    ).update(**{field: now})
    if not claimed:
        return False
    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.buyer_email:
        logger.warning("invoice %s: no billing e-mail for the reminder", invoice.number)
        return False
    message = build_templated_mail(
        to=[invoice.buyer_email],
        template=template,
        context={"invoice": invoice, "seller": invoice.seller, "balance": invoice.balance},
        attachments=[
            (download_name(invoice, "pdf"), document_read(invoice.pdf), CONTENT_TYPES["pdf"])
        ],
    )
    try:
        message.send()
    except Exception:
        Invoice.objects.filter(pk=invoice_id, **{field: now}).update(**{field: None})
        raise
    return True


def refund_notice_send(*, refund_id: int) -> bool:
    """E-mail the refund document (PDF and XML) to the school's contact person with
    the signed link to the page where the school gives the account to pay to.
    Claimed by ``RefundPayout.notice_sent_at``: sent once. Returns whether it sent."""
    refund = Refund.objects.select_related("school", "individual_licence").get(pk=refund_id)
    if refund.status != Refund.Status.ISSUED or not refund.pdf_sha256:
        return False
    recipient = refund_notice_recipient(refund=refund)
    if not recipient:
        logger.warning("refund %s: no e-mail address of the school", refund.number)
        return False
    payout, _created = RefundPayout.objects.get_or_create(refund=refund)
    now = timezone.now()
    claimed = RefundPayout.objects.filter(pk=payout.pk, notice_sent_at__isnull=True).update(
        notice_sent_at=now, notice_sent_to=recipient
    )
    if not claimed:
        return False
    message = build_templated_mail(
        to=[recipient],
        template="invoicing/emails/refund_issued",
        context={
            "refund": refund,
            "seller": refund.seller,
            "account_url": refund_account_url(refund=refund),
            "link_days": settings.REFUND_ACCOUNT_LINK_DAYS,
        },
        attachments=[
            (download_name(refund, "pdf"), document_read(refund.pdf), CONTENT_TYPES["pdf"]),
            (download_name(refund, "xml"), document_read(refund.xml), CONTENT_TYPES["xml"]),
        ],
    )
    try:
        message.send()
    except Exception:
        RefundPayout.objects.filter(pk=payout.pk, notice_sent_at=now).update(
            notice_sent_at=None, notice_sent_to=""
        )
        raise
    return True
