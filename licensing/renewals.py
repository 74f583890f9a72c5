"""The nightly lifecycle steps (R6, R7): renewal notices, renewals into the next
licence year, and the expiry of cancelled orders. Each takes the day to act on and
acts on everything due up to that day, on state fields under
``select_for_update(skip_locked=True)`` in small transactions, so running it twice,
late, or after a crash changes nothing that was done and misses nothing. Each
returns a ``StepResult`` for the nightly run (``portal/nightly.py``)."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.clock import date_text
from config.steps import StepResult
from licensing import renewal_bulk, signals
from licensing.models import Licence, LicenceTerm, LicenceYear, Order, OutgoingMail, Price, Product
from licensing.outbox import buyer_recipients, mail_build, mails_queue
from licensing.selectors import prices_on
from licensing.terms import licence_year_end, next_year_start

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    size = BATCH_SIZE
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


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
        # Only the order's last year: a year already followed by the next one was
        # renewed, and a late re-run of an old date must not announce it again.
        .exclude(
            Exists(
                LicenceYear.objects.filter(order=OuterRef("order"), number__gt=OuterRef("number"))
            )
        )
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
                % {"date": date_text(new_start), "types": ", ".join(missing)},
            )
            continue
        rows = [(lic.school, valid[lic.school.school_type_id].bulk_price) for lic in licences]
        mails.append(
            mail_build(
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
    mails_queue(mails)


def licence_years_renew(*, on: datetime.date) -> StepResult:
    """Give every running order whose last year ended before ``on`` (so the next
    year has begun by ``on``) and that is not cancelled to that end its next year,
    in order, as many as have begun (catch-up after a gap). Each new year gets the
    price valid on its first day and a draft invoice (R6).

    Orders are renewed set-based, ``BATCH_SIZE`` at a time (years, terms, drafts
    and their lines in a few bulk inserts, see ``renewal_bulk.py``); a batch that
    fails is rolled back and its orders renewed one by one, so that one order's
    failure is recorded and the others still renew."""
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
    for batch in _chunks(ids):
        try:
            with transaction.atomic():
                part = renewal_bulk.orders_renew(batch, on=on, prices=prices.get)
        except Exception:  # renew the batch's orders one by one to find the culprit
            logger.exception("set-based renewal failed; renewing the batch order by order")
            licence_years_renew_each(batch, on=on, prices=prices, result=result)
            continue
        result.done.extend(part.done)
        result.failed.extend(part.failed)
    return result


def licence_years_renew_each(
    order_ids: list[int], *, on: datetime.date, prices: _PriceCache, result: StepResult
) -> None:
    """The per-order path: each order in its own transaction, each year on its own
    (the fallback of a failed batch, and the reference the set-based path is
    tested against)."""
    for order_id in order_ids:
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
        raise ValidationError(renewal_bulk.no_price_message(start=start, missing=missing))
    year = LicenceYear.objects.create(
        order=order, number=last.number + 1, start_date=start, end_date=licence_year_end(start)
    )
    LicenceTerm.objects.bulk_create(
        LicenceTerm(licence_id=pk, year=year, net_price=valid[type_id].bulk_price)
        for pk, type_id, _name in licences
    )
    signals.licence_year_started.send(sender=LicenceYear, year=year, on=on)
    return renewal_bulk.renewed_label(year, count=len(licences))


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
                % {"id": o.pk, "date": date_text(o.cancellation_effective_on)}
                for o in orders
            )
    return result
