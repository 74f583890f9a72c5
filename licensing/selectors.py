"""Reads of products, prices, orders and licences."""

import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from licensing.models import Order, Price, Product
from schools.models import SchoolAuthority


def price_on(*, product: Product, school_type_id: int, on: datetime.date) -> Price | None:
    """The price of ``product`` for a school type valid on ``on``: the one with the
    latest ``valid_from`` not after ``on``."""
    return (
        Price.objects.filter(product=product, school_type_id=school_type_id, valid_from__lte=on)
        .order_by("-valid_from")
        .first()
    )


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
    return (
        Order.objects.filter(authority=authority)
        .select_related("product")
        .order_by("-submitted_at")
    )
