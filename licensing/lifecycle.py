"""The licence lifecycle (R4-R8, R12): confirmation and activation, rejection,
licence years and their renewal with notice, cancellation and its withdrawal,
expiry. Writes only; every function is keyword-only and atomic.

The nightly services (``renewal_notices_send``, ``licence_years_renew``,
``orders_expire``) take the date to act on and act on everything due up to that
date. They work on state fields under ``select_for_update(skip_locked=True)``
in small transactions, so running them twice, late, or after a crash changes
nothing that was done and misses nothing.

E-mails are written to ``OutgoingMail`` in the same transaction as the change
they report and sent by a task after commit (``licensing.tasks.send_mail_task``).
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from config.mail import build_templated_mail
from invoicing import services as invoicing_services
from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    OutgoingMail,
    Price,
    Product,
)
from licensing.selectors import cancellation_effective_date, prices_on
from licensing.steps import StepResult
from licensing.terms import licence_year_end, next_year_start

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def today() -> datetime.date:
    """Today in the portal's time zone (Europe/Berlin)."""
    return timezone.localdate()


def _d(day: datetime.date) -> str:
    return date_format(day, "d.m.Y")


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    size = BATCH_SIZE
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# --- e-mail outbox -----------------------------------------------------------------


def buyer_recipients(order: Order) -> list[str]:
    """The buyer's addresses: the person who ordered and the authority's address."""
    emails: list[str] = []
    for email in (order.submitted_by.email if order.submitted_by else "", order.authority.email):
        if email and email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    return emails


def _mail(
    *,
    key: str,
    kind: str,
    order: Order,
    to: list[str],
    template: str,
    context: dict,
    order_school: OrderSchool | None = None,
) -> OutgoingMail:
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


def _queue(mails: Iterable[OutgoingMail]) -> int:
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
    _send_after_commit(ids)
    return len(ids)


def _send_after_commit(mail_ids: list[int]) -> None:
    from licensing.tasks import send_mail_task

    def enqueue() -> None:
        for mail_id in mail_ids:
            send_mail_task.delay(mail_id)

    transaction.on_commit(enqueue)


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
    OutgoingMail.objects.filter(pk=mail_id, sent_at=None).update(
        attempts=F("attempts") + 1, last_error=error[:2000]
    )


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
    if ids:
        from licensing.tasks import send_mail_task

        for mail_id in ids:
            send_mail_task.delay(mail_id)
            result.done.append(str(mail_id))
    return result


def _activation_mail(order: Order, order_school: OrderSchool) -> OutgoingMail:
    return _mail(
        key=f"activation:{order_school.pk}:{order_school.contact_email.lower()}",
        kind=OutgoingMail.Kind.ACTIVATION,
        order=order,
        order_school=order_school,
        to=[order_school.contact_email],
        template="licensing/emails/activation",
        context={
            "order": order,
            "order_school": order_school,
            "start_date": order.start_date,
            "starts_later": order.start_date > today(),
        },
    )


