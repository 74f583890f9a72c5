"""Celery tasks of the licence lifecycle. Thin: they take an id and call a
service. The nightly run is a task of the portal (``portal/tasks.py``)."""

import smtplib
import socket

from celery import shared_task
from django.core.mail import get_connection

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


@shared_task(base=TransactionAwareTask, name="licensing.send_mails")
def send_mails_task(mail_ids: list[int]) -> int:
    """Send a batch of stored mails over one mail-server connection (a large
    order's activation mails). After a transient failure the failed mail and the
    rest go to ``send_mail_task`` one by one, with its retries; any other error is
    raised once the mails sent before it are marked sent. Returns how many were
    sent now."""
    with get_connection() as connection:
        result = outgoing_mails_send(mail_ids=mail_ids, connection=connection)
    if result.error is None:
        return result.sent
    if not isinstance(result.error, TRANSIENT_MAIL_ERRORS):
        raise result.error
    failed = result.error
    outgoing_mail_record_failure(
        mail_id=result.unsent[0], error=f"{type(failed).__name__}: {failed}"
    )
    for mail_id in result.unsent:
        send_mail_task.apply_async((mail_id,), countdown=mail_retry_countdown(0))
    return result.sent
