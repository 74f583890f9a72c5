"""The lifecycle's e-mail outbox: every lifecycle mail is written to
``OutgoingMail`` in the same transaction as the change it reports and handed to
the sending task after commit, in chunks (``licensing.tasks.send_mails_task``)."""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from config.mail import build_templated_mail
from config.steps import StepResult
from licensing.models import Order, OrderSchool, OutgoingMail
from licensing.tasks import send_mails_task

# Mails per sending task: one connection and two statements for the chunk.
MAIL_CHUNK = 50


def _send_in_chunks(mail_ids: list[int]) -> None:
    for start in range(0, len(mail_ids), MAIL_CHUNK):
        send_mails_task.delay(mail_ids[start : start + MAIL_CHUNK])


def buyer_recipients(order: Order) -> list[str]:
    """The buyer's addresses: the person who ordered and the authority's address."""
    emails: list[str] = []
    for email in (order.submitted_by.email if order.submitted_by else "", order.authority.email):
        if email and email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    return emails


def mail_build(
    *,
    key: str,
    kind: str,
    order: Order,
    to: list[str],
    template: str,
    context: dict,
    order_school: OrderSchool | None = None,
) -> OutgoingMail:
    """An unsaved outbox row with the rendered German mail. ``key`` names the thing
    the mail is about; a second mail with the same key is never stored."""
    message = build_templated_mail(to=to, template=template, context=context)
    html = next((content for content, mime in message.alternatives if mime == "text/html"), "")
    return OutgoingMail(
        key=key,
        kind=kind,
        order=order,
        order_school=order_school,
        to=list(to),
        subject=message.subject,
        body=message.body,
        html=html,
    )


def mails_queue(mails: Iterable[OutgoingMail]) -> int:
    """Store mails (a key seen before is skipped) and send them after commit."""
    mails = list(mails)
    if not mails:
        return 0
    OutgoingMail.objects.bulk_create(mails, ignore_conflicts=True)
    ids = list(
        OutgoingMail.objects.filter(key__in=[m.key for m in mails], sent_at=None).values_list(
            "pk", flat=True
        )
    )
    _send_in_chunks(ids)
    return len(ids)


def outgoing_mails_requeue(*, on: datetime.date) -> StepResult:
    """Enqueue again every mail still unsent an hour after it was written (the
    worker was down, or its retries ran out). Sending is idempotent."""
    result = StepResult()
    cutoff = timezone.now() - datetime.timedelta(hours=1)
    ids = list(
        OutgoingMail.objects.filter(sent_at=None, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    _send_in_chunks(ids)
    result.done.extend(str(mail_id) for mail_id in ids)
    return result
