"""The buyer's acknowledgement of the terms is stored with the binding order
(when, who, the terms' text as shown and its SHA-256) and shown read-only on the
admin order page and on the portal's order page (issue 13)."""

import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from licensing.models import Order, RegistrationUpload
from licensing.order_summary import order_terms_text
from tests.licensing.listfiles import contact, make_xlsx

pytestmark = pytest.mark.django_db

ROWS = [contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]]


def place_order(staff_client, authority, upload_list, **extra):
    upload_list(make_xlsx(ROWS))
    upload = RegistrationUpload.objects.get()
    return staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, upload.pk]),
        {"accept_terms": "on", **extra},
    )


def test_binding_order_records_who_accepted_which_terms_when(
    staff_client, staff_user, authority, directory, upload_list
):
    before = timezone.now()
    response = place_order(staff_client, authority, upload_list)

    assert response.status_code == 302
    order = Order.objects.get()
    assert before <= order.terms_accepted_at <= timezone.now()
    assert order.terms_accepted_by == staff_user
    assert order.terms_text == order_terms_text()
    assert "verlängert sich automatisch" in order.terms_text
    assert order.terms_sha256 == hashlib.sha256(order.terms_text.encode()).hexdigest()


def test_without_the_checkbox_nothing_is_recorded(staff_client, authority, directory, upload_list):
    upload_list(make_xlsx(ROWS))
    upload = RegistrationUpload.objects.get()
    response = staff_client.post(reverse("licensing:order_submit", args=[authority.pk, upload.pk]))
    assert response.status_code == 200
    assert Order.objects.count() == 0


def test_the_stored_terms_follow_the_settings_of_the_day(
    staff_client, authority, directory, upload_list
):
    default = order_terms_text()
    with override_settings(INVOICE_PAYMENT_DAYS=21):
        place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    assert "innerhalb von 21 Tagen vollständig" in order.terms_text
    assert order.terms_text != default
    assert order.terms_sha256 != hashlib.sha256(default.encode()).hexdigest()


def test_portal_order_page_shows_the_acceptance_and_the_accepted_terms(
    staff_client, staff_user, authority, directory, upload_list
):
    staff_user.first_name, staff_user.last_name = "Petra", "Schulz"
    staff_user.save()
    with override_settings(INVOICE_PAYMENT_DAYS=21):
        place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    order.terms_accepted_at = datetime.datetime(2026, 11, 3, 9, 15, tzinfo=datetime.UTC)
    order.save(update_fields=["terms_accepted_at"])

    # The settings have changed since: the page shows what was accepted.
    html = staff_client.get(reverse("orders:detail", args=[authority.pk, order.pk])).content
    html = html.decode()
    assert "am 03.11.2026 10:15 Uhr von Petra Schulz" in html  # Europe/Berlin
    assert "innerhalb von 21 Tagen vollständig" in html
    assert "innerhalb von 30 Tagen vollständig" not in html


def test_order_without_acceptance_in_the_portal_says_so(
    staff_client, authority, product, directory, tmp_path
):
    listfile = tmp_path / "liste.xlsx"
    listfile.write_bytes(make_xlsx(ROWS))
    call_command(
        "import_anmeldeliste",
        str(listfile),
        authority=authority.customer_number,
        product=product.code,
        submit=True,
    )
    order = Order.objects.get()
    assert (order.terms_accepted_at, order.terms_accepted_by, order.terms_text) == (None, None, "")
    html = staff_client.get(reverse("orders:detail", args=[authority.pk, order.pk])).content
    assert "nicht im Portal erfasst" in html.decode()


def test_admin_order_page_shows_the_acceptance_read_only(
    staff_client, staff_user, publisher_client, authority, directory, upload_list
):
    place_order(staff_client, authority, upload_list)
    order = Order.objects.get()

    response = publisher_client.get(reverse("admin:licensing_order_change", args=[order.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Bedingungen akzeptiert am",
        "Bedingungen akzeptiert von",
        "Prüfsumme der akzeptierten Bedingungen (SHA-256)",
        "Akzeptierte Bedingungen",
    ):
        assert label in html
    assert order.terms_sha256 in html
    assert staff_user.username in html
    form = response.context["adminform"].form
    assert not {"terms_accepted_at", "terms_accepted_by", "terms_text", "terms_sha256"} & set(
        form.fields
    )


def test_showing_who_accepted_costs_no_extra_query(staff_client, authority, directory, upload_list):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    url = reverse("orders:detail", args=[authority.pk, order.pk])
    staff_client.get(url)  # warm-up (session, caches)
    with CaptureQueriesContext(connection) as accepted:
        assert "terms-acceptance" in staff_client.get(url).content.decode()
    Order.objects.filter(pk=order.pk).update(terms_accepted_by=None, terms_accepted_at=None)
    with CaptureQueriesContext(connection) as without:
        staff_client.get(url)

    assert len(accepted.captured_queries) == len(without.captured_queries)


def _order_mail(mailoutbox, staff_user):
    (mail,) = [m for m in mailoutbox if m.to == [staff_user.email]]
    return mail.body, mail.alternatives[0][0]


def test_order_mail_states_who_accepted_the_terms_and_when(
    staff_client,
    staff_user,
    authority,
    directory,
    upload_list,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    staff_user.first_name, staff_user.last_name = "Petra", "Schulz"
    staff_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    when = timezone.localtime(order.terms_accepted_at).strftime("%d.%m.%Y %H:%M")

    text, html = _order_mail(mailoutbox, staff_user)
    accepted = f"Diesen Bedingungen hat Petra Schulz mit der Bestellung am {when} Uhr zugestimmt."
    assert accepted in text
    assert accepted in html
    assert order.terms_text in text


def test_order_mail_repeats_the_stored_terms_not_todays(
    staff_client, staff_user, authority, directory, upload_list, mailoutbox
):
    from licensing.services import order_submitted_notify

    with override_settings(INVOICE_PAYMENT_DAYS=21):
        place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    mailoutbox.clear()

    order_submitted_notify(order_id=order.pk)  # the settings are back at 30 days

    text, html = _order_mail(mailoutbox, staff_user)
    for body in (text, html):
        assert "innerhalb von 21 Tagen vollständig" in body
        assert "innerhalb von 30 Tagen vollständig" not in body


def test_order_mail_without_recorded_acceptance_shows_the_terms_without_the_line(
    staff_user, staff_client, authority, directory, upload_list, mailoutbox
):
    from licensing.services import order_submitted_notify

    place_order(staff_client, authority, upload_list)
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(
        terms_accepted_at=None, terms_accepted_by=None, terms_text=""
    )
    mailoutbox.clear()

    order_submitted_notify(order_id=order.pk)

    text, html = _order_mail(mailoutbox, staff_user)
    for body in (text, html):
        assert "verlängert sich automatisch" in body
        assert "zugestimmt" not in body
