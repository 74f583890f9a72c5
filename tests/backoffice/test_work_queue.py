"""The work queue ("Heute zu tun") counts a world with one case of each kind (and
a near miss beside each), links to the filtered lists, shows each role only what it
may see, and starts the nightly run only for those allowed to."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Credit, Invoice, Payment, Refund
from licensing.models import Order, OutgoingMail
from portal.models import NightlyRun
from portal.work_queue import work_queue
from tests.factories import OrderFactory, UserFactory
from tests.invoicing.factories import InvoiceFactory, RefundFactory

D = datetime.date
TODAY = D(2026, 10, 1)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 12))


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def one_of_each(db, today):
    waiting = OrderFactory(status=Order.Status.SUBMITTED)
    Order.objects.filter(pk=waiting.pk).update(submitted_at=at(D(2026, 9, 26)))
    OrderFactory(status=Order.Status.CONFIRMED)

    InvoiceFactory(status=Invoice.Status.DRAFT, number=None, issue_due_on=D(2026, 10, 8))
    InvoiceFactory(status=Invoice.Status.DRAFT, number=None, issue_due_on=D(2026, 10, 9))

    overdue = InvoiceFactory(overdue_since=D(2026, 9, 20))
    settled = InvoiceFactory()

    def payment(invoice, **fields):
        return Payment.objects.create(
            invoice=invoice, amount=Decimal("1.00"), paid_on=D(2026, 9, 28), **fields
        )

    payment(overdue, outcome=Payment.Outcome.PARTIAL, needs_attention=True)
    payment(settled, outcome=Payment.Outcome.SETTLED)
    payment(settled, outcome=Payment.Outcome.EXCESS, needs_attention=False, resolved_at=at(TODAY))

    RefundFactory(issue_date=D(2026, 9, 1))

    cancelled = InvoiceFactory(status=Invoice.Status.CANCELLED)
    owed = Credit.objects.create(
        authority=cancelled.authority, cancelled_invoice=cancelled, amount=Decimal("7.00")
    )
    Credit.objects.filter(pk=owed.pk).update(created_at=at(D(2026, 9, 24)))
    Credit.objects.create(
        authority=cancelled.authority,
        cancelled_invoice=cancelled,
        amount=Decimal("3.00"),
        status=Credit.Status.PAID_BACK,
        paid_back_on=D(2026, 9, 30),
    )
    RefundFactory(status=Refund.Status.PAID_OUT, paid_out_at=D(2026, 9, 15))

    def mail(key, **fields):
        return OutgoingMail.objects.create(
            key=key,
            kind=OutgoingMail.Kind.REJECTION,
            order=waiting,
            subject=key,
            body="x",
            **fields,
        )

    mail("failed", attempts=2, last_error="SMTP 550")
    mail("sent", attempts=1, sent_at=at(TODAY))
    mail("queued")

    old = NightlyRun.objects.create(on=D(2026, 9, 30), failures=3)
    NightlyRun.objects.filter(pk=old.pk).update(started_at=at(D(2026, 9, 30)))
    latest = NightlyRun.objects.create(on=TODAY, failures=1)
    return {"latest_run": latest}


def by_key(items):
    return {item.key: item for item in items}


def test_counts_one_case_of_each_kind(one_of_each, today):
    items = by_key(work_queue(user=UserFactory(is_superuser=True, is_staff=True), today=today))
    assert {key: item.count for key, item in items.items()} == {
        "waiting_orders": 1,
        "drafts_due": 1,
        "overdue_invoices": 1,
        "payments_to_clarify": 1,
        "refunds_to_pay_out": 1,
        "credits_to_pay_back": 1,
        "failed_mails": 1,
        "last_nightly_run": 1,
    }
    assert items["waiting_orders"].age == "ältester seit 5 Tagen"
    assert items["overdue_invoices"].age == "ältester seit 11 Tagen"
    assert items["refunds_to_pay_out"].age == "ältester seit 30 Tagen"
    assert items["payments_to_clarify"].age == "ältester seit 3 Tagen"
    assert items["credits_to_pay_back"].age == "ältester seit 7 Tagen"
    assert items["last_nightly_run"].detail.startswith("Lauf für 01.10.2026")


def test_each_link_shows_exactly_the_counted_cases(one_of_each, today, admin_client):
    items = work_queue(user=UserFactory(is_superuser=True, is_staff=True), today=today)
    for item in items:
        if item.key == "last_nightly_run":
            assert item.url == reverse(
                "admin:portal_nightlyrun_change", args=[one_of_each["latest_run"].pk]
            )
            continue
        response = admin_client.get(item.url)
        assert response.status_code == 200, item.url
        assert response.context["cl"].result_count == item.count, item.key


def test_page_is_linked_from_the_admin_start_and_lists_the_items(one_of_each, admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin_work_queue") in index
    page = admin_client.get(reverse("admin_work_queue")).content.decode()
    assert "Bestellungen warten auf Bestätigung" in page
    assert "ältester seit 5 Tagen" in page
    assert "Nachtlauf jetzt starten" in page


def test_only_items_the_user_may_view(one_of_each, today):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    items = work_queue(user=clerk, today=today)
    assert [item.key for item in items] == ["waiting_orders"]


def test_no_run_yet(db, today):
    items = by_key(work_queue(user=UserFactory(is_superuser=True), today=today))
    assert items["last_nightly_run"].count == 0
    assert items["last_nightly_run"].detail == "Noch kein Nachtlauf."


def test_nightly_button_needs_the_permission(db, client, today):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_nightlyrun"))
    client.force_login(clerk)
    assert "Nachtlauf jetzt starten" not in client.get(reverse("admin_work_queue")).content.decode()
    assert client.post(reverse("admin_nightly_start")).status_code == 403
    assert not NightlyRun.objects.exists()

    clerk.user_permissions.add(Permission.objects.get(codename="start_nightlyrun"))
    response = client.post(reverse("admin_nightly_start"), follow=True)
    run = NightlyRun.objects.get()
    assert run.on == TODAY and run.finished_at is not None
    assert "Nachtlauf beendet: Nachtlauf 01.10.2026: " in response.content.decode()


def test_nightly_start_refuses_get(admin_client):
    assert admin_client.get(reverse("admin_nightly_start")).status_code == 405
    assert not NightlyRun.objects.exists()


@pytest.mark.parametrize("name", ["admin_work_queue", "admin_nightly_start"])
def test_authority_staff_and_anonymous_are_sent_to_the_admin_login(name, client, staff_user):
    assert client.get(reverse(name)).url.startswith(reverse("admin:login"))
    client.force_login(staff_user)
    assert client.post(reverse(name)).url.startswith(reverse("admin:login"))
    assert not NightlyRun.objects.exists()
