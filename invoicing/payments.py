"""Recording payments (R9): only one payment of exactly the gross amount settles an
invoice; partial, excess and duplicate payments are kept and flagged for staff."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.money import money
from invoicing.models import Invoice, Payment


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    paid_on: datetime.date,
    reference: str = "",
    by=None,
) -> Payment:
    """Record a payment received for ``invoice``. Returns the payment; its
    ``outcome`` says whether it settled the invoice."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0,00 € sein."))
    if locked.kind != Invoice.Kind.INVOICE:
        raise ValidationError(_("Zahlungen werden nur für Rechnungen erfasst, nicht für Stornos."))
    if locked.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Für einen Entwurf kann keine Zahlung erfasst werden."))
    if locked.status == Invoice.Status.CANCELLED:
        raise ValidationError(
            _(
                "Die Rechnung %(number)s ist storniert. Bitte erfassen Sie die Zahlung "
                "bei der neuen Rechnung."
            )
            % {"number": locked.number}
        )
    if locked.status == Invoice.Status.PAID:
        outcome = Payment.Outcome.DUPLICATE
    elif amount == locked.gross_total:
        outcome = Payment.Outcome.SETTLED
    elif amount < locked.gross_total:
        outcome = Payment.Outcome.PARTIAL
    else:
        outcome = Payment.Outcome.EXCESS
    payment = Payment.objects.create(
        invoice=locked,
        amount=amount,
        paid_on=paid_on,
        reference=reference.strip(),
        outcome=outcome,
        needs_attention=outcome != Payment.Outcome.SETTLED,
        recorded_by=by,
    )
    if outcome == Payment.Outcome.SETTLED:
        locked.status = Invoice.Status.PAID
        locked.paid_at = paid_on
        locked.save(update_fields=["status", "paid_at"])
    return payment


@transaction.atomic
def payment_resolve(*, payment: Payment, note: str, by=None) -> Payment:
    """Close a flagged payment (partial, excess or duplicate) once staff have dealt
    with it, e.g. paid the money back or asked for the rest; ``note`` says how.
    The invoice stays as it is: only one exact payment settles it."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    note = note.strip()
    if not note:
        raise ValidationError(_("Bitte beschreiben Sie, wie die Zahlung geklärt wurde."))
    if not locked.needs_attention:
        raise ValidationError(
            _("Die Zahlung über %(amount)s € vom %(date)s ist nicht zu klären.")
            % {"amount": locked.amount, "date": locked.paid_on.strftime("%d.%m.%Y")}
        )
    locked.needs_attention = False
    locked.resolved_at = timezone.now()
    locked.resolution_note = note
    locked.save(update_fields=["needs_attention", "resolved_at", "resolution_note"])
    return locked
