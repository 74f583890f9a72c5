"""Builders for the lifecycle tests: submitted orders as the registration list
leaves them (order submitted, schools with contact persons, licences pending)."""

import datetime
from decimal import Decimal

from licensing.models import Licence, Order, OrderSchool
from tests.factories import (
    OrderFactory,
    OrderSchoolFactory,
    PriceFactory,
    ProductFactory,
    SchoolFactory,
    SchoolTypeFactory,
    UserFactory,
)


def submitted_order(*, authority=None, product=None, school_type=None, schools: int = 2) -> Order:
    product = product or ProductFactory()
    school_type = school_type or SchoolTypeFactory()
    kwargs = {"product": product, "submitted_by": UserFactory()}
    if authority is not None:
        kwargs["authority"] = authority
    order = OrderFactory(**kwargs)
    for _i in range(schools):
        school = SchoolFactory(authority=order.authority, school_type=school_type)
        OrderSchoolFactory(order=order, school=school)
        Licence.objects.create(order=order, school=school, product=product)
    return order


def priced_product(
    *, school_type=None, price: str = "100.00", valid_from=datetime.date(2020, 1, 1)
):
    product = ProductFactory()
    school_type = school_type or SchoolTypeFactory()
    PriceFactory(
        product=product, school_type=school_type, valid_from=valid_from, bulk_price=Decimal(price)
    )
    return product, school_type


def order_schools(order: Order) -> list[OrderSchool]:
    return list(order.schools.order_by("school__school_number"))
