import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from licensing.confirmation import order_confirm
from licensing.models import Order, OrderSchool
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def order(authority, set_today):
    set_today(D(2026, 7, 1))
    product, gs = priced_product()
    order = submitted_order(authority=authority, product=product, school_type=gs, schools=2)
    order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    first = order.schools.order_by("school__school_number").first()
    OrderSchool.objects.filter(pk=first.pk).update(activated_at="2026-08-01T09:00:00+02:00")
    return order


def test_dashboard_shows_year_renewal_and_activation_per_order(
    staff_client, authority, order, django_assert_max_num_queries
):
    submitted_order(authority=authority)  # a second, unconfirmed order
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))
    html = response.content.decode()
    assert f'href="/traeger/{authority.pk}/bestellungen/{order.pk}/"' in html
    assert "Jahr 1: 01.08.2026–31.07.2027" in html
    assert "verlängert sich am 01.08.2027" in html
    assert "1 von 2 Schulen" in html


def test_detail_shows_schools_with_activation_and_next_renewal(staff_client, authority, order):
    response = staff_client.get(reverse("orders:detail", args=[authority.pk, order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "freigeschaltet am 01.08.2026 09:00" in html
    assert "noch nicht freigeschaltet" in html
    assert "Jahr 1: 01.08.2026 bis 31.07.2027" in html


def test_detail_rows_show_each_school_and_escape_what_buyers_typed(staff_client, authority, order):
    first, second = order.schools.select_related("school").order_by("school__school_number")
    OrderSchool.objects.filter(pk=first.pk).update(
        contact_first_name='<script>alert("x")</script>', contact_last_name="O'Neil & Söhne"
    )
    html = staff_client.get(
        reverse("orders:detail", args=[authority.pk, order.pk])
    ).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Neil &amp; Söhne<br>" in html
    for row in (first, second):
        assert f"<tr><td>{row.school.school_number}</td><td>{escape(row.school.name)}</td>" in html
        assert f'<span class="small">{escape(row.contact_email)}</span>' in html
    assert html.count("freigeschaltet am 01.08.2026 09:00</td></tr>") == 1
    assert "am 01.08.2027 um ein Jahr, wenn nicht bis einschließlich 31.07.2027 gekündigt" in html


def test_cancel_with_confirmation_step_then_withdraw(
    staff_client, authority, order, set_today, django_capture_on_commit_callbacks
):
    set_today(D(2027, 3, 15))
    url = reverse("orders:cancel", args=[authority.pk, order.pk])

    page = staff_client.get(url).content.decode()
    assert "endet „" in page and "am <strong>31.07.2027</strong>" in page
    order.refresh_from_db()
    assert order.cancellation_effective_on is None  # the GET changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, follow=True)
    html = response.content.decode()
    assert (
        f"Bestellung {order.pk} ist gekündigt. Die Lizenzen laufen bis einschließlich "
        "31.07.2027; eine Bestätigung kommt per E-Mail." in html
    )
    assert "Gekündigt am" in html and "wirksam zum 31.07.2027" in html
    assert mail.outbox[-1].subject.startswith("Kündigungsbestätigung")

    dashboard = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))
    assert "endet am 31.07.2027" in dashboard.content.decode()

    response = staff_client.post(
        reverse("orders:withdraw", args=[authority.pk, order.pk]), follow=True
    )
    assert f"Die Kündigung ist zurückgenommen; Bestellung {order.pk} läuft weiter." in (
        response.content.decode()
    )
    order.refresh_from_db()
    assert order.cancellation_effective_on is None


def test_other_authority_cannot_see_or_cancel_the_order(other_client, authority, order):
    for name in ("orders:detail", "orders:cancel", "orders:withdraw"):
        url = reverse(name, args=[authority.pk, order.pk])
        assert other_client.get(url).status_code == 404
        assert other_client.post(url).status_code == 404
    order.refresh_from_db()
    assert order.cancellation_effective_on is None
    assert order.status == Order.Status.CONFIRMED


def test_order_of_another_authority_under_own_id_is_404(
    staff_client, authority, other_authority, set_today
):
    product, gs = priced_product()
    foreign = submitted_order(authority=other_authority, product=product, school_type=gs)
    order_confirm(order=foreign, by=None)
    url = reverse("orders:cancel", args=[authority.pk, foreign.pk])
    assert staff_client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.cancellation_effective_on is None


def test_order_of_authority_carries_the_given_authority_without_reading_it_again(
    authority, order, django_assert_num_queries
):
    from licensing.selectors import order_of_authority

    with django_assert_num_queries(2):  # the order with product and user, its years
        found = order_of_authority(authority=authority, order_id=order.pk)
        assert found.authority is authority
        assert [year.number for year in found.years.all()] == [1]
        assert found.product.name == order.product.name
