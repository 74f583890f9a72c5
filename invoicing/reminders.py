"""Overdue invoices (R9): the nightly run marks issued, unpaid invoices past their
due date and has the one friendly reminder sent (``sending.py``)."""

import datetime

from django.db import transaction

from config.steps import StepResult
from invoicing.models import Invoice
from invoicing.tasks import send_payment_reminder


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
            send_payment_reminder.delay(invoice_id)
    return StepResult(done=marked)
