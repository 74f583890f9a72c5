"""Reads of products, prices, orders and licences."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from config.money import money
from licensing.models import (
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    Price,
    Product,
    RegistrationUpload,
)
from licensing.terms import licence_year_end, majority_needed, next_year_start
from schools.billing import billing_incomplete_q
from schools.models import School, SchoolAuthority


def prices_on(*, product: Product, on: datetime.date) -> dict[int, Price]:
    """Prices of ``product`` valid on ``on`` for every school type that has one,
    keyed by school type id (one query)."""
    latest = (
        Price.objects.filter(
            product=product, school_type=OuterRef("school_type"), valid_from__lte=on
        )
        .order_by("-valid_from")
        .values("pk")[:1]
    )
    qs = Price.objects.filter(product=product, valid_from__lte=on, pk=Subquery(latest))
    return {price.school_type_id: price for price in qs}


def orderable_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("name")


def orders_of_authority(*, authority: SchoolAuthority) -> QuerySet[Order]:
    """The authority's orders, newest first, each annotated with its current
    (latest) licence year and how many of its schools are activated."""
    latest = LicenceYear.objects.filter(order=OuterRef("pk")).order_by("-number")
    return (
        Order.objects.filter(authority=authority)
        .select_related("product")
        .annotate(
            current_year_number=Subquery(latest.values("number")[:1]),
            current_year_start=Subquery(latest.values("start_date")[:1]),
            current_year_end=Subquery(latest.values("end_date")[:1]),
            school_count=Count("schools", distinct=True),
            activated_count=Count(
                "schools", filter=Q(schools__activated_at__isnull=False), distinct=True
            ),
        )
        .order_by("-submitted_at")
    )


def order_of_authority(*, authority: SchoolAuthority, order_id: int) -> Order:
    """One order of the authority with its product and years; 404 for any other.
    Its schools: ``order_school_rows``. ``order.authority`` is the ``authority`` given
    (the caller read it already: its 19 columns are not joined again)."""
    order = get_object_or_404(
        Order.objects.select_related("product", "terms_accepted_by").prefetch_related(
            Prefetch("years", queryset=LicenceYear.objects.order_by("number")),
        ),
        pk=order_id,
        authority=authority,
    )
    order.authority = authority
    return order


@dataclass(frozen=True)
class OrderSchoolRow:
    """One school of an order's page, its texts ready to print."""

    school_number: str
    name: str
    school_type: str
    contact_name: str
    contact_email: str
    activation: str  # "freigeschaltet am 01.08.2026 09:30" or "noch nicht freigeschaltet"


def order_school_rows(
    *, order: Order, ordering: tuple[str, ...] = ("school__school_number",)
) -> list[OrderSchoolRow]:
    """The schools of ``order`` (by school number unless ``ordering`` says otherwise)
    for its pages: 1 query of plain values, no model instances. The texts are
    translated once, not per row, and the activation time is formatted here: for 256
    schools a fraction of what a ``{% blocktranslate %}`` with a date filter per row
    costs."""
    activated = gettext("freigeschaltet am %(date)s")
    not_yet = gettext("noch nicht freigeschaltet")
    zone = timezone.get_current_timezone()
    rows = OrderSchool.objects.filter(order=order).order_by(*ordering)
    return [
        OrderSchoolRow(
            school_number=number,
            name=name,
            school_type=school_type,
            contact_name=f"{first} {last}".strip(),
            contact_email=email,
            activation=(
                activated % {"date": at.astimezone(zone).strftime("%d.%m.%Y %H:%M")}
                if at
                else not_yet
            ),
        )
        for number, name, school_type, first, last, email, at in rows.values_list(
            "school__school_number",
            "school__name",
            "school__school_type__name",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "activated_at",
        )
    ]


def cancellation_effective_date(
    *, order: Order, on: datetime.date, years: list[LicenceYear] | None = None
) -> datetime.date:
    """The day a cancellation made on ``on`` takes effect (R7): the last day of the
    licence year running on ``on`` (before the start: of the first year). On the
    first day of a year that the nightly renewal has not created yet, that is the
    end of the new year. ``years`` (ordered by number) saves the query."""
    if years is None:
        years = list(LicenceYear.objects.filter(order=order).order_by("number"))
    if not years:
        start = order.start_date or on
        return licence_year_end(max(start, on))
    for year in years:
        if year.end_date >= on:
            return year.end_date
    end = years[-1].end_date
    while end < on:
        end = licence_year_end(next_year_start(end))
    return end