# --- confirmation, rejection, activation ----------------------------------------


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_confirm(*, order: Order, start_date: datetime.date | None = None, by=None) -> LicenceYear:
    """Confirm a submitted order (R4, R5, R8): the licences start on ``start_date``
    (default today; a later day may be chosen), the first licence year is created
    with each school's price valid on that day, the schools' individual licences of
    the product are superseded, the draft invoice is created, and every school's
    contact person gets the activation e-mail after commit."""
    order = _lock_order(order)
    if order.status != Order.Status.SUBMITTED:
        raise ValidationError(
            _(
                "Bestellung %(id)s hat den Status „%(status)s“ und kann nicht bestätigt "
                "werden; bestätigt werden nur eingegangene Bestellungen."
            )
            % {"id": order.pk, "status": order.get_status_display()}
        )
    start = start_date or today()
    if start < today():
        raise ValidationError(
            _(
                "Der Lizenzbeginn %(date)s liegt in der Vergangenheit. Bitte wählen Sie "
                "heute oder einen späteren Tag."
            )
            % {"date": _d(start)}
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
            % {"product": order.product.name, "date": _d(start), "types": ", ".join(missing)}
        )

    year = LicenceYear.objects.create(
        order=order, number=1, start_date=start, end_date=licence_year_end(start)
    )
    LicenceTerm.objects.bulk_create(
        LicenceTerm(licence=lic, year=year, net_price=prices[lic.school.school_type_id].bulk_price)
        for lic in licences
    )
    Licence.objects.filter(pk__in=[lic.pk for lic in licences]).update(status=Licence.Status.ACTIVE)

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
    for individual in individuals:
        invoicing_services.refund_create_for_superseded(
            individual_licence=individual, bulk_start=start, on=today()
        )

    order.status = Order.Status.CONFIRMED
    order.confirmed_at = timezone.now()
    order.confirmed_by = by
    order.start_date = start
    order.save(update_fields=["status", "confirmed_at", "confirmed_by", "start_date"])

    invoicing_services.invoice_create_draft(licence_year=year, on=today())

    order_schools = list(OrderSchool.objects.filter(order=order).select_related("school"))
    _queue(_activation_mail(order, os) for os in order_schools)
    return year


