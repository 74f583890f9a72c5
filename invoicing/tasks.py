"""Celery tasks of invoicing: making the documents of a chunk of issued invoices
(the issue day's work, shared by all workers), the rule check of a chunk of
drafts ahead of their issue day, sending an issued document, the
payment reminders and the refund notice to the school. Each takes ids, fetches
the rows again and calls a service in ``issue_documents.py`` or ``sending.py``;
every one is safe to run twice and is enqueued after commit."""

import datetime
import smtplib

from celery import shared_task

from config.tasks import TransactionAwareTask
from invoicing import issue_documents, precheck, sending

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


@shared_task(base=TransactionAwareTask, name="invoicing.make_invoice_documents", acks_late=True)
def make_invoice_documents(invoice_ids: list[int]) -> int:
    return issue_documents.invoices_make_documents(invoice_ids=invoice_ids)


@shared_task(base=TransactionAwareTask, name="invoicing.precheck_drafts", acks_late=True)
def precheck_drafts(invoice_ids: list[int], on: str) -> int:
    return precheck.drafts_precheck(invoice_ids=invoice_ids, on=datetime.date.fromisoformat(on))


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
