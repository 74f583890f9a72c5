import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from licensing.models import Order, OrderSchool
from portal.nightly import run_nightly
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date
CHANGELIST = reverse("admin:licensing_order_changelist")


def test_confirm_action_asks_for_the_start_date_then_confirms(
    publisher_client, set_today, django_capture_on_commit_callbacks
):
    set_today(D(2026, 7, 1))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=2)
    data = {"action": "confirm_orders", ACTION_CHECKBOX_NAME: [order.pk]}

    page = publisher_client.post(CHANGELIST, data)
    assert page.status_code == 200
    assert "Lizenzbeginn" in page.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        response = publisher_client.post(
            CHANGELIST, {**data, "apply": "1", "start_date": "2026-08-01"}, follow=True
        )
    assert (
        f"Bestellung {order.pk} bestätigt: Nutzungsjahr 01.08.2026 bis 31.07.2027"
        in response.content.decode()
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.start_date == D(2026, 8, 1)
    assert len(mail.outbox) == 3  # two schools, the buyer


def test_confirm_action_reports_a_past_start_date(publisher_client, set_today):
    set_today(D(2026, 7, 1))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)
    response = publisher_client.post(
        CHANGELIST,
        {
            "action": "confirm_orders",
            ACTION_CHECKBOX_NAME: [order.pk],
            "apply": "1",
            "start_date": "2026-06-30",
        },
        follow=True,
    )
    assert "Der Lizenzbeginn 30.06.2026 liegt in der Vergangenheit." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED


def test_reject_action_requires_a_reason(publisher_client, django_capture_on_commit_callbacks):
    order = submitted_order()
    data = {"action": "reject_orders", ACTION_CHECKBOX_NAME: [order.pk], "apply": "1"}
    page = publisher_client.post(CHANGELIST, {**data, "reason": ""})
    assert "Dieses Feld ist zwingend erforderlich." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        publisher_client.post(CHANGELIST, {**data, "reason": "Doppelte Bestellung."})
    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert "Doppelte Bestellung." in mail.outbox[0].body


def test_cancel_withdraw_and_activate_school_actions(publisher_client, set_today):
    set_today(D(2026, 7, 1))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=1)
    publisher_client.post(
        CHANGELIST,
        {
            "action": "confirm_orders",
            ACTION_CHECKBOX_NAME: [order.pk],
            "apply": "1",
            "start_date": "2026-08-01",
        },
    )
    set_today(D(2026, 10, 1))
    response = publisher_client.post(
        CHANGELIST, {"action": "cancel_orders", ACTION_CHECKBOX_NAME: [order.pk]}, follow=True
    )
    assert f"Bestellung {order.pk} gekündigt zum 31.07.2027." in response.content.decode()
    response = publisher_client.post(
        CHANGELIST,
        {"action": "withdraw_cancellations", ACTION_CHECKBOX_NAME: [order.pk]},
        follow=True,
    )
    assert f"Kündigung von Bestellung {order.pk} zurückgenommen." in response.content.decode()

    entry = OrderSchool.objects.get(order=order)
    response = publisher_client.post(
        reverse("admin:licensing_orderschool_changelist"),
        {"action": "activate_schools", ACTION_CHECKBOX_NAME: [entry.pk]},
        follow=True,
    )
    assert f"{entry.school} ist freigeschaltet." in response.content.decode()
    entry.refresh_from_db()
    assert entry.activated_at is not None


def test_nightly_runs_page_lists_counts_and_failures(publisher_client, monkeypatch):
    from invoicing import issuing

    def broken(*, on):
        raise RuntimeError("Rechnungsserver nicht erreichbar")

    monkeypatch.setattr(issuing, "invoices_issue_due", broken)
    run = run_nightly(on=D(2027, 8, 1))
    listing = publisher_client.get(reverse("admin:portal_nightlyrun_changelist"))
    assert listing.status_code == 200
    assert "01.08.2027" in listing.content.decode() or "1. August 2027" in listing.content.decode()
    detail = publisher_client.get(reverse("admin:portal_nightlyrun_change", args=[run.pk]))
    assert "invoices_issued: – – RuntimeError: Rechnungsserver nicht erreichbar" in (
        detail.content.decode()
    )


def test_action_page_for_all_matching_orders_posts_the_selection_not_every_id(
    publisher_client, settings, django_capture_on_commit_callbacks
):
    """ "Alle 105 auswählen": the intermediate page carries ``select_across`` and one
    id (not 105 hidden ids that would exceed DATA_UPLOAD_MAX_NUMBER_FIELDS), lists
    100 orders and "… und 5 weitere", and the posted form applies to all 105."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    product, gs = priced_product()
    orders = [submitted_order(product=product, school_type=gs) for _ in range(105)]
    data = {
        "action": "reject_orders",
        ACTION_CHECKBOX_NAME: [orders[0].pk],
        "select_across": "1",
    }

    page = publisher_client.post(CHANGELIST, data)
    content = page.content.decode()
    assert content.count(f'name="{ACTION_CHECKBOX_NAME}"') == 1
    assert 'name="select_across" value="1"' in content
    assert "… und 5 weitere" in content

    with django_capture_on_commit_callbacks(execute=True):
        publisher_client.post(CHANGELIST, {**data, "apply": "1", "reason": "Doppelt bestellt."})
    assert Order.objects.filter(status=Order.Status.REJECTED).count() == 105


def test_action_page_for_selected_orders_posts_exactly_those(publisher_client):
    product, gs = priced_product()
    chosen, other = (submitted_order(product=product, school_type=gs) for _ in range(2))
    data = {"action": "reject_orders", ACTION_CHECKBOX_NAME: [chosen.pk]}

    content = publisher_client.post(CHANGELIST, data).content.decode()
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{chosen.pk}"' in content
    assert 'name="select_across"' not in content

    publisher_client.post(CHANGELIST, {**data, "apply": "1", "reason": "Doppelt bestellt."})
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.status, other.status) == (Order.Status.REJECTED, Order.Status.SUBMITTED)
