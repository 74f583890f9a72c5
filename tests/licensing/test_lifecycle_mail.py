import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from licensing.confirmation import order_reject
from licensing.models import OutgoingMail
from licensing.tasks import mail_retry_countdown, send_mail_task
from tests.licensing.factories import submitted_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_mail():
    order_reject(order=submitted_order(), reason="Doppelte Bestellung.", by=None)
    return OutgoingMail.objects.get()  # on_commit never ran: not yet sent


def test_mail_is_written_with_the_change_and_sent_once(stored_mail):
    assert stored_mail.sent_at is None
    send_mail_task.apply(args=[stored_mail.pk], throw=False)
    send_mail_task.apply(args=[stored_mail.pk], throw=False)
    assert len(mail.outbox) == 1
    stored_mail.refresh_from_db()
    assert stored_mail.sent_at is not None
    assert stored_mail.attempts == 1


def test_smtp_error_is_retried_and_then_sent_once(stored_mail, monkeypatch):
    calls = []
    real_send = EmailBackend.send_messages

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("Verbindung verloren")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    send_mail_task.apply(args=[stored_mail.pk], throw=False)

    assert len(calls) == 2
    assert len(mail.outbox) == 1
    stored_mail.refresh_from_db()
    assert stored_mail.sent_at is not None
    assert stored_mail.attempts == 2
    assert "Verbindung verloren" in stored_mail.last_error


def test_other_errors_are_not_retried(stored_mail, monkeypatch):
    calls = []

    def broken(self, messages):
        calls.append(1)
        raise ValueError("Vorlage kaputt")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    result = send_mail_task.apply(args=[stored_mail.pk], throw=False)
    assert isinstance(result.result, ValueError)
    assert len(calls) == 1
    stored_mail.refresh_from_db()
    assert stored_mail.sent_at is None


def test_backoff_is_bounded():
    assert [mail_retry_countdown(n) for n in (0, 1, 2, 10)] == [60, 120, 240, 1800]


@pytest.fixture
def stored_mails():
    for _i in range(3):
        order_reject(order=submitted_order(), reason="Doppelte Bestellung.", by=None)
    return list(OutgoingMail.objects.order_by("pk").values_list("pk", flat=True))


def test_a_chunk_is_sent_over_one_connection_each_mail_once(stored_mails, monkeypatch):
    from licensing.tasks import send_mails_task

    opened = []
    real_open = EmailBackend.open

    def counting_open(self):
        opened.append(1)
        return real_open(self)

    monkeypatch.setattr(EmailBackend, "open", counting_open)
    assert send_mails_task.apply(args=[stored_mails]).result == 3
    assert send_mails_task.apply(args=[stored_mails]).result == 3  # nothing left to send
    assert len(mail.outbox) == 3
    assert len(opened) == 2
    assert set(OutgoingMail.objects.values_list("attempts", flat=True)) == {1}


def test_an_smtp_error_in_a_chunk_keeps_what_went_and_retries_the_rest(
    stored_mails, monkeypatch, django_capture_on_commit_callbacks
):
    from licensing.tasks import send_mails_task

    calls = []
    real_send = EmailBackend.send_messages

    def second_fails_once(self, messages):
        calls.append(1)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("Verbindung verloren")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", second_fails_once)
    with django_capture_on_commit_callbacks(execute=True) as one_by_one:
        send_mails_task.apply(args=[stored_mails], throw=False)

    assert len(one_by_one) == 2  # the failed mail and the one after it
    assert sorted(m.to for m in mail.outbox) == sorted(
        OutgoingMail.objects.values_list("to", flat=True)
    )
    assert OutgoingMail.objects.filter(sent_at=None).count() == 0
    attempts = dict(OutgoingMail.objects.values_list("pk", "attempts"))
    assert [attempts[pk] for pk in stored_mails] == [1, 2, 1]
