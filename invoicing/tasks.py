"""Celery tasks of invoicing: sending an issued document, the payment reminders
and the refund notice to the school. Each takes an id, fetches the row again and
calls a service in ``sending.py``; every one is safe to run twice and is enqueued after commit."""

import smtplib

from celery import shared_task

from config.tasks import TransactionAwareTask
from invoicing import sending

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    base=TransactionAwareTask,
    name="invoicing.send_invoice_email",
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_invoice_email(invoice_id: int, resend: bool = False) -> bool:
    return sending.invoice_send(invoice_id=invoice_id, resend=resend)


@shared_task(
    base=TransactionAwareTask,
    name="invoicing.send_payment_reminder",
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_payment_reminder(invoice_id: int, level: int = 1) -> bool:
    return sending.invoice_send_reminder(invoice_id=invoice_id, level=level)


@shared_task(
    base=TransactionAwareTask,
    name="invoicing.send_refund_notice",
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_refund_notice(refund_id: int) -> bool:
    return sending.refund_notice_send(refund_id=refund_id)
