"""Cancelling a running order to the end of its licence year and withdrawing the
cancellation (R7); the buyer gets a confirmation of each by e-mail."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config import clock
from config.clock import date_text
from licensing.confirmation import order_lock
from licensing.models import Licence, Order, OutgoingMail
from licensing.outbox import buyer_recipients, mail_build, mails_queue
from licensing.selectors import cancellation_effective_date


@transaction.atomic
def order_cancel(*, order: Order, by=None, on: datetime.date | None = None) -> datetime.date:
    """Cancel a running order (R7). It takes effect at the end of the licence year
    running on ``on`` (default today); on the first day of a new year that is the
    end of the new year. Returns the effective date; the buyer gets a confirmation."""
    on = on or clock.today()
    order = order_lock(order)
    if not order.is_running:
        raise ValidationError(
            _(
                "Bestellung %(id)s läuft nicht (Status „%(status)s“) und kann nicht "
                "gekündigt werden."
            )
            % {"id": order.pk, "status": order.get_status_display()}
        )
    if not order.can_cancel:
        raise ValidationError(
            _("Bestellung %(id)s ist bereits zum %(date)s gekündigt.")
            % {"id": order.pk, "date": date_text(order.cancellation_effective_on)}
        )
    effective = cancellation_effective_date(order=order, on=on)
    order.cancelled_at = timezone.now()
    order.cancelled_by = by
    order.cancellation_effective_on = effective
    order.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_effective_on"])
    Licence.objects.filter(
        order=order, status__in=[Licence.Status.PENDING, Licence.Status.ACTIVE]
    ).update(status=Licence.Status.CANCELLED)
    mails_queue(
        [
            mail_build(
                key=f"cancellation:{order.pk}:{order.cancelled_at.isoformat()}",
                kind=OutgoingMail.Kind.CANCELLATION,
                order=order,
                to=buyer_recipients(order),
                template="licensing/emails/cancellation",
                context={"order": order, "effective": effective},
            )
        ]
    )
    return effective


@transaction.atomic
def order_cancellation_withdraw(*, order: Order, by=None, on: datetime.date | None = None) -> Order:
    """Withdraw a cancellation; possible until its effective date (inclusive)."""
    on = on or clock.today()
    order = order_lock(order)
    effective = order.cancellation_effective_on
    if not order.is_cancelled:
        raise ValidationError(
            _("Bestellung %(id)s ist nicht gekündigt; es gibt nichts zurückzunehmen.")
            % {"id": order.pk}
        )
    if not order.can_withdraw_cancellation(on=on):
        raise ValidationError(
            _(
                "Die Kündigung von Bestellung %(id)s ist seit dem Ende des %(date)s wirksam "
                "und kann nicht mehr zurückgenommen werden."
            )
            % {"id": order.pk, "date": date_text(effective)}
        )
    withdrawn_at = timezone.now()
    order.cancelled_at = None
    order.cancelled_by = None
    order.cancellation_effective_on = None
    order.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_effective_on"])
    Licence.objects.filter(order=order, status=Licence.Status.CANCELLED).update(
        status=Licence.Status.ACTIVE
    )
    mails_queue(
        [
            mail_build(
                key=f"withdrawal:{order.pk}:{withdrawn_at.isoformat()}",
                kind=OutgoingMail.Kind.WITHDRAWAL,
                order=order,
                to=buyer_recipients(order),
                template="licensing/emails/withdrawal",
                context={"order": order, "effective": effective},
            )
        ]
    )
    return order
