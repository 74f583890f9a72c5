"""A draft as it will be issued, and its rule check ahead of the issue day.

``issue_prepare`` fills in what issuing adds to a draft before its number is
drawn (the buyer's billing data and the seller as snapshot, issue and due date);
``issuing`` calls it under the counter's lock, ``draft_precheck`` on the workers
the nights before the issue day with the date the draft will be issued on. The
e-invoice written from it then is the same, byte for byte, unless something
changed in between, so a pass remembered by the pre-check (``rule_check``) lets
numbering skip CEN's schematron; a changed draft is checked in full. A draft
failing the pre-check keeps the reason in ``issue_problems`` (the work queue
lists it before its day)."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import Invoice, NumberSeries
from invoicing.rule_check import document_rules_check
from schools.billing import billing_missing_text

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
    invoice.buyer_order_reference = invoice.order.order_reference


def issue_prepare(invoice: Invoice, *, on: datetime.date) -> None:
    """Fill in the snapshot and dates of ``invoice`` as issued on ``on`` (in
    memory, nothing saved). Raises ``ValidationError`` for a draft without
    lines or a buyer whose billing data is incomplete."""
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


def issue_problems_record(invoice_id: int, error: ValidationError) -> None:
    """Keep on the draft why it could not be issued (the work queue lists it);
    written outside the issuing transaction (after its rollback)."""
    Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.DRAFT).update(
        issue_problems=" ".join(error.messages)[:4000]
    )


def draft_precheck(*, invoice_id: int, on: datetime.date) -> bool:
    """Check a draft as it would be issued on ``on``: billing data, XSD, the
    product's rules and CEN's schematron; a pass is remembered for numbering.
    Takes no lock and draws no number (numbering checks again in any case).
    Returns whether the draft passed."""
    invoice = (
        Invoice.objects.select_related("authority", "order")
        .filter(pk=invoice_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT)
        .first()
    )
    if invoice is None:
        return False
    try:
        issue_prepare(invoice, on=on)
        document_rules_check(invoice, series=NumberSeries.INVOICE)
    except ValidationError as error:
        logger.warning("draft invoice %s fails the check ahead: %s", invoice_id, error.messages)
        issue_problems_record(invoice_id, error)
        return False
    Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.DRAFT).exclude(
        issue_problems=""
    ).update(issue_problems="")
    return True


def drafts_precheck(*, invoice_ids: list[int], on: datetime.date) -> int:
    """A worker's chunk of the check ahead (task ``invoicing.precheck_drafts``):
    each draft on its own; one that cannot be checked is logged and checked in
    full at numbering. Returns how many passed."""
    passed = 0
    for invoice_id in invoice_ids:
        try:
            passed += draft_precheck(invoice_id=invoice_id, on=on)
        except Exception:
            logger.exception("draft invoice %s could not be checked ahead", invoice_id)
    return passed