def upload_of_authority(*, authority: SchoolAuthority, upload_id) -> RegistrationUpload:
    """One uploaded registration list of the authority; 404 for any other."""
    return get_object_or_404(
        RegistrationUpload.objects.select_related("product"), pk=upload_id, authority=authority
    )


def open_draft_of_authority(
    *, authority: SchoolAuthority, product: Product
) -> RegistrationUpload | None:
    """The authority's checked list of ``product`` that is not ordered yet, for the
    order page's note: its name and time only (the stored check result of a
    260-school list is ~100 kB of JSON; ``result`` and the rest load on access)."""
    return (
        RegistrationUpload.objects.filter(
            authority=authority, product=product, is_draft=True, order__isnull=True
        )
        .only("pk", "original_filename", "uploaded_at")
        .order_by("-uploaded_at")
        .first()
    )


def submitted_order_of_authority(*, authority: SchoolAuthority, order_id: int) -> Order:
    """One order of the authority with its product and upload; 404 for any other."""
    return get_object_or_404(
        Order.objects.select_related("product", "upload"), pk=order_id, authority=authority
    )


def order_of_upload(*, upload: RegistrationUpload) -> Order | None:
    """The order placed from an uploaded list, if it was ordered."""
    return Order.objects.filter(upload=upload).first()


@dataclass
class PriceLine:
    """One school type of the price overview: per school and for all of them."""

    name: str
    schools: int
    bulk_price: Decimal | None
    bulk_total: Decimal | None
    individual_price: Decimal | None
    individual_total: Decimal | None
    needed: int


@dataclass
class PriceOverview:
    """What a product costs an authority per year, as bulk and individual licences."""

    lines: list[PriceLine]
    bulk_total: Decimal
    individual_total: Decimal | None
    missing_prices: bool


def price_overview(
    *, authority: SchoolAuthority, product: Product, on: datetime.date | None = None
) -> PriceOverview:
    """What ``product`` costs per year for all active schools of ``authority``, per
    school type, and what the schools would pay with individual licences (2 queries)."""
    on = on or timezone.localdate()
    return _overview(_active_schools_by_type(authority), prices_on(product=product, on=on))


def price_overviews(
    *, authority: SchoolAuthority, products: list[Product], on: datetime.date | None = None
) -> list[tuple[Product, PriceOverview]]:
    """``price_overview`` of each of ``products`` (2 queries, however many products)."""
    on = on or timezone.localdate()
    counts = _active_schools_by_type(authority)
    latest = (
        Price.objects.filter(
            product=OuterRef("product"), school_type=OuterRef("school_type"), valid_from__lte=on
        )
        .order_by("-valid_from")
        .values("pk")[:1]
    )
    by_product: dict[int, dict[int, Price]] = {product.pk: {} for product in products}
    for price in Price.objects.filter(
        product__in=products, valid_from__lte=on, pk=Subquery(latest)
    ):
        by_product[price.product_id][price.school_type_id] = price
    return [(product, _overview(counts, by_product[product.pk])) for product in products]


def _active_schools_by_type(authority: SchoolAuthority) -> dict[int, list]:
    """School type id → [type name, number of active schools] (1 query)."""
    counts: dict[int, list] = {}
    for type_id, type_name in School.objects.filter(
        authority=authority, is_active=True
    ).values_list("school_type_id", "school_type__name"):
        counts.setdefault(type_id, [type_name, 0])[1] += 1
    return counts


def _overview(counts: dict[int, list], prices: dict[int, Price]) -> PriceOverview:
    lines = []
    bulk_total = Decimal("0.00")
    individual_total = Decimal("0.00")
    has_individual = False
    missing = False
    for type_id, (name, n) in sorted(counts.items(), key=lambda item: item[1][0]):
        price = prices.get(type_id)
        if price is None:
            missing = True
            lines.append(PriceLine(name, n, None, None, None, None, majority_needed(n)))
            continue
        individual = price.individual_price if price.individual_price else None
        lines.append(
            PriceLine(
                name=name,
                schools=n,
                bulk_price=price.bulk_price,
                bulk_total=price.bulk_price * n,
                individual_price=individual,
                individual_total=individual * n if individual is not None else None,
                needed=majority_needed(n),
            )
        )
        bulk_total += price.bulk_price * n
        if individual is not None:
            has_individual = True
            individual_total += individual * n
    return PriceOverview(
        lines=lines,
        bulk_total=bulk_total,
        individual_total=individual_total if has_individual else None,
        missing_prices=missing,
    )


