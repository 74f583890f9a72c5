"""The registration flow asks for missing billing data before the binding order
(R10), and the buyer may give its own order reference (BT-13)."""

import pytest
from django.urls import reverse

from licensing.models import Order, RegistrationUpload
from schools.models import SchoolAuthority
from tests.licensing.listfiles import contact, make_xlsx, preview_address

pytestmark = pytest.mark.django_db

VALID = [contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]]


@pytest.fixture
def draft(upload_list, directory):
    assert preview_address(upload_list(make_xlsx(VALID)))
    return RegistrationUpload.objects.get()


def test_preview_asks_for_missing_billing_data_instead_of_the_order_button(
    staff_client, authority, draft
):
    SchoolAuthority.objects.filter(pk=authority.pk).update(postal_code="")
    preview = reverse("licensing:order_preview", args=[authority.pk, draft.pk])
    text = staff_client.get(preview).content.decode()
    assert "Vor der Bestellung fehlen noch Rechnungsdaten:" in text
    assert "<li>PLZ</li>" in text
    billing = reverse("schools:billing_data", args=[authority.pk])
    assert f'href="{billing}?next={preview}"' in text
    assert reverse("licensing:order_submit", args=[authority.pk, draft.pk]) not in text


def test_submitting_with_missing_billing_data_leads_to_the_billing_page_and_orders_nothing(
    staff_client, authority, draft
):
    SchoolAuthority.objects.filter(pk=authority.pk).update(email="")
    response = staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, draft.pk]), follow=True
    )
    assert response.redirect_chain[0][0].startswith(
        reverse("schools:billing_data", args=[authority.pk]) + "?next="
    )
    assert "es fehlt: E-Mail für Rechnungen" in response.content.decode()
    assert Order.objects.count() == 0


def test_the_order_reference_is_stored_on_the_order(staff_client, authority, draft):
    preview = reverse("licensing:order_preview", args=[authority.pk, draft.pk])
    assert "Ihre Bestellnummer oder Ihr Aktenzeichen (optional)" in (
        staff_client.get(preview).content.decode()
    )
    staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, draft.pk]),
        {"order_reference": "  AZ 40.1-2026/17 ", "accept_terms": "on"},
    )
    assert Order.objects.get().order_reference == "AZ 40.1-2026/17"


def test_a_too_long_order_reference_is_refused_and_orders_nothing(staff_client, authority, draft):
    response = staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, draft.pk]),
        {"order_reference": "x" * 101, "accept_terms": "on"},
        follow=True,
    )
    assert "höchstens 100 Zeichen" in response.content.decode()
    assert Order.objects.count() == 0
