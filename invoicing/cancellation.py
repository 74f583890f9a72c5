"""Voiding an issued invoice (R9): a cancellation invoice (Stornorechnung) with
its own number that references the original and negates its lines, and a new
draft for the same licence year.

A paid or partly paid invoice is corrected the same way; the money received for
it moves to the new invoice, which is then issued at once (the order must be
corrected before) and shown as paid or partly paid; what exceeds the new amount
becomes a ``Credit`` to pay back. All of it in one transaction, audited."""

import datetime
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.drafts import invoice_create_draft, issue_delay_days
from invoicing.issuing import invoice_issue, invoice_store_documents
from invoicing.models import Credit, Invoice, InvoiceLine, NumberSeries, Payment
from invoicing.numbering import number_next
from invoicing.rule_check import document_rules_check

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
    if not original.can_cancel:  # the transitions table is the last word
        raise ValidationError(
            _("Die Rechnung %(number)s kann nicht storniert werden.") % {"number": original.number}
        )


# Billing data an invoice issued before it was required may lack (BR-DE-9,
# PEPPOL-EN16931-R010): (snapshot field, authority field).
BUYER_GAPS = (
    ("buyer_street", "street"),
    ("buyer_postal_code", "postal_code"),
    ("buyer_city", "city"),
    ("buyer_email", "email"),
)


def _buyer_gaps_filled(cancellation: Invoice) -> None:
    """A cancellation copies the original's buyer; where that snapshot lacks
    billing data (an invoice issued before it was required), the buyer's current
    billing data fills exactly those gaps, so that the cancellation passes the
    rule check and the faulty invoice can be corrected. Nothing the original
    said is changed."""
    authority = cancellation.authority
    for snapshot_field, authority_field in BUYER_GAPS:
        if not getattr(cancellation, snapshot_field):
            setattr(cancellation, snapshot_field, getattr(authority, authority_field))


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
    _buyer_gaps_filled(cancellation)
    document_rules_check(cancellation, series=NumberSeries.INVOICE)
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
    held = payments_held(original)
    if held:
        new_invoice = _carry_over(
            original=original, new_invoice=new_invoice, held=held, by=by, on=on
        )
    logger.info("invoice %s cancelled by %s: %s", original.number, by, reason)
    cancellation = invoice_store_documents(invoice=cancellation)
    return cancellation, new_invoice


def payments_held(invoice: Invoice) -> list[Payment]:
    """The payments whose money the publisher still holds for ``invoice``: the one
    that settled it, money carried over onto it, and flagged payments (partial,
    excess, duplicate) staff have not yet dealt with."""
    return [
        payment
        for payment in invoice.payments.select_for_update().order_by("paid_on", "pk")
        if payment.needs_attention
        or payment.outcome in (Payment.Outcome.SETTLED, Payment.Outcome.TRANSFERRED)
    ]


def _carry_over(
    *, original: Invoice, new_invoice: Invoice, held: list[Payment], by, on: datetime.date
) -> Invoice:
    """Move the money ``held`` for the cancelled ``original`` to ``new_invoice``:
    issue it now with the money as paid (up to its amount) and keep what exceeds
    it as a credit to pay back. Returns the new invoice as it is now."""
    received = sum((payment.amount for payment in held), Decimal("0.00"))
    paid_on = held[-1].paid_on
    carried = Decimal("0.00")
    if new_invoice.lines.exists():
        carried = min(received, new_invoice.gross_total)
        new_invoice.prepaid_amount = carried
        new_invoice.save(update_fields=["prepaid_amount"])
        new_invoice = invoice_issue(invoice=new_invoice, by=by, on=on)
    if carried:
        Payment.objects.create(
            invoice=new_invoice,
            amount=carried,
            paid_on=paid_on,
            reference=_("Übertrag von Rechnung %(number)s") % {"number": original.number},
            outcome=Payment.Outcome.TRANSFERRED,
            recorded_by=by,
        )
        if carried == new_invoice.gross_total:
            new_invoice.status, new_invoice.paid_at = Invoice.Status.PAID, paid_on
            new_invoice.save(update_fields=["status", "paid_at"])
    if received > carried:
        Credit.objects.create(
            authority_id=original.authority_id,
            cancelled_invoice=original,
            new_invoice=new_invoice if new_invoice.number else None,
            amount=received - carried,
        )
    _resolve_flagged(held, new_invoice=new_invoice)
    return new_invoice


def _resolve_flagged(held: list[Payment], *, new_invoice: Invoice) -> None:
    """Flagged payments of the cancelled invoice are dealt with by the carry-over."""
    note = _("Mit der Stornierung auf Rechnung %(number)s übertragen bzw. als Guthaben erfasst.")
    for payment in held:
        if payment.needs_attention:
            payment.needs_attention = False
            payment.resolved_at = timezone.now()
            payment.resolution_note = note % {"number": new_invoice.number or "–"}
            payment.save(update_fields=["needs_attention", "resolved_at", "resolution_note"])
