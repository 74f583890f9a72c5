"""Delivering one stored lifecycle mail (``OutgoingMail``) exactly once; called
by the sending task (``licensing.tasks.send_mail_task``)."""

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from licensing.models import OrderSchool, OutgoingMail


@transaction.atomic
def outgoing_mail_send(*, mail_id: int) -> bool:
    """Send one stored mail unless it was sent already. The row stays locked while
    sending, so two workers never send it twice; an SMTP error rolls back and the
    mail stays unsent for the retry. Returns whether it was sent now."""
    mail = OutgoingMail.objects.select_for_update().filter(pk=mail_id).first()
    if mail is None or mail.sent_at is not None:
        return False
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.body, to=mail.to)
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    message.send()
    now = timezone.now()
    OutgoingMail.objects.filter(pk=mail.pk).update(sent_at=now, attempts=F("attempts") + 1)
    if mail.kind == OutgoingMail.Kind.ACTIVATION and mail.order_school_id:
        OrderSchool.objects.filter(pk=mail.order_school_id).update(activation_email_sent_at=now)
        OrderSchool.objects.filter(pk=mail.order_school_id, activated_at=None).update(
            activated_at=now
        )
    return True


def outgoing_mail_record_failure(*, mail_id: int, error: str) -> None:
    """Count a failed attempt and keep its error for the admin's outbox list."""
    OutgoingMail.objects.filter(pk=mail_id, sent_at=None).update(
        attempts=F("attempts") + 1, last_error=error[:2000]
    )
