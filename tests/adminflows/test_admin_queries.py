"""List pages do a fixed number of queries however many rows they show (no N+1):
each changelist with 50 rows, and the pages with many inline rows."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from tests.factories import (
    LicenceFactory,
    LicenceTermFactory,
    LicenceYearFactory,
    OrderFactory,
    OrderSchoolFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
)

pytestmark = pytest.mark.django_db
ROWS = 50
# Session, user, counts, the page's rows and its filters; the same for 1 or 50 rows.
MAX_QUERIES = 14


@pytest.fixture
def fifty_of_everything(db):
    authorities = [SchoolAuthorityFactory() for _i in range(5)]
    for n in range(ROWS):
        authority = authorities[n % 5]
        order = OrderFactory(authority=authority, status="confirmed")
        year = LicenceYearFactory(order=order, start_date=datetime.date(2026, 8, 1))
        licence = LicenceFactory(order=order, status="active")
        LicenceTermFactory(licence=licence, year=year)
        OrderSchoolFactory(order=order, school=licence.school)
        invoice = Invoice.objects.create(
            authority=authority,
            order=order,
            licence_year=year,
            service_period_start=year.start_date,
            service_period_end=year.end_date,
            gross_total=Decimal("107.00"),
            issue_due_on=datetime.date(2026, 8, 8),
        )
        assert invoice.pk


@pytest.mark.parametrize(
    "name",
    [
        "licensing_order",
        "licensing_orderschool",
        "licensing_licence",
        "licensing_licenceyear",
        "invoicing_invoice",
        "schools_school",
        "schools_schoolauthority",
    ],
)
def test_changelist_with_50_rows_has_no_n_plus_1(
    fifty_of_everything, publisher_client, django_assert_max_num_queries, name
):
    url = reverse(f"admin:{name}_changelist")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = publisher_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 5


def test_order_page_with_many_schools_has_no_n_plus_1(
    publisher_client, django_assert_max_num_queries
):
    order = OrderFactory(status="submitted")
    for _i in range(ROWS):
        OrderSchoolFactory(order=order, school=SchoolFactory(authority=order.authority))
    # The page also shows the yearly price (3 queries) and one page of the schools
    # (count + page): still the same number of queries for 50 schools as for 5.
    with django_assert_max_num_queries(20):
        response = publisher_client.get(reverse("admin:licensing_order_change", args=[order.pk]))
    assert response.status_code == 200


def test_authority_page_with_many_schools_has_no_n_plus_1(
    publisher_client, django_assert_max_num_queries
):
    authority = SchoolAuthorityFactory()
    for _i in range(ROWS):
        SchoolFactory(authority=authority)
    with django_assert_max_num_queries(16):
        response = publisher_client.get(
            reverse("admin:schools_schoolauthority_change", args=[authority.pk])
        )
    assert response.status_code == 200