@transaction.atomic
def order_reject(*, order: Order, reason: str, by=None) -> Order:
    """Reject a submitted order; the buyer gets the reason by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Bitte geben Sie einen Ablehnungsgrund an; der Käufer erhält ihn per E-Mail.")
        )
    order = _lock_order(order)
    if order.status != Order.Status.SUBMITTED:
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
    _queue(
        [
            _mail(
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
    if order.status != Order.Status.CONFIRMED:
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
    _queue([_activation_mail(order, order_school)])
    return order_school


# --- cancellation ----------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order: Order, by=None, on: datetime.date | None = None) -> datetime.date:
    """Cancel a running order (R7). It takes effect at the end of the licence year
    running on ``on`` (default today); on the first day of a new year that is the
    end of the new year. Returns the effective date; the buyer gets a confirmation."""
    on = on or today()
    order = _lock_order(order)
    if order.status != Order.Status.CONFIRMED:
        raise ValidationError(
            _(
                "Bestellung %(id)s läuft nicht (Status „%(status)s“) und kann nicht "
                "gekündigt werden."
            )
            % {"id": order.pk, "status": order.get_status_display()}
        )
    if order.cancellation_effective_on:
        raise ValidationError(
            _("Bestellung %(id)s ist bereits zum %(date)s gekündigt.")
            % {"id": order.pk, "date": _d(order.cancellation_effective_on)}
        )
    effective = cancellation_effective_date(order=order, on=on)
    order.cancelled_at = timezone.now()
    order.cancelled_by = by
    order.cancellation_effective_on = effective
    order.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_effective_on"])
    Licence.objects.filter(
        order=order, status__in=[Licence.Status.PENDING, Licence.Status.ACTIVE]
    ).update(status=Licence.Status.CANCELLED)
    _queue(
        [
            _mail(
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
    on = on or today()
    order = _lock_order(order)
    effective = order.cancellation_effective_on
    if order.status != Order.Status.CONFIRMED or effective is None:
        raise ValidationError(
            _("Bestellung %(id)s ist nicht gekündigt; es gibt nichts zurückzunehmen.")
            % {"id": order.pk}
        )
    if on > effective:
        raise ValidationError(
            _(
                "Die Kündigung von Bestellung %(id)s ist seit dem Ende des %(date)s wirksam "
                "und kann nicht mehr zurückgenommen werden."
            )
            % {"id": order.pk, "date": _d(effective)}
        )
    withdrawn_at = timezone.now()
    order.cancelled_at = None
    order.cancelled_by = None
    order.cancellation_effective_on = None
    order.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_effective_on"])
    Licence.objects.filter(order=order, status=Licence.Status.CANCELLED).update(
        status=Licence.Status.ACTIVE
    )
    _queue(
        [
            _mail(
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


# --- nightly: notices, renewals, expiries -------------------------------------------


class _PriceCache:
    """Prices per (product, day), fetched once per run."""

    def __init__(self) -> None:
        self._prices: dict[tuple[int, datetime.date], dict[int, Price]] = {}

    def get(self, *, product_id: int, on: datetime.date) -> dict[int, Price]:
        key = (product_id, on)
        if key not in self._prices:
            self._prices[key] = prices_on(product=Product(pk=product_id), on=on)
        return self._prices[key]


def _not_cancelled_before_end() -> Q:
    return Q(order__cancellation_effective_on=None) | Q(
        order__cancellation_effective_on__gt=F("end_date")
    )


def renewal_notices_send(*, on: datetime.date) -> StepResult:
    """Tell the buyer of every order whose year ends within RENEWAL_NOTICE_DAYS
    from ``on`` (and is not cancelled to that end) about the renewal: one e-mail
    per order and year, marked on the year so it never goes twice (R6)."""
    result = StepResult()
    last_end = on + datetime.timedelta(days=settings.RENEWAL_NOTICE_DAYS)
    ids = list(
        LicenceYear.objects.filter(
            renewal_notice_sent_at=None,
            end_date__gte=on,
            end_date__lte=last_end,
            order__status=Order.Status.CONFIRMED,
        )
        .filter(_not_cancelled_before_end())
        .order_by("end_date", "pk")
        .values_list("pk", flat=True)
    )
    prices = _PriceCache()
    for batch in _chunks(ids):
        with transaction.atomic():
            _renewal_notice_batch(batch, prices, result)
    return result


def _renewal_notice_batch(batch: list[int], prices: _PriceCache, result: StepResult) -> None:
    years = list(
        LicenceYear.objects.select_for_update(skip_locked=True)
        .filter(pk__in=batch, renewal_notice_sent_at=None)
        .order_by("end_date", "pk")
    )
    if not years:
        return
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in=[y.order_id for y in years]).select_related(
            "authority", "product", "submitted_by"
        )
    }
    licences_by_order: dict[int, list[Licence]] = defaultdict(list)
    for lic in (
        Licence.objects.filter(order_id__in=list(orders), status=Licence.Status.ACTIVE)
        .select_related("school__school_type")
        .order_by("school__school_number")
    ):
        licences_by_order[lic.order_id].append(lic)

    mails, noticed = [], []
    for year in years:
        order = orders[year.order_id]
        new_start = next_year_start(year.end_date)
        valid = prices.get(product_id=order.product_id, on=new_start)
        licences = licences_by_order[order.pk]
        missing = sorted(
            {
                lic.school.school_type.name
                for lic in licences
                if lic.school.school_type_id not in valid
            }
        )
        label = _("Bestellung %(id)s, Jahr %(number)s") % {"id": order.pk, "number": year.number}
        if missing:
            result.fail(
                step="notices",
                item=label,
                error=_("Kein Preis am %(date)s für die Schulform %(types)s.")
                % {"date": _d(new_start), "types": ", ".join(missing)},
            )
            continue
        rows = [(lic.school, valid[lic.school.school_type_id].bulk_price) for lic in licences]
        mails.append(
            _mail(
                key=f"renewal-notice:{year.pk}",
                kind=OutgoingMail.Kind.RENEWAL_NOTICE,
                order=order,
                to=buyer_recipients(order),
                template="licensing/emails/renewal_notice",
                context={
                    "order": order,
                    "year": year,
                    "new_start": new_start,
                    "new_end": licence_year_end(new_start),
                    "rows": rows,
                    "total": sum((price for _school, price in rows), Decimal("0.00")),
                    "cancel_until": year.end_date,
                },
            )
        )
        noticed.append(year.pk)
        result.done.append(label)
    LicenceYear.objects.filter(pk__in=noticed).update(renewal_notice_sent_at=timezone.now())
    _queue(mails)


def licence_years_renew(*, on: datetime.date) -> StepResult:
    """Give every running order whose last year ended before ``on`` (so the next
    year has begun by ``on``) and that is not cancelled to that end its next year,
    in order, as many as have begun (catch-up after a gap). Each new year gets the
    price valid on its first day and a draft invoice (R6)."""
    result = StepResult()
    ids = list(
        Order.objects.filter(status=Order.Status.CONFIRMED)
        .annotate(last_end=Max("years__end_date"))
        .filter(last_end__lt=on)
        .filter(Q(cancellation_effective_on=None) | Q(cancellation_effective_on__gt=F("last_end")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    prices = _PriceCache()
    for order_id in ids:
        while True:
            try:
                with transaction.atomic():
                    done = _renew_once(order_id=order_id, on=on, prices=prices)
            except Exception as exc:  # one order's failure must not stop the others
                logger.exception("renewal of order %s failed", order_id)
                result.fail(
                    step="renewals",
                    item=_("Bestellung %(id)s") % {"id": order_id},
                    error=str(exc.messages[0] if isinstance(exc, ValidationError) else exc),
                )
                break
            if done is None:
                break
            result.done.append(done)
    return result


def _renew_once(*, order_id: int, on: datetime.date, prices: _PriceCache) -> str | None:
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=order_id, status=Order.Status.CONFIRMED)
        .first()
    )
    if order is None:
        return None
    last = LicenceYear.objects.filter(order_id=order.pk).order_by("-number").first()
    if last is None or last.end_date >= on:
        return None
    if order.cancellation_effective_on and order.cancellation_effective_on <= last.end_date:
        return None
    start = next_year_start(last.end_date)
    licences = list(
        Licence.objects.filter(
            order_id=order.pk, status__in=[Licence.Status.ACTIVE, Licence.Status.CANCELLED]
        ).values_list("pk", "school__school_type_id", "school__school_type__name")
    )
    valid = prices.get(product_id=order.product_id, on=start)
    missing = sorted({name for _pk, type_id, name in licences if type_id not in valid})
    if missing:
        raise ValidationError(
            _("Kein Preis am %(date)s für die Schulform %(types)s; nicht verlängert.")
            % {"date": _d(start), "types": ", ".join(missing)}
        )
    year = LicenceYear.objects.create(
        order=order, number=last.number + 1, start_date=start, end_date=licence_year_end(start)
    )
    LicenceTerm.objects.bulk_create(
        LicenceTerm(licence_id=pk, year=year, net_price=valid[type_id].bulk_price)
        for pk, type_id, _name in licences
    )
    invoicing_services.invoice_create_draft(licence_year=year, on=on)
    return _("Bestellung %(id)s: Jahr %(number)s %(start)s–%(end)s, %(count)s Lizenzen") % {
        "id": order.pk,
        "number": year.number,
        "start": _d(year.start_date),
        "end": _d(year.end_date),
        "count": len(licences),
    }


def orders_expire(*, on: datetime.date) -> StepResult:
    """End every cancelled order whose effective date lies before ``on``: its
    licences expire on that date and the order shows as ended (R7)."""
    result = StepResult()
    ids = list(
        Order.objects.filter(
            status=Order.Status.CONFIRMED, cancellation_effective_on__lt=on
        ).values_list("pk", flat=True)
    )
    for batch in _chunks(ids):
        with transaction.atomic():
            orders = list(
                Order.objects.select_for_update(skip_locked=True).filter(
                    pk__in=batch, status=Order.Status.CONFIRMED, cancellation_effective_on__lt=on
                )
            )
            by_date: dict[datetime.date, list[int]] = defaultdict(list)
            for order in orders:
                by_date[order.cancellation_effective_on].append(order.pk)
            for ended_on, order_ids in by_date.items():
                Licence.objects.filter(order_id__in=order_ids, status__in=Licence.RUNNING).update(
                    status=Licence.Status.EXPIRED, ended_on=ended_on
                )
                Order.objects.filter(pk__in=order_ids).update(
                    status=Order.Status.ENDED, ended_on=ended_on
                )
            result.done.extend(
                _("Bestellung %(id)s: beendet zum %(date)s")
                % {"id": o.pk, "date": _d(o.cancellation_effective_on)}
                for o in orders
            )
    return result
