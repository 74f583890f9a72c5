"""Overdue invoices (R9): the nightly run marks issued, unpaid invoices past their
due date and has the first friendly reminder sent; a configurable number of days
later (``INVOICE_SECOND_REMINDER_DAYS``) the second and last one. After that the
invoice is listed for staff (``selectors.invoices_after_last_reminder``): public
buyers are never handed to debt collection automatically."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.steps import StepResult
from invoicing.models import Invoice
from invoicing.tasks import send_payment_reminder


def overdue_since(invoice: Invoice) -> datetime.date:
    """An invoice is overdue from the day after its due date, however late the
    nightly run that notices it."""
    return invoice.due_date + datetime.timedelta(days=1)


def invoices_mark_overdue(*, on: datetime.date) -> StepResult:
    """Nightly: issued, unpaid invoices past their due date are marked overdue and
    the buyer gets the first friendly reminder. The result names the invoices
    newly marked."""
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
                invoice.overdue_since = overdue_since(invoice)
                invoice.save(update_fields=["overdue_since"])
                marked.append(invoice.number)
            send_payment_reminder.delay(invoice_id)
    return StepResult(done=marked)


def second_reminder_cutoff(*, on: datetime.date) -> datetime.datetime:
    """First reminders sent before this moment are due for the second one on
    ``on``: sent on a day at least ``INVOICE_SECOND_REMINDER_DAYS`` before it."""
    last_day = on - datetime.timedelta(days=settings.INVOICE_SECOND_REMINDER_DAYS)
    return timezone.make_aware(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    )


def invoices_send_second_reminder(*, on: datetime.date) -> StepResult:
    """Nightly: invoices still unpaid ``INVOICE_SECOND_REMINDER_DAYS`` days after the
    first reminder get the second (last) one. The result names them."""
    due = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
        reminder_sent_at__lt=second_reminder_cutoff(on=on),
        second_reminder_sent_at__isnull=True,
    ).values_list("pk", "number")
    numbers = []
    for invoice_id, number in list(due):
        send_payment_reminder.delay(invoice_id, level=2)
        numbers.append(number)
    return StepResult(done=numbers)
