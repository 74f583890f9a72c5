"""The order's admin page: the yearly price per school type and in total, confirm
and reject buttons with the start date for those allowed to decide, the schools
read-only and paginated, and a separate form to correct one contact person."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from licensing.models import Licence, LicenceYear, Order, OutgoingMail
from portal.roles import LESEN, VERTRIEB
from tests.factories import OrderSchoolFactory, PriceFactory, SchoolTypeFactory, UserFactory
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date


def page_of(client, order, **params):
    return client.get(reverse("admin:licensing_order_change", args=[order.pk]), params)


def role_client(client, role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def order(set_today):
    set_today(D(2026, 7, 1))
    product, primary = priced_product(price="1250.00")
    secondary = SchoolTypeFactory(key="04", name="Gymnasium")
    PriceFactory(product=product, school_type=secondary, bulk_price=Decimal("2500.00"))
    order = submitted_order(product=product, school_type=primary, schools=2)
    for _n in range(3):
        entry = OrderSchoolFactory(order=order, school__school_type=secondary)
        Licence.objects.create(order=order, school=entry.school, product=product)
    return order


def test_page_shows_the_price_per_school_type_and_the_yearly_total(order, admin_client):
    page = page_of(admin_client, order)
    prices = page.context["prices"]
    assert [(line.school_type, line.schools, line.total) for line in prices.lines] == [
        ("Grundschule", 2, Decimal("2500.00")),
        ("Gymnasium", 3, Decimal("7500.00")),
    ]
    text = page.content.decode()
    assert "1.250,00\u00a0€" in text and "2.500,00\u00a0€" in text
    assert '<td class="number" id="order-net">10.000,00\u00a0€</td>' in text
    assert "10.700,00\u00a0€" in text  # 7 % VAT


def test_a_confirmed_order_shows_the_prices_of_its_year_not_todays(
    order, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:licensing_order_confirm", args=[order.pk]), {"start_date": "2026-08-01"}
        )
    PriceFactory(
        product=order.product,
        school_type=SchoolTypeFactory(key="02", name="Grundschule"),
        valid_from=D(2026, 7, 1),
        bulk_price=Decimal("1.00"),
    )
    prices = page_of(admin_client, order).context["prices"]
    assert (prices.on, prices.net, prices.gross) == (
        D(2026, 8, 1),
        Decimal("10000.00"),
        Decimal("10700.00"),
    )


def test_confirm_from_the_page(order, client, django_capture_on_commit_callbacks):
    role_client(client, VERTRIEB)
    assert "Bestätigen und freischalten" in page_of(client, order).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:licensing_order_confirm", args=[order.pk]),
            {"start_date": "2026-08-01"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse(
        "admin:licensing_order_change", args=[order.pk]
    )
    assert f"Bestellung {order.pk} bestätigt: Nutzungsjahr 01.08.2026 bis 31.07.2027" in (
        response.content.decode()
    )
    order.refresh_from_db()
    assert (order.status, order.start_date) == (Order.Status.CONFIRMED, D(2026, 8, 1))
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 6  # five schools' activations and the buyer's confirmation
    assert sum(s.startswith("Freischaltung") for s in subjects) == 5
    assert f"Ihre Bestellung {order.pk} " in subjects[-1]
    assert OutgoingMail.objects.filter(sent_at=None).count() == 0
    assert "Bestätigen und freischalten" not in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start_date": "2026-06-30"}, "Der Lizenzbeginn 30.06.2026 liegt in der Vergangenheit."),
        ({"start_date": "gestern"}, "Lizenzbeginn: Bitte ein gültiges Datum eingeben."),
        ({}, "Lizenzbeginn: Dieses Feld ist zwingend erforderlich."),
    ],
)
def test_confirm_refuses_bad_input_in_german_and_writes_nothing(order, admin_client, data, message):
    response = admin_client.post(
        reverse("admin:licensing_order_confirm", args=[order.pk]), data, follow=True
    )
    assert message in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED
    assert not LicenceYear.objects.exists() and not OutgoingMail.objects.exists()


def test_reject_from_the_page_needs_a_reason(order, admin_client):
    url = reverse("admin:licensing_order_reject", args=[order.pk])
    refused = admin_client.post(url, {"reason": "  "}, follow=True)
    assert "Ablehnungsgrund: Dieses Feld ist zwingend erforderlich." in refused.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED
    admin_client.post(url, {"reason": "Doppelt bestellt."})
    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == (Order.Status.REJECTED, "Doppelt bestellt.")


def test_readers_get_no_buttons_and_cannot_decide(order, client):
    role_client(client, LESEN)
    text = page_of(client, order).content.decode()
    assert "Bestätigen und freischalten" not in text
    assert "Ansprechpartner korrigieren" not in text
    for name, data in (("confirm", {"start_date": "2026-08-01"}), ("reject", {"reason": "x"})):
        url = reverse(f"admin:licensing_order_{name}", args=[order.pk])
        assert client.post(url, data).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED


def test_schools_are_read_only_and_paginated(set_today, admin_client):
    set_today(D(2026, 7, 1))
    product, school_type = priced_product()
    order = submitted_order(product=product, school_type=school_type, schools=26)
    first = page_of(admin_client, order)
    numbers = sorted(order.schools.values_list("school__school_number", flat=True))
    text = first.content.decode()
    assert "26 Schulen" in text and "Seite 1 von 2" in text
    assert numbers[24] in text and numbers[25] not in text
    assert 'name="contact_email"' not in text and "schools-TOTAL_FORMS" not in text
    second = page_of(admin_client, order, schulen_seite=2).content.decode()
    assert numbers[25] in second and numbers[24] not in second


def test_one_contact_person_is_corrected_on_its_own_form(order, client):
    role_client(client, VERTRIEB)
    entry = order.schools.order_by("school__school_number").first()
    url = reverse("admin:licensing_orderschool_change", args=[entry.pk])
    assert url in page_of(client, order).content.decode()
    response = client.post(
        url,
        {
            "contact_first_name": "Jana",
            "contact_last_name": "Neu",
            "contact_email": "jana.neu@schule.example.org",
            "contact_phone": "",
            "_save": "Sichern",
        },
    )
    assert response.url == reverse("admin:licensing_order_change", args=[order.pk])
    entry.refresh_from_db()
    assert (entry.contact_name, entry.contact_email) == ("Jana Neu", "jana.neu@schule.example.org")
    others = order.schools.exclude(pk=entry.pk).values_list("contact_first_name", flat=True)
    assert "Jana" not in others


def test_a_bad_contact_email_is_refused_in_german(order, admin_client):
    entry = order.schools.first()
    response = admin_client.post(
        reverse("admin:licensing_orderschool_change", args=[entry.pk]),
        {"contact_first_name": "A", "contact_last_name": "B", "contact_email": "kaputt"},
    )
    assert "Bitte gültige E-Mail-Adresse eingeben." in response.content.decode()
    old = entry.contact_email
    entry.refresh_from_db()
    assert entry.contact_email == old
