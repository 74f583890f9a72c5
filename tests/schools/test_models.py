import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from licensing.models import Licence
from licensing.selectors import prices_on
from schools.models import School
from schools.validators import validate_leitweg_id
from tests.factories import (
    LicenceFactory,
    OrderFactory,
    PriceFactory,
    ProductFactory,
    SchoolFactory,
    SchoolTypeFactory,
)

pytestmark = pytest.mark.django_db


def test_school_number_is_unique_within_a_state():
    SchoolFactory(state="NW", school_number="123456")

    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolFactory(state="NW", school_number="123456")


def test_the_same_school_number_may_exist_in_another_state():
    SchoolFactory(state="NW", school_number="123456")
    SchoolFactory(state="NI", school_number="123456")

    assert School.objects.filter(school_number="123456").count() == 2


@pytest.mark.parametrize("field", ["bulk_price", "individual_price"])
def test_prices_cannot_be_negative(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceFactory(**{field: Decimal("-0.01")})


def test_one_running_bulk_licence_per_school_and_product():
    licence = LicenceFactory(status=Licence.Status.ACTIVE)
    second_order = OrderFactory(authority=licence.order.authority, product=licence.product)

    with pytest.raises(IntegrityError), transaction.atomic():
        LicenceFactory(order=second_order, school=licence.school, status=Licence.Status.PENDING)


def test_an_expired_licence_does_not_block_a_new_one():
    licence = LicenceFactory(status=Licence.Status.EXPIRED)
    second_order = OrderFactory(authority=licence.order.authority, product=licence.product)

    LicenceFactory(order=second_order, school=licence.school, status=Licence.Status.PENDING)

    assert Licence.objects.filter(school=licence.school).count() == 2


def test_price_lookup_takes_the_price_valid_on_the_day():
    product = ProductFactory()
    school_type = SchoolTypeFactory()
    PriceFactory(
        product=product,
        school_type=school_type,
        valid_from=datetime.date(2025, 8, 1),
        bulk_price=Decimal("100.00"),
    )
    PriceFactory(
        product=product,
        school_type=school_type,
        valid_from=datetime.date(2026, 8, 1),
        bulk_price=Decimal("110.00"),
    )

    def bulk(day):
        price = prices_on(product=product, on=day).get(school_type.pk)
        return price and price.bulk_price

    assert bulk(datetime.date(2025, 7, 31)) is None
    assert bulk(datetime.date(2025, 8, 1)) == Decimal("100.00")
    assert bulk(datetime.date(2026, 7, 31)) == Decimal("100.00")
    assert bulk(datetime.date(2026, 8, 1)) == Decimal("110.00")
    assert prices_on(product=product, on=datetime.date(2026, 8, 1))[
        school_type.pk
    ].bulk_price == Decimal("110.00")


def test_prices_on_reads_all_school_types_in_one_query(django_assert_num_queries):
    product = ProductFactory()
    for key in ("02", "20", "10"):
        school_type = SchoolTypeFactory(key=key, name=f"Form {key}")
        PriceFactory(product=product, school_type=school_type, valid_from=datetime.date(2024, 1, 1))
        PriceFactory(product=product, school_type=school_type, valid_from=datetime.date(2025, 1, 1))

    with django_assert_num_queries(1):
        prices = prices_on(product=product, on=datetime.date(2025, 6, 1))

    assert {p.valid_from for p in prices.values()} == {datetime.date(2025, 1, 1)}
    assert len(prices) == 3


@pytest.mark.parametrize("value", ["991-33333TEST-33", "05315000-4000-30"])
def test_valid_leitweg_ids_pass(value):
    # 991-33333TEST-33 is the KoSIT test Leitweg-ID.
    validate_leitweg_id(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("991-33333TEST-34", "Die Prüfziffer der Leitweg-ID „991-33333TEST-34“ stimmt nicht"),
        ("ABC-123-45", "hat nicht die Form"),
        ("991-33333test-33", "hat nicht die Form"),
    ],
)
def test_invalid_leitweg_ids_are_refused_with_a_german_message(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_leitweg_id(value)

    assert message in exc.value.messages[0]
