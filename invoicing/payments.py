"""Recording payments (R9): only one payment of exactly the gross amount settles an
invoice; partial, excess and duplicate payments are kept and flagged for staff."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.audit_bulk import audit_log_bulk
from config.money import money
from invoicing.models import Credit, Invoice, Payment


def payment_refusal(*, invoice: Invoice, amount: Decimal) -> str | None:
    """Why no payment can be recorded for ``invoice`` (German), or None."""
    if amount <= 0:
        return _("Der Betrag muss größer als 0,00 € sein.")
    if invoice.kind != Invoice.Kind.INVOICE:
        return _("Zahlungen werden nur für Rechnungen erfasst, nicht für Stornos.")
    if invoice.status == Invoice.Status.DRAFT:
        return _("Für einen Entwurf kann keine Zahlung erfasst werden.")
    if invoice.status == Invoice.Status.CANCELLED:
        return _(
            "Die Rechnung %(number)s ist storniert. Bitte erfassen Sie die Zahlung "
            "bei der neuen Rechnung."
        ) % {"number": invoice.number}
    return None


def payment_outcome(*, invoice: Invoice, amount: Decimal) -> str:
    """R9: only a single payment of exactly the gross amount settles an invoice
    (less what was carried over from the cancelled invoice it replaces)."""
    if invoice.status == Invoice.Status.PAID:
        return Payment.Outcome.DUPLICATE
    if amount == invoice.amount_open:
        return Payment.Outcome.SETTLED
    if amount < invoice.amount_open:
        return Payment.Outcome.PARTIAL
    return Payment.Outcome.EXCESS


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    paid_on: datetime.date,
    reference: str = "",
    by=None,
    bank_entry=None,
) -> Payment:
    """Record a payment received for ``invoice``. Returns the payment; its
    ``outcome`` says whether it settled the invoice."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    amount = money(Decimal(amount))
    refusal = payment_refusal(invoice=locked, amount=amount)
    if refusal:
        raise ValidationError(refusal)
    outcome = payment_outcome(invoice=locked, amount=amount)
    payment = Payment.objects.create(
        invoice=locked,
        amount=amount,
        paid_on=paid_on,
        reference=reference.strip(),
        outcome=outcome,
        needs_attention=outcome != Payment.Outcome.SETTLED,
        recorded_by=by,
        bank_entry=bank_entry,
    )
    if outcome == Payment.Outcome.SETTLED:
        locked.status = Invoice.Status.PAID
        locked.paid_at = paid_on
        locked.save(update_fields=["status", "paid_at"])
    return payment


@dataclass(frozen=True)
class PaymentItem:
    """One payment for ``payments_record_many``."""

    invoice_id: int
    amount: Decimal
    paid_on: datetime.date
    reference: str = ""
    bank_entry_id: int | None = None


@transaction.atomic
def payments_record_many(*, items: list[PaymentItem], by=None) -> list[Payment]:
    """``payment_record`` for many payments at once, with the same rules and in
    the same order (a second exact payment of one invoice is a duplicate), in a
    fixed number of queries: the invoices are locked in one, the payments
    inserted in one, the settled invoices updated in one. Any refused item
    refuses all (nothing is written)."""
    ids = sorted({item.invoice_id for item in items})
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    payments, settled = [], []
    for item in items:
        invoice = invoices[item.invoice_id]
        amount = money(Decimal(item.amount))
        refusal = payment_refusal(invoice=invoice, amount=amount)
        if refusal:
            raise ValidationError(f"{invoice.number}: {refusal}")
        outcome = payment_outcome(invoice=invoice, amount=amount)
        payments.append(
            Payment(
                invoice=invoice,
                amount=amount,
                paid_on=item.paid_on,
                reference=item.reference.strip()[:200],
                outcome=outcome,
                needs_attention=outcome != Payment.Outcome.SETTLED,
                recorded_by=by,
                bank_entry_id=item.bank_entry_id,
            )
        )
        if outcome == Payment.Outcome.SETTLED:
            changes = {"status": (invoice.status, Invoice.Status.PAID)}
            changes["paid_at"] = (invoice.paid_at, item.paid_on)
            invoice.status, invoice.paid_at = Invoice.Status.PAID, item.paid_on
            settled.append((invoice, changes))
    Payment.objects.bulk_create(payments, batch_size=1000)
    by_day = defaultdict(list)
    for invoice, _changes in settled:
        by_day[invoice.paid_at].append(invoice.pk)
    for day, ids in by_day.items():  # one update per payment day
        Invoice.objects.filter(pk__in=ids).update(status=Invoice.Status.PAID, paid_at=day)
    audit_log_bulk(created=payments, updated=settled, actor=by)
    return payments


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


@transaction.atomic
def credit_mark_paid_back(*, credit: Credit, paid_back_on: datetime.date, by=None) -> Credit:
    """Staff paid a credit (money received beyond a corrected invoice) back to the
    buyer."""
    locked = Credit.objects.select_for_update().get(pk=credit.pk)
    if not locked.can_pay_back:
        raise ValidationError(
            _("Das Guthaben aus Rechnung %(number)s ist bereits zurückgezahlt.")
            % {"number": locked.cancelled_invoice.number}
        )
    locked.status = Credit.Status.PAID_BACK
    locked.paid_back_on = paid_back_on
    locked.paid_back_by = by
    locked.save(update_fields=["status", "paid_back_on", "paid_back_by"])
    return locked
