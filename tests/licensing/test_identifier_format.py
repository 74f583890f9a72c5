"""Identifiers never carry thousands separators (USE_THOUSAND_SEPARATOR is on; issue 13)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from licensing.services import order_submitted_notify
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_order(authority, staff_user):
    staff_user.email = "clerk@kreis.example.org"
    staff_user.save()
    return OrderFactory(
        pk=2289, authority=authority, submitted_by=staff_user, submitted_at=timezone.now()
    )


def test_order_page_prints_number_without_separator(staff_client, authority, big_order):
    response = staff_client.get(reverse("orders:detail", args=[authority.pk, big_order.pk]))
    html = response.content.decode()
    assert "Bestellung 2289" in html
    assert "2.289" not in html


def test_dashboard_prints_number_without_separator(staff_client, authority, big_order):
    html = staff_client.get(reverse("portal:dashboard", args=[authority.pk])).content.decode()
    assert "Bestellung 2289" in html
    assert "2.289" not in html


def test_order_mail_prints_number_without_separator(big_order):
    order_submitted_notify(order_id=big_order.pk)
    message = mail.outbox[0]
    html = message.alternatives[0][0] if message.alternatives else ""
    assert "Bestellung Nr. 2289" in message.subject
    assert "Bestellung Nr. 2289" in message.body
    assert "Bestellung Nr. 2289" in html
    assert "2.289" not in message.subject + message.body + html
