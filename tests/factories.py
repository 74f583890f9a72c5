"""Factories for every model. Realistic German values; numbers unique per run."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    Price,
    Product,
)
from licensing.terms import licence_year_end
from schools.models import AuthorityMembership, School, SchoolAuthority, SchoolType
from schools.validators import leitweg_id_check_digits


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Erika"
    last_name = "Musterfrau"
    password = factory.django.Password("geheim-123")


class SchoolAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolAuthority

    customer_number = factory.Sequence(lambda n: f"{20000 + n}")
    name = factory.Sequence(lambda n: f"Stadt Musterstadt {n}")
    kind = SchoolAuthority.Kind.CITY
    street = "Rathausplatz 1"
    postal_code = "50667"
    city = "Köln"
    email = factory.Sequence(lambda n: f"schulamt{n}@example.org")
    # Complete billing data (R10): a valid Leitweg-ID with its check digits.
    leitweg_id = factory.Sequence(
        lambda n: f"05315000-SCHULAMT{n}-{leitweg_id_check_digits(f'05315000SCHULAMT{n}')}"
    )


class SchoolTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolType
        django_get_or_create = ("state", "key")

    state = "NW"
    key = "02"
    name = "Grundschule"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    authority = factory.SubFactory(SchoolAuthorityFactory)
    school_type = factory.SubFactory(SchoolTypeFactory)
    state = "NW"
    school_number = factory.Sequence(lambda n: f"{300000 + n}")
    name = factory.Sequence(lambda n: f"Städt. Gemeinschaftsgrundschule Am Park {n}")
    street = "Schulstraße 5"
    postal_code = "50667"
    city = "Köln"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorityMembership

    user = factory.SubFactory(UserFactory)
    authority = factory.SubFactory(SchoolAuthorityFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"produkt-{n}")
    name = factory.Sequence(lambda n: f"Digitales Lehrwerk {n}")
    vat_rate = Decimal("7.00")


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    product = factory.SubFactory(ProductFactory)
    school_type = factory.SubFactory(SchoolTypeFactory)
    valid_from = datetime.date(2020, 1, 1)
    bulk_price = Decimal("100.00")
    individual_price = Decimal("150.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    authority = factory.SubFactory(SchoolAuthorityFactory)
    product = factory.SubFactory(ProductFactory)
    status = Order.Status.SUBMITTED


class OrderSchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderSchool

    order = factory.SubFactory(OrderFactory)
    school = factory.SubFactory(SchoolFactory, authority=factory.SelfAttribute("..order.authority"))
    contact_first_name = "Max"
    contact_last_name = "Mustermann"
    contact_email = factory.Sequence(lambda n: f"ansprechpartner{n}@schule.example.org")
    contact_phone = "0221 123456"


class LicenceYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceYear

    order = factory.SubFactory(OrderFactory, status=Order.Status.CONFIRMED)
    number = 1
    start_date = datetime.date(2026, 8, 1)
    end_date = factory.LazyAttribute(lambda y: licence_year_end(y.start_date))


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    order = factory.SubFactory(OrderFactory)
    school = factory.SubFactory(SchoolFactory, authority=factory.SelfAttribute("..order.authority"))
    product = factory.SelfAttribute("order.product")
    status = Licence.Status.PENDING


class LicenceTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceTerm

    licence = factory.SubFactory(LicenceFactory)
    year = factory.SubFactory(LicenceYearFactory, order=factory.SelfAttribute("..licence.order"))
    net_price = Decimal("100.00")


class IndividualLicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndividualLicence

    school = factory.SubFactory(SchoolFactory)
    product = factory.SubFactory(ProductFactory)
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    paid_amount = Decimal("160.50")
    vat_rate = Decimal("7.00")
    original_invoice_number = factory.Sequence(lambda n: f"EL-2026-{n:05d}")
    original_invoice_date = datetime.date(2026, 1, 2)
