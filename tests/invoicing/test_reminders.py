"""Reminders that tell the truth: overdue from the day after the due date, the
invoice amount, the payments received with their dates and what remains, a
second (last) reminder after ``INVOICE_SECOND_REMINDER_DAYS``, then the staff list."""

import datetime
import zoneinfo
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse

from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from invoicing.models import Invoice, Payment
from invoicing.payments import payment_record
from invoicing.reminders import invoices_mark_overdue, invoices_send_second_reminder
from invoicing.selectors import invoices_after_last_reminder
from portal.nightly import run_nightly

ISSUE_DAY = datetime.date(2026, 8, 10)  # due 09.09.2026; gross 249,68 €
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def invoice(licence_year):
    return invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)


def remind(on, capture):
    mail.outbox.clear()
    with capture(execute=True):
        invoices_mark_overdue(on=on)
    return mail.outbox


def remind_again(on, capture):
    mail.outbox.clear()
    with capture(execute=True):
        result = invoices_send_second_reminder(on=on)
    return result, mail.outbox


@pytest.mark.django_db
def test_overdue_since_is_the_day_after_the_due_date_when_the_run_is_late(
    invoice, django_capture_on_commit_callbacks
):
    remind(invoice.due_date + datetime.timedelta(days=5), django_capture_on_commit_callbacks)

    invoice.refresh_from_db()
    assert invoice.overdue_since == datetime.date(2026, 9, 10)
    assert invoice.status_label == "überfällig seit 10.09.2026"


@pytest.mark.django_db
def test_reminder_after_a_partial_payment_states_received_and_remaining(
    invoice, django_capture_on_commit_callbacks
):
    assert invoice.gross_total == D("249.68")
    payment_record(invoice=invoice, amount=D("100.00"), paid_on=datetime.date(2026, 9, 3))
    payment_record(invoice=invoice, amount=D("50.00"), paid_on=datetime.date(2026, 9, 1))

    [reminder] = remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks)

    body = reminder.body
    assert "Rechnungsbetrag: 249,68 €" in body
    assert "Zahlungseingang am 01.09.2026: 50,00 €" in body
    assert "Zahlungseingang am 03.09.2026: 100,00 €" in body
    assert body.index("01.09.2026") < body.index("03.09.2026")
    assert "Noch offen: 99,68 €" in body
    assert "Bitte überweisen Sie den offenen Betrag von 99,68 €" in body
    assert "keinen Zahlungseingang" not in body
    assert "bisher keiner" not in body


@pytest.mark.django_db
def test_reminder_without_payment_asks_for_the_whole_amount(
    invoice, django_capture_on_commit_callbacks
):
    [reminder] = remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks)

    assert reminder.subject == "Freundliche Zahlungserinnerung zu Rechnung RE-2026-00001"
    assert "war am 09.09.2026 fällig" in reminder.body
    assert "Zahlungseingang: bisher keiner" in reminder.body
    assert "Noch offen: 249,68 €" in reminder.body


@pytest.mark.django_db
def test_second_reminder_comes_the_configured_days_after_the_first_local_day(
    invoice, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_SECOND_REMINDER_DAYS = 14
    remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks)
    # Sent 00:30 on 11 Sep in Berlin, still 10 Sep in UTC: the local day counts.
    first = datetime.datetime(2026, 9, 11, 0, 30, tzinfo=BERLIN)
    Invoice.objects.filter(pk=invoice.pk).update(reminder_sent_at=first)
    payment_record(invoice=invoice, amount=D("49.68"), paid_on=datetime.date(2026, 9, 20))

    result, outbox = remind_again(datetime.date(2026, 9, 24), django_capture_on_commit_callbacks)
    assert (result.done, outbox) == ([], [])
    assert not invoices_after_last_reminder().exists()

    result, outbox = remind_again(datetime.date(2026, 9, 25), django_capture_on_commit_callbacks)
    assert result.done == ["RE-2026-00001"]
    [second] = outbox
    assert second.subject == "Zweite Zahlungserinnerung zu Rechnung RE-2026-00001"
    assert "Trotz unserer Zahlungserinnerung vom 11.09.2026" in second.body
    assert "Zahlungseingang am 20.09.2026: 49,68 €" in second.body
    assert "Noch offen: 200,00 €" in second.body
    assert list(invoices_after_last_reminder()) == [invoice]

    result, outbox = remind_again(datetime.date(2026, 9, 26), django_capture_on_commit_callbacks)
    assert (result.done, outbox) == ([], [])


@pytest.mark.django_db
def test_paid_invoice_gets_no_second_reminder_and_leaves_the_staff_list(
    invoice, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_SECOND_REMINDER_DAYS = 14
    remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks)
    payment_record(invoice=invoice, amount=D("249.68"), paid_on=datetime.date(2026, 9, 12))

    result, outbox = remind_again(datetime.date(2026, 12, 1), django_capture_on_commit_callbacks)

    assert (result.done, outbox) == ([], [])
    assert not invoices_after_last_reminder().exists()


@pytest.mark.django_db
def test_nightly_run_sends_the_second_reminder(invoice, settings):
    settings.INVOICE_SECOND_REMINDER_DAYS = 14
    first = datetime.datetime(2026, 9, 10, 2, 0, tzinfo=BERLIN)
    Invoice.objects.filter(pk=invoice.pk).update(
        overdue_since=datetime.date(2026, 9, 10), reminder_sent_at=first
    )

    run = run_nightly(on=datetime.date(2026, 9, 24))

    assert run.log["steps"]["second_reminders"]["done"] == ["RE-2026-00001"]


@pytest.mark.django_db
def test_invoice_page_shows_payments_received_remaining_and_paid_on(
    staff_client, authority, invoice
):
    url = reverse("invoicing:invoice_list", args=[authority.pk])
    payment_record(invoice=invoice, amount=D("100.00"), paid_on=datetime.date(2026, 9, 3))
    Invoice.objects.filter(pk=invoice.pk).update(overdue_since=datetime.date(2026, 9, 10))

    content = staff_client.get(url).content.decode()
    assert "überfällig seit 10.09.2026" in content
    assert "eingegangen am 03.09.2026: 100,00 €" in content
    assert "offen: 149,68 €" in content

    payment_record(invoice=invoice, amount=D("249.68"), paid_on=datetime.date(2026, 9, 12))
    content = staff_client.get(url).content.decode()
    assert "bezahlt am 12.09.2026" in content
    assert "offen:" not in content


@pytest.mark.django_db
def test_reminder_names_money_carried_over_from_a_cancelled_invoice(
    invoice, django_capture_on_commit_callbacks
):
    Payment.objects.create(
        invoice=invoice,
        amount=D("100.00"),
        paid_on=datetime.date(2026, 9, 1),
        reference="Übertrag von Rechnung RE-2026-00000",
        outcome=Payment.Outcome.TRANSFERRED,
    )

    [reminder] = remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks)

    assert "Übertrag von Rechnung RE-2026-00000 (Zahlung vom 01.09.2026): 100,00 €" in reminder.body
    assert "Noch offen: 149,68 €" in reminder.body


@pytest.mark.django_db
def test_no_reminder_asks_for_nothing_after_an_excess_payment(
    invoice, django_capture_on_commit_callbacks
):
    payment_record(invoice=invoice, amount=D("300.00"), paid_on=datetime.date(2026, 9, 3))

    assert remind(datetime.date(2026, 9, 10), django_capture_on_commit_callbacks) == []
    invoice.refresh_from_db()
    assert invoice.reminder_sent_at is None
    assert invoice.overdue_since == datetime.date(2026, 9, 10)
