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

    blocked = OrderFactory(
        status=Order.Status.SUBMITTED, authority__email="", authority__leitweg_id=""
    )
    Order.objects.filter(pk=blocked.pk).update(submitted_at=at(D(2026, 9, 29)))

    InvoiceFactory(status=Invoice.Status.DRAFT, number=None, issue_due_on=D(2026, 10, 8))
    InvoiceFactory(status=Invoice.Status.DRAFT, number=None, issue_due_on=D(2026, 10, 9))
    # A draft the nightly run could not issue (rule check): due since 27.09.
    InvoiceFactory(
        status=Invoice.Status.DRAFT,
        number=None,
        issue_due_on=D(2026, 9, 27),
        issue_problems="Der Rechnungsentwurf verletzt Regeln der E-Rechnung (BR-DE-9) …",
    )

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
        "waiting_orders": 2,
        "orders_blocked_by_billing": 1,
        "drafts_due": 2,
        "drafts_failing_rules": 1,
        "overdue_invoices": 1,
        "payments_to_clarify": 1,
        "refunds_to_pay_out": 1,
        "refunds_without_account": 1,
        "invoices_after_last_reminder": 0,
        "credits_to_pay_back": 1,
        "failed_mails": 1,
        "last_nightly_run": 1,
    }
    assert items["waiting_orders"].age == "ältester seit 5 Tagen"
    assert items["orders_blocked_by_billing"].age == "ältester seit 2 Tagen"
    assert items["drafts_failing_rules"].age == "ältester seit 4 Tagen"
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
    assert [item.key for item in items] == ["waiting_orders", "orders_blocked_by_billing"]


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


@pytest.mark.django_db
def test_refunds_without_account_from_day_30_and_invoices_after_the_last_reminder(
    today, admin_client
):
    from invoicing.models import RefundPayout

    RefundFactory(issue_date=D(2026, 9, 1))  # day 30 without account: listed
    RefundFactory(issue_date=D(2026, 9, 2))  # day 29: not yet
    answered = RefundFactory(issue_date=D(2026, 8, 1))
    RefundPayout.objects.create(
        refund=answered, account_holder="Stadt", iban="DE89370400440532013000"
    )
    InvoiceFactory(
        overdue_since=D(2026, 8, 1),
        reminder_sent_at=at(D(2026, 8, 1)),
        second_reminder_sent_at=at(D(2026, 8, 15)),
    )
    InvoiceFactory(overdue_since=D(2026, 9, 1), reminder_sent_at=at(D(2026, 9, 1)))
    InvoiceFactory(
        status=Invoice.Status.PAID,
        paid_at=D(2026, 9, 1),
        reminder_sent_at=at(D(2026, 8, 1)),
        second_reminder_sent_at=at(D(2026, 8, 15)),
    )

    items = by_key(work_queue(user=UserFactory(is_superuser=True, is_staff=True), today=today))

    assert items["refunds_without_account"].count == 1
    assert items["refunds_without_account"].age == "ältester seit 30 Tagen"
    assert items["invoices_after_last_reminder"].count == 1
    assert items["invoices_after_last_reminder"].age == "ältester seit 47 Tagen"
    for key in ("refunds_without_account", "invoices_after_last_reminder"):
        response = admin_client.get(items[key].url)
        assert response.context["cl"].result_count == 1, key
