"""Celery tasks of invoicing. Each takes ids, fetches the rows again and calls a
service; every one is safe to run twice."""

import datetime
import smtplib

from celery import shared_task
from django.utils import timezone

from invoicing import services

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(name="invoicing.issue_invoice", acks_late=True)
def issue_invoice(invoice_id: int, on: str | None = None) -> bool:
    """Issue one due draft (fanned out by the nightly ``issue_due_invoices``)."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return services.invoice_issue_if_due(invoice_id=invoice_id, on=day)


@shared_task(name="invoicing.issue_due_invoices")
def issue_due_invoices() -> int:
    return services.invoices_issue_due(on=timezone.localdate(), fan_out=True).count


@shared_task(name="invoicing.mark_overdue_invoices")
def mark_overdue_invoices() -> int:
    return services.invoices_mark_overdue(on=timezone.localdate()).count


@shared_task(
    name="invoicing.send_invoice_email",
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_invoice_email(invoice_id: int, resend: bool = False) -> bool:
    return services.invoice_send(invoice_id=invoice_id, resend=resend)


@shared_task(
    name="invoicing.send_payment_reminder",
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_payment_reminder(invoice_id: int) -> bool:
    return services.invoice_send_reminder(invoice_id=invoice_id)
