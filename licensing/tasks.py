"""Celery tasks of the licence lifecycle. Thin: they take an id and call a
service. The nightly run is a task of the portal (``portal/tasks.py``)."""

import smtplib
import socket

from celery import shared_task

from config.tasks import TransactionAwareTask
from licensing.mail_delivery import (
    outgoing_mail_record_failure,
    outgoing_mail_send,
    outgoing_mails_send,
)

# Only transient errors of the mail server or the network are retried.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, socket.gaierror)
MAIL_MAX_RETRIES = 6
MAIL_BACKOFF_MAX_SECONDS = 30 * 60


def mail_retry_countdown(retries: int) -> int:
    """60 s, 120 s, 240 s, ... capped at 30 minutes."""
    return min(60 * 2**retries, MAIL_BACKOFF_MAX_SECONDS)


@shared_task(
    bind=True, base=TransactionAwareTask, name="licensing.send_mail", max_retries=MAIL_MAX_RETRIES
)
def send_mail_task(self, mail_id: int) -> bool:
    try:
        return outgoing_mail_send(mail_id=mail_id)
    except TRANSIENT_MAIL_ERRORS as exc:
        outgoing_mail_record_failure(mail_id=mail_id, error=f"{type(exc).__name__}: {exc}")
        raise self.retry(exc=exc, countdown=mail_retry_countdown(self.request.retries)) from exc


@shared_task(base=TransactionAwareTask, name="licensing.send_mails", acks_late=True)
def send_mails_task(mail_ids: list[int]) -> int:
    """A chunk of mails over one connection; what fails goes to ``send_mail_task``."""
    rest = outgoing_mails_send(mail_ids=mail_ids)
    for mail_id in rest:
        send_mail_task.delay(mail_id)
    return len(mail_ids) - len(rest)
