"""Set-based renewals (R6) for the nightly run: one batch of orders gets its new
licence years, their licence terms and (through the ``licence_years_started``
signal) their draft invoices in a few bulk inserts made from the rows already in
memory, with one audit entry per row written in bulk as well. Called by
``renewals.licence_years_renew`` inside a transaction, which renews the batch's
orders one by one instead when this fails."""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from config.audit_bulk import NIGHTLY_RUN, audit_log_bulk
from config.clock import date_text
from config.steps import StepResult
from licensing import signals
from licensing.models import Licence, LicenceTerm, LicenceYear, Order, Price
from licensing.terms import licence_year_end, next_year_start

PriceLookup = Callable[..., dict[int, Price]]
TERM_BATCH = 2000


@dataclass
class _Renewal:
    order: Order
    number: int
    start: datetime.date
    end: datetime.date
    prices: dict[int, Price]


def no_price_message(*, start: datetime.date, missing: list[str]) -> str:
    return _("Kein Preis am %(date)s für die Schulform %(types)s; nicht verlängert.") % {
        "date": date_text(start),
        "types": ", ".join(missing),
    }


def renewed_label(year: LicenceYear, *, count: int) -> str:
    return _("Bestellung %(id)s: Jahr %(number)s %(start)s–%(end)s, %(count)s Lizenzen") % {
        "id": year.order_id,
        "number": year.number,
        "start": date_text(year.start_date),
        "end": date_text(year.end_date),
        "count": count,
    }


def _orders_locked(order_ids: list[int]) -> list[Order]:
    """The batch's running orders (skipping any another run holds), each with its
    last year's number and end."""
    last = LicenceYear.objects.filter(order_id=OuterRef("pk")).order_by("-number")
    return list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk__in=order_ids, status=Order.Status.CONFIRMED)
        .annotate(
            last_number=Subquery(last.values("number")[:1]),
            last_end=Subquery(last.values("end_date")[:1]),
        )
        .order_by("pk")
    )


def _licences_by_order(orders: list[Order]) -> dict[int, list[Licence]]:
    """The licences that renew (active or cancelled to the year's end), with the
    school and product their terms and draft lines need, by school number."""
    by_order: dict[int, list[Licence]] = defaultdict(list)
    licences = (
        Licence.objects.filter(
            order_id__in=[o.pk for o in orders],
            status__in=[Licence.Status.ACTIVE, Licence.Status.CANCELLED],
        )
        .select_related("school__school_type", "product")
        .order_by("school__school_number", "pk")
    )
    for licence in licences:
        by_order[licence.order_id].append(licence)
    return by_order


def _plan(
    orders: list[Order],
    licences: dict[int, list[Licence]],
    *,
    on: datetime.date,
    prices: PriceLookup,
    result: StepResult,
) -> list[_Renewal]:
    """Every year that has begun by ``on`` for each order, in order; an order
    without a price for one of its school types stops there (recorded)."""
    plans: list[_Renewal] = []
    for order in orders:
        number, end = order.last_number, order.last_end
        while number is not None and end < on:
            if order.cancellation_effective_on and order.cancellation_effective_on <= end:
                break
            start = next_year_start(end)
            valid = prices(product_id=order.product_id, on=start)
            missing = sorted(
                {
                    lic.school.school_type.name
                    for lic in licences[order.pk]
                    if lic.school.school_type_id not in valid
                }
            )
            if missing:
                result.fail(
                    step="renewals",
                    item=_("Bestellung %(id)s") % {"id": order.pk},
                    error=no_price_message(start=start, missing=missing),
                )
                break
            number, end = number + 1, licence_year_end(start)
            plans.append(_Renewal(order, number, start, end, valid))
    return plans


def orders_renew(order_ids: list[int], *, on: datetime.date, prices: PriceLookup) -> StepResult:
    """Renew the given orders' years that have begun by ``on`` (see
    ``renewals.licence_years_renew``). Runs in the caller's transaction."""
    result = StepResult()
    orders = _orders_locked(order_ids)
    licences = _licences_by_order(orders)
    plans = _plan(orders, licences, on=on, prices=prices, result=result)
    if not plans:
        return result
    years = LicenceYear.objects.bulk_create(
        LicenceYear(order=p.order, number=p.number, start_date=p.start, end_date=p.end)
        for p in plans
    )
    terms = [
        LicenceTerm(
            licence=lic, year=year, net_price=plan.prices[lic.school.school_type_id].bulk_price
        )
        for plan, year in zip(plans, years, strict=True)
        for lic in licences[plan.order.pk]
    ]
    LicenceTerm.objects.bulk_create(terms, batch_size=TERM_BATCH)
    audit_log_bulk(created=[*years, *terms], source=NIGHTLY_RUN)
    signals.licence_years_started.send(sender=LicenceYear, years=years, terms=terms, on=on)
    result.done.extend(renewed_label(year, count=len(licences[year.order_id])) for year in years)
    return result
