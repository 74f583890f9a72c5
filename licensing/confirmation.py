"""Confirming, rejecting and activating orders (R4, R5, R8): the first licence
year with each school's price, the superseded individual licences, the
activation mails. Invoicing drafts the invoice and makes the refunds on the
signals sent here (``licensing/signals.py``)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config import clock
from config.clock import date_text
from licensing import signals
from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    OutgoingMail,
    Price,
)
from licensing.outbox import buyer_recipients, mail_build, mails_queue
from licensing.selectors import prices_on
from licensing.terms import licence_year_end
from schools.billing import billing_missing_text


def order_lock(order: Order) -> Order:
    """The order's row, locked until the caller's transaction ends."""
    return Order.objects.select_for_update().get(pk=order.pk)


def activation_mail(order: Order, order_school: OrderSchool) -> OutgoingMail:
    """The activation mail of one school, not yet written: the sending task writes
    its text (``mail_delivery.activation_mail_write``), so confirming an order of
    hundreds of schools does not render hundreds of mails in the request."""
    return OutgoingMail(
        key=f"activation:{order_school.pk}:{order_school.contact_email.lower()}",
        kind=OutgoingMail.Kind.ACTIVATION,
        order=order,
        order_school=order_school,
        to=[order_school.contact_email],
    )


def _confirmable(order: Order, start: datetime.date) -> tuple[list[Licence], dict[int, Price]]:
    """The order's pending licences and the prices valid on ``start``, or the
    German reason why the order cannot be confirmed on that day."""
    if not order.can_confirm:
        raise ValidationError(
            _(
                "Bestellung %(id)s hat den Status „%(status)s“ und kann nicht bestätigt "
                "werden; bestätigt werden nur eingegangene Bestellungen."
            )
            % {"id": order.pk, "status": order.get_status_display()}
        )
    missing = billing_missing_text(order.authority)
    if missing:
        raise ValidationError(
            _(
                "Bestellung %(id)s kann nicht bestätigt werden: %(missing)s Bitte ergänzen "
                "Sie die Rechnungsdaten (Portal „Rechnungsdaten“ oder Schulträger in der "
                "Verwaltung); es wurde nichts gespeichert."
            )
            % {"id": order.pk, "missing": missing}
        )
    if start < clock.today():
        raise ValidationError(
            _(
                "Der Lizenzbeginn %(date)s liegt in der Vergangenheit. Bitte wählen Sie "
                "heute oder einen späteren Tag."
            )
            % {"date": date_text(start)}
        )
    licences = list(
        Licence.objects.filter(order=order, status=Licence.Status.PENDING).select_related(
            "school__school_type"
        )
    )
    if not licences:
        raise ValidationError(
            _("Bestellung %(id)s enthält keine Lizenzen, die bestätigt werden können.")
            % {"id": order.pk}
        )
    prices = prices_on(product=order.product, on=start)
    missing = sorted(
        {lic.school.school_type.name for lic in licences if lic.school.school_type_id not in prices}
    )
    if missing:
        raise ValidationError(
            _(
                "Für „%(product)s“ gibt es am %(date)s keinen Preis für die Schulform "
                "%(types)s. Bitte legen Sie zuerst den Preis an (Produkte → Preise); es "
                "wurde nichts gespeichert."
            )
            % {"product": order.product.name, "date": date_text(start), "types": ", ".join(missing)}
        )
    return licences, prices


def _individual_licences_supersede(
    *, order: Order, licences: list[Licence], start: datetime.date
) -> list[IndividualLicence]:
    """Mark the schools' running individual licences of the product as superseded
    by their bulk licence from ``start`` (R8)."""
    by_school = {lic.school_id: lic for lic in licences}
    individuals = list(
        IndividualLicence.objects.select_for_update().filter(
            school_id__in=list(by_school),
            product_id=order.product_id,
            status=IndividualLicence.Status.ACTIVE,
            end_date__gte=start,
        )
    )
    for individual in individuals:
        individual.status = IndividualLicence.Status.SUPERSEDED
        individual.superseded_by = by_school[individual.school_id]
        individual.superseded_on = start
    IndividualLicence.objects.bulk_update(individuals, ["status", "superseded_by", "superseded_on"])
    return individuals


@transaction.atomic
def order_confirm(*, order: Order, start_date: datetime.date | None = None, by=None) -> LicenceYear:
    """Confirm a submitted order (R4, R5, R8): the licences start on ``start_date``
    (default today; a later day may be chosen), the first licence year is created
    with each school's price valid on that day, the schools' individual licences of
    the product are superseded (invoicing makes the refunds), the draft invoice is
    created (by invoicing), and every school's contact person gets the activation
    e-mail after commit."""
    order = order_lock(order)
    start = start_date or clock.today()
    licences, prices = _confirmable(order, start)

    year = LicenceYear.objects.create(
        order=order, number=1, start_date=start, end_date=licence_year_end(start)
    )
    LicenceTerm.objects.bulk_create(
        LicenceTerm(licence=lic, year=year, net_price=prices[lic.school.school_type_id].bulk_price)
        for lic in licences
    )
    Licence.objects.filter(pk__in=[lic.pk for lic in licences]).update(status=Licence.Status.ACTIVE)
    superseded = _individual_licences_supersede(order=order, licences=licences, start=start)
    if superseded:
        signals.individual_licences_superseded.send(
            sender=IndividualLicence, licences=superseded, bulk_start=start, on=clock.today()
        )

    order.status = Order.Status.CONFIRMED
    order.confirmed_at = timezone.now()
    order.confirmed_by = by
    order.start_date = start
    order.save(update_fields=["status", "confirmed_at", "confirmed_by", "start_date"])
    signals.licence_year_started.send(sender=LicenceYear, year=year, on=clock.today())

    order_schools = list(OrderSchool.objects.filter(order=order).select_related("school"))
    mails_queue(activation_mail(order, os) for os in order_schools)
    return year


@transaction.atomic
def order_reject(*, order: Order, reason: str, by=None) -> Order:
    """Reject a submitted order; the buyer gets the reason by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Bitte geben Sie einen Ablehnungsgrund an; der Käufer erhält ihn per E-Mail.")
        )
    order = order_lock(order)
    if not order.can_reject:
        raise ValidationError(
            _(
                "Bestellung %(id)s hat den Status „%(status)s“ und kann nicht abgelehnt "
                "werden; abgelehnt werden nur eingegangene Bestellungen."
            )
            % {"id": order.pk, "status": order.get_status_display()}
        )
    order.status = Order.Status.REJECTED
    order.rejected_at = timezone.now()
    order.rejection_reason = reason
    order.save(update_fields=["status", "rejected_at", "rejection_reason"])
    Licence.objects.filter(order=order, status=Licence.Status.PENDING).update(
        status=Licence.Status.REJECTED
    )
    mails_queue(
        [
            mail_build(
                key=f"rejection:{order.pk}",
                kind=OutgoingMail.Kind.REJECTION,
                order=order,
                to=buyer_recipients(order),
                template="licensing/emails/rejection",
                context={"order": order, "reason": reason},
            )
        ]
    )
    return order


@transaction.atomic
def school_activate(*, order_school: OrderSchool, by=None) -> OrderSchool:
    """Activate one school of a confirmed order now and send its contact person the
    activation e-mail, unless that address already got one."""
    order_school = OrderSchool.objects.select_for_update().get(pk=order_school.pk)
    order = Order.objects.get(pk=order_school.order_id)
    if not order.is_running:
        raise ValidationError(
            _(
                "Die Schule %(school)s kann erst freigeschaltet werden, wenn ihre Bestellung "
                "bestätigt ist (Bestellung %(id)s: %(status)s)."
            )
            % {"school": order_school.school, "id": order.pk, "status": order.get_status_display()}
        )
    if order_school.activated_at is None:
        order_school.activated_at = timezone.now()
        order_school.save(update_fields=["activated_at"])
    mails_queue([activation_mail(order, order_school)])
    return order_school
