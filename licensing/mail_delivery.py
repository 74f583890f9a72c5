"""Delivering stored lifecycle mails (``OutgoingMail``) exactly once: one mail
(task ``licensing.tasks.send_mail_task``, with retries) or a chunk of them over
one connection (``send_mails_task``, the nightly notices)."""

import logging

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config import clock
from config.mail import build_templated_mail
from licensing.models import OrderSchool, OutgoingMail

logger = logging.getLogger(__name__)
WITH_CONTEXT = ("order__authority", "order__product", "order_school__school")


def activation_mail_write(mail: OutgoingMail) -> None:
    """Write and keep subject and text of an activation mail stored without them:
    confirming an order of hundreds of schools leaves that to the sending task."""
    if mail.body or mail.kind != OutgoingMail.Kind.ACTIVATION:
        return
    order, order_school = mail.order, mail.order_school
    message = build_templated_mail(
        to=mail.to,
        template="licensing/emails/activation",
        context={
            "order": order,
            "order_school": order_school,
            "start_date": order.start_date,
            "starts_later": order.start_date > clock.today(),
        },
    )
    mail.subject, mail.body = message.subject, message.body
    mail.html = next((c for c, mime in message.alternatives if mime == "text/html"), "")
    OutgoingMail.objects.filter(pk=mail.pk).update(
        subject=mail.subject, body=mail.body, html=mail.html
    )


@transaction.atomic
def outgoing_mail_send(*, mail_id: int) -> bool:
    """Send one stored mail unless it was sent already. The row stays locked while
    sending, so two workers never send it twice; an SMTP error rolls back and the
    mail stays unsent for the retry. Returns whether it was sent now."""
    mail = (
        OutgoingMail.objects.select_for_update(of=("self",))
        .select_related(*WITH_CONTEXT)
        .filter(pk=mail_id)
        .first()
    )
    if mail is None or mail.sent_at is not None:
        return False
    activation_mail_write(mail)
    _message(mail).send()
    _mark_sent([mail])
    return True


def _message(mail: OutgoingMail, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.body, to=mail.to, connection=connection
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


def _mark_sent(mails: list[OutgoingMail]) -> None:
    now = timezone.now()
    OutgoingMail.objects.filter(pk__in=[m.pk for m in mails]).update(
        sent_at=now, attempts=F("attempts") + 1
    )
    schools = [
        m.order_school_id
        for m in mails
        if m.kind == OutgoingMail.Kind.ACTIVATION and m.order_school_id
    ]
    if schools:
        OrderSchool.objects.filter(pk__in=schools).update(activation_email_sent_at=now)
        OrderSchool.objects.filter(pk__in=schools, activated_at=None).update(activated_at=now)


@transaction.atomic
def outgoing_mails_send(*, mail_ids: list[int]) -> list[int]:
    """Send a chunk of stored mails over one connection, each unless it was sent
    already or another worker holds it. At the first error the mails sent so far
    are marked sent and the rest are returned, for the one-mail task and its
    retries; otherwise returns []."""
    mails = list(
        OutgoingMail.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(*WITH_CONTEXT)
        .filter(pk__in=mail_ids, sent_at=None)
        .order_by("pk")
    )
    sent: list[OutgoingMail] = []
    rest: list[int] = []
    try:
        with get_connection() as connection:
            for mail in mails:
                activation_mail_write(mail)
                _message(mail, connection).send()
                sent.append(mail)
    except Exception as exc:
        failed = mails[len(sent)].pk
        logger.exception("mail %s not sent; sent again one by one", failed)
        outgoing_mail_record_failure(mail_id=failed, error=f"{type(exc).__name__}: {exc}")
        rest = [m.pk for m in mails[len(sent) :]]
    _mark_sent(sent)
    return rest


def outgoing_mail_record_failure(*, mail_id: int, error: str) -> None:
    """Count a failed attempt and keep its error for the admin's outbox list."""
    OutgoingMail.objects.filter(pk=mail_id, sent_at=None).update(
        attempts=F("attempts") + 1, last_error=error[:2000]
    )
