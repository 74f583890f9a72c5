"""Voiding an issued invoice (R9): a cancellation invoice (Stornorechnung) with
its own number that references the original and negates its lines, and a new
draft for the same licence year."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.drafts import invoice_create_draft, issue_delay_days
from invoicing.issuing import invoice_store_documents
from invoicing.models import Invoice, InvoiceLine, NumberSeries
from invoicing.numbering import number_next

logger = logging.getLogger(__name__)


# Copied from the original onto its cancellation invoice.
SNAPSHOT_FIELDS = (
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
    "buyer_order_reference",
    "seller",
)


def _check_cancellable(original: Invoice) -> None:
    """The German reason why ``original`` cannot be voided, if it cannot."""
    if original.kind != Invoice.Kind.INVOICE:
        raise ValidationError(_("Eine Stornorechnung kann nicht storniert werden."))
    if original.is_draft:
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
    if not original.can_cancel:  # the transitions table is the last word
        raise ValidationError(
            _("Die Rechnung %(number)s kann nicht storniert werden.") % {"number": original.number}
        )


def _cancellation_issue(original: Invoice, *, reason: str, on: datetime.date) -> Invoice:
    """The issued cancellation invoice of ``original``: its snapshot, its lines
    and totals negated, its own number from the invoice series."""
    cancellation = Invoice(
        kind=Invoice.Kind.CANCELLATION,
        status=Invoice.Status.DRAFT,
        cancels=original,
        reason=reason,
        net_total=-original.net_total,
        vat_total=-original.vat_total,
        gross_total=-original.gross_total,
        **{field: getattr(original, field) for field in SNAPSHOT_FIELDS},
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
    return cancellation


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
    _check_cancellable(original)
    cancellation = _cancellation_issue(original, reason=reason, on=on)
    original.status = Invoice.Status.CANCELLED
    original.save(update_fields=["status"])

    new_invoice = invoice_create_draft(licence_year=original.licence_year, on=on)
    new_invoice.issue_due_on = on + datetime.timedelta(days=issue_delay_days())
    new_invoice.save(update_fields=["issue_due_on"])
    logger.info("invoice %s cancelled by %s: %s", original.number, by, reason)
    cancellation = invoice_store_documents(invoice=cancellation)
    return cancellation, new_invoice
