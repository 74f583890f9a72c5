"""A large order's activation mails: written by the sending task (not in the
confirming request), sent in batches over one connection, each exactly once, and
a failing mail neither loses nor repeats the others."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from licensing.confirmation import order_confirm
from licensing.models import OutgoingMail
from licensing.outbox import MAIL_CHUNK
from licensing.tasks import send_mails_task
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(set_today):
    set_today(datetime.date(2026, 7, 1))
    product, school_type = priced_product()
    order = submitted_order(product=product, school_type=school_type, schools=4)
    order_confirm(order=order, start_date=datetime.date(2026, 8, 1))  # on_commit not run
    return order


def ids(order) -> list[int]:
    """The schools' activation mails (the buyer's one confirmation mail is written at once)."""
    activations = OutgoingMail.objects.filter(order=order, kind=OutgoingMail.Kind.ACTIVATION)
    return list(activations.order_by("pk").values_list("pk", flat=True))


def test_confirming_stores_the_mails_unwritten_and_the_task_writes_and_sends_them(confirmed):
    activations = OutgoingMail.objects.filter(kind=OutgoingMail.Kind.ACTIVATION)
    assert set(activations.values_list("subject", "body")) == {("", "")}
    assert OutgoingMail.objects.get(kind=OutgoingMail.Kind.CONFIRMATION).subject
    send_mails_task.apply(args=[ids(confirmed)])
    send_mails_task.apply(args=[ids(confirmed)])  # never twice
    assert len(mail.outbox) == 4
    stored = OutgoingMail.objects.get(order_school__contact_email=mail.outbox[0].to[0])
    assert stored.subject == mail.outbox[0].subject and "freigeschaltet" in stored.body
    assert stored.attempts == 1 and stored.sent_at is not None
    assert not confirmed.schools.filter(activated_at=None).exists()
    assert not confirmed.schools.filter(activation_email_sent_at=None).exists()


def test_a_transient_failure_keeps_the_sent_and_retries_the_rest_one_by_one(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    real_send = EmailBackend.send_messages

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 3:
            raise smtplib.SMTPServerDisconnected("Verbindung verloren")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with django_capture_on_commit_callbacks(execute=True):  # the retries, one by one
        assert send_mails_task.apply(args=[ids(confirmed)]).result == 2

    assert len(mail.outbox) == 4  # the two sent first, then the rest one by one
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        confirmed.schools.values_list("contact_email", flat=True)
    )
    activations = OutgoingMail.objects.filter(kind=OutgoingMail.Kind.ACTIVATION)
    assert list(activations.order_by("pk").values_list("attempts", flat=True)) == [1, 1, 2, 1]
    assert not activations.filter(sent_at=None).exists()


def test_a_large_order_goes_out_in_batches(set_today, django_capture_on_commit_callbacks):
    set_today(datetime.date(2026, 7, 1))
    product, school_type = priced_product()
    order = submitted_order(product=product, school_type=school_type, schools=MAIL_CHUNK + 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_confirm(order=order, start_date=datetime.date(2026, 8, 1))
    assert len(callbacks) == 2  # two batches (50 + 1) of mails, not 51 tasks
