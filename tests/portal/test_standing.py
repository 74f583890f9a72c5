"""The dashboard's "where do we stand" and the order page: licensed schools,
licence year, next renewal with the last day to cancel, open and overdue amounts;
prices per type with VAT and gross, the order's invoices and its refunds."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.issuing import invoice_issue
from invoicing.models import Invoice, Payment
from invoicing.reminders import invoices_mark_overdue
from licensing.cancellation import order_cancel
from licensing.confirmation import order_confirm
from licensing.models import Licence
from tests.factories import IndividualLicenceFactory
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def order(authority, set_today):
    set_today(D(2026, 7, 1))
    product, gs = priced_product(price="100.00")
    order = submitted_order(authority=authority, product=product, school_type=gs, schools=3)
    rejected = order.licences.order_by("pk").last()
    Licence.objects.filter(pk=rejected.pk).update(status=Licence.Status.REJECTED)
    order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    return order


def standing_row(staff_client, authority) -> str:
    html = staff_client.get(reverse("portal:dashboard", args=[authority.pk])).content.decode()
    return html[html.index('id="standing"') :]


@pytest.mark.parametrize(
    ("today", "year", "renewal", "cancel_until"),
    [
        (D(2026, 7, 15), "Jahr 1: 01.08.2026–31.07.2027", "01.08.2027", "31.07.2027"),
        (D(2027, 7, 31), "Jahr 1: 01.08.2026–31.07.2027", "01.08.2027", "31.07.2027"),
        # The renewal has not run yet on its first day: a cancellation now ends
        # the new year, so the next renewal is a year later.
        (D(2027, 8, 1), "Jahr 1: 01.08.2026–31.07.2027", "01.08.2028", "31.07.2028"),
    ],
)
def test_dashboard_shows_year_renewal_and_last_day_to_cancel(
    staff_client,
    authority,
    order,
    set_today,
    today,
    year,
    renewal,
    cancel_until,
):
    set_today(today)
    row = standing_row(staff_client, authority)
    assert order.product.name in row
    assert year in row
    assert f'<td data-cell="renewal">{renewal}</td>' in row
    assert f'<td data-cell="cancel-until">{cancel_until}</td>' in row
    assert '<td class="text-end">2</td>' in row  # 3 listed, 1 rejected


def test_dashboard_of_a_cancelled_order_shows_its_end(
    staff_client,
    authority,
    order,
    set_today,
):
    set_today(D(2027, 3, 1))
    order_cancel(order=order, by=None)
    row = standing_row(staff_client, authority)
    assert "gekündigt, endet am 31.07.2027" in row
    assert 'data-cell="renewal"' not in row


def test_dashboard_open_and_overdue_amounts(
    staff_client,
    authority,
    order,
    set_today,
    django_assert_max_num_queries,
):
    invoice = order.invoices.get()
    assert invoice.gross_total == Decimal("214.00")  # 2 x 100 + 7 %
    row = standing_row(staff_client, authority)
    assert "Offene Rechnungen zusammen: 0,00 €, davon überfällig: 0,00 €." in row  # a draft

    invoice_issue(invoice=invoice, on=D(2026, 8, 8))
    invoice.refresh_from_db()
    set_today(invoice.due_date)
    invoices_mark_overdue(on=invoice.due_date)  # due today: not overdue yet
    assert "zusammen: 214,00 €, davon überfällig: 0,00 €." in standing_row(staff_client, authority)

    invoices_mark_overdue(on=invoice.due_date + datetime.timedelta(days=1))
    with django_assert_max_num_queries(14):
        row = standing_row(staff_client, authority)
    assert "zusammen: 214,00 €, davon überfällig: 214,00 €." in row
    assert '<span class="badge text-bg-warning">214,00 €</span>' in row

    # A partial payment settles nothing (R9) but lowers what is open.
    Payment.objects.create(
        invoice=invoice, amount=Decimal("100.00"), paid_on=D(2026, 9, 20), outcome="partial"
    )
    assert "zusammen: 114,00 €, davon überfällig: 114,00 €." in standing_row(
        staff_client, authority
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    assert "zusammen: 0,00 €, davon überfällig: 0,00 €." in standing_row(staff_client, authority)


def test_order_page_shows_prices_gross_invoices_and_refunds(
    staff_client,
    authority,
    set_today,
):
    set_today(D(2026, 7, 1))
    product, gs = priced_product(price="100.00")
    order = submitted_order(authority=authority, product=product, school_type=gs, schools=2)
    school = order.licences.order_by("pk").first().school
    IndividualLicenceFactory(school=school, product=product, end_date=D(2026, 12, 31))
    order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    invoice_issue(invoice=order.invoices.get(), on=D(2026, 8, 8))

    url = reverse("orders:detail", args=[authority.pk, order.pk])
    html = staff_client.get(url).content.decode()
    assert "200,00 €" in html and "zzgl. Umsatzsteuer 7 %" in html
    assert '<td class="text-end fw-bold" data-total="gross">214,00 €</td>' in html
    invoice = order.invoices.get()
    assert invoice.number in html
    assert "Erstattungen an Schulen" in html and school.name in html
    assert html.count("Ihre Ansprechpartner im Verlag") == 1
    assert "Ansprechpartner" not in html.split("<title>")[1].split("</title>")[0]
    assert "Franziska Dorbert" in html
    assert "verlängert sich automatisch" in html


def test_order_page_of_another_authority_is_404(other_client, authority, order):
    url = reverse("orders:detail", args=[authority.pk, order.pk])
    assert other_client.get(url).status_code == 404
