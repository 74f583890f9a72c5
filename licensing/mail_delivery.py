"""Delivering stored lifecycle mails (``OutgoingMail``) exactly once, one at a
time or in batches; called by the sending tasks (``licensing.tasks``)."""

from dataclasses import dataclass, field

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from config import clock
from config.mail import build_templated_mail
from licensing.models import OrderSchool, OutgoingMail


def activation_mail_render(mail: OutgoingMail) -> None:
    """Write subject and text of an activation mail stored without them (the
    confirmation leaves that to the sending task); stored with the sending."""
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
    mail.subject = message.subject
    mail.body = message.body
    mail.html = next((c for c, mime in message.alternatives if mime == "text/html"), "")


@transaction.atomic
def outgoing_mail_send(*, mail_id: int, connection=None) -> bool:
    """Send one stored mail unless it was sent already. The row stays locked while
    sending, so two workers never send it twice; an SMTP error rolls back and the
    mail stays unsent for the retry. Returns whether it was sent now."""
    mail = (
        OutgoingMail.objects.select_for_update(of=("self",))
        .select_related("order__authority", "order__product", "order_school__school")
        .filter(pk=mail_id)
        .first()
    )
    if mail is None or mail.sent_at is not None:
        return False
    written = {}
    if not mail.body and mail.kind == OutgoingMail.Kind.ACTIVATION:
        activation_mail_render(mail)
        written = {"subject": mail.subject, "body": mail.body, "html": mail.html}
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.body, to=mail.to, connection=connection
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    message.send()
    now = timezone.now()
    OutgoingMail.objects.filter(pk=mail.pk).update(
        sent_at=now, attempts=F("attempts") + 1, **written
    )
    if mail.kind == OutgoingMail.Kind.ACTIVATION and mail.order_school_id:
        OrderSchool.objects.filter(pk=mail.order_school_id).update(
            activation_email_sent_at=now,
            activated_at=Coalesce("activated_at", Value(now, output_field=DateTimeField())),
        )
    return True


def outgoing_mail_record_failure(*, mail_id: int, error: str) -> None:
    """Count a failed attempt and keep its error for the admin's outbox list."""
    OutgoingMail.objects.filter(pk=mail_id, sent_at=None).update(
        attempts=F("attempts") + 1, last_error=error[:2000]
    )


@dataclass
class BatchSent:
    sent: int
    unsent: list[int] = field(default_factory=list)  # not tried because of ``error``
    error: Exception | None = None


@transaction.atomic
def outgoing_mails_send(*, mail_ids: list[int], connection) -> BatchSent:
    """Send a batch of stored mails (a large order's activation mails) over one
    connection: locked together, written and sent one after the other, marked
    sent together. A failing mail stops the batch; the mails sent before it are
    still marked sent, it and the rest are returned unsent with the error."""
    mails = list(
        OutgoingMail.objects.select_for_update(of=("self",))
        .select_related("order__authority", "order__product", "order_school__school")
        .filter(pk__in=mail_ids, sent_at=None)
        .order_by("pk")
    )
    done, rendered, error = [], [], None
    for index, mail in enumerate(mails):
        try:
            if not mail.body and mail.kind == OutgoingMail.Kind.ACTIVATION:
                activation_mail_render(mail)
                rendered.append(mail)
            message = EmailMultiAlternatives(
                subject=mail.subject, body=mail.body, to=mail.to, connection=connection
            )
            if mail.html:
                message.attach_alternative(mail.html, "text/html")
            message.send()
        except Exception as exc:  # noqa: BLE001  (handed to the task, which decides)
            error = exc
            unsent = [m.pk for m in mails[index:]]
            break
        done.append(mail)
    else:
        unsent = []
    _mark_sent(done, [m for m in rendered if m in done])
    return BatchSent(sent=len(done), unsent=unsent, error=error)


def _mark_sent(mails: list[OutgoingMail], rendered: list[OutgoingMail]) -> None:
    now = timezone.now()
    OutgoingMail.objects.bulk_update(rendered, ["subject", "body", "html"])
    OutgoingMail.objects.filter(pk__in=[m.pk for m in mails]).update(
        sent_at=now, attempts=F("attempts") + 1
    )
    activated = [
        m.order_school_id
        for m in mails
        if m.kind == OutgoingMail.Kind.ACTIVATION and m.order_school_id
    ]
    OrderSchool.objects.filter(pk__in=activated).update(
        activation_email_sent_at=now,
        activated_at=Coalesce("activated_at", Value(now, output_field=DateTimeField())),
    )