@dataclass(frozen=True)
class RunningOrder:
    """Where a running order stands on a day: its licensed schools, the licence
    year running (or about to start), and either the next renewal with the last
    day to cancel before it, or the day a cancellation ends it."""

    order: Order
    licensed_schools: int
    year: LicenceYear | None
    next_renewal: datetime.date | None
    cancel_until: datetime.date | None
    ends_on: datetime.date | None


def _year_on(years: list[LicenceYear], on: datetime.date) -> LicenceYear | None:
    """The year running on ``on``; before the start the first, after the last the last."""
    for year in years:
        if year.end_date >= on:
            return year
    return years[-1] if years else None


def running_orders(*, authority: SchoolAuthority, on: datetime.date) -> list[RunningOrder]:
    """The authority's confirmed orders as they stand on ``on`` (2 queries)."""
    orders = (
        Order.objects.filter(authority=authority, status=Order.Status.CONFIRMED)
        .select_related("product")
        .annotate(
            licensed_schools=Count(
                "licences",
                filter=Q(licences__status__in=[Licence.Status.ACTIVE, Licence.Status.CANCELLED]),
            )
        )
        .prefetch_related(Prefetch("years", queryset=LicenceYear.objects.order_by("number")))
        .order_by("product__name", "submitted_at")
    )
    result = []
    for order in orders:
        years = list(order.years.all())
        year = _year_on(years, on)
        if order.cancellation_effective_on:
            renewal = cancel_until = None
        else:
            cancel_until = cancellation_effective_date(order=order, on=on, years=years)
            renewal = next_year_start(cancel_until)
        result.append(
            RunningOrder(
                order=order,
                licensed_schools=order.licensed_schools,
                year=year,
                next_renewal=renewal,
                cancel_until=cancel_until,
                ends_on=order.cancellation_effective_on,
            )
        )
    return result


@dataclass
class OrderPriceLine:
    """One school type of an order: how many schools at which price per year."""

    school_type: str
    schools: int
    price: Decimal | None  # net per school and year; None: no price on that day
    total: Decimal | None


@dataclass
class OrderPrices:
    """What an order costs per year: the current licence year's prices once it is
    confirmed, else the prices valid on ``on`` (the day it would start)."""

    on: datetime.date
    lines: list[OrderPriceLine]
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal
    missing_prices: bool


def order_prices(*, order: Order, on: datetime.date) -> OrderPrices:
    """Per school type and in total (net, VAT, gross) what ``order`` costs a year
    (3 queries, however many schools)."""
    year = order.years.order_by("-number").first()
    if year is not None:
        on = year.start_date
        rows = LicenceTerm.objects.filter(year=year).values_list(
            "licence__school__school_type__name", "net_price"
        )
    else:
        prices = prices_on(product=order.product, on=on)
        rows = [
            (name, prices[type_id].bulk_price if type_id in prices else None)
            for type_id, name in order.licences.values_list(
                "school__school_type_id", "school__school_type__name"
            )
        ]
    grouped: dict[tuple[str, Decimal | None], int] = {}
    for name, price in rows:
        grouped[(name, price)] = grouped.get((name, price), 0) + 1
    lines = [
        OrderPriceLine(name, n, price, price * n if price is not None else None)
        for (name, price), n in sorted(
            grouped.items(), key=lambda item: (item[0][0], str(item[0][1]))
        )
    ]
    net = sum((line.total for line in lines if line.total is not None), Decimal("0.00"))
    rate = order.product.vat_rate
    vat = money(net * rate / 100)
    return OrderPrices(
        on=on,
        lines=lines,
        net=net,
        vat_rate=rate,
        vat=vat,
        gross=net + vat,
        missing_prices=any(line.price is None for line in lines),
    )


def orders_blocked_by_billing_data() -> QuerySet[Order]:
    """Work queue: submitted orders that cannot be confirmed because their
    buyer's billing data is incomplete (``schools.billing.billing_missing``
    names what is missing)."""
    return (
        Order.objects.filter(status=Order.Status.SUBMITTED)
        .filter(billing_incomplete_q("authority__"))
        .select_related("authority", "product")
        .order_by("submitted_at", "pk")
    )
