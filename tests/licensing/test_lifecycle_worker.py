"""End to end through a real Celery worker on the real Redis broker: activation
mails are sent by the worker after commit, a repeated send does nothing, and the
nightly task renews the order."""

import os
import time

import pytest
from django.core import mail
from django.db import OperationalError

from invoicing.models import Invoice
from licensing.confirmation import order_confirm
from licensing.models import LicenceYear, OutgoingMail
from licensing.terms import licence_year_end, next_year_start
from portal.models import NightlyRun
from tests.licensing.factories import priced_product, submitted_order
from tests.unavailable import unavailable

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The broker of REDIS_URL (the worker marker needs it set); its database is emptied.
BROKER_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def celery_worker_app():
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    import redis
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    try:
        redis.Redis.from_url(BROKER_URL).flushdb()
    except redis.ConnectionError:
        unavailable(f"Redis nicht erreichbar unter {BROKER_URL}")
    keys = ("broker_url", "task_always_eager", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=BROKER_URL, task_always_eager=False, result_backend=None)
    _forget_connections(app)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app) -> None:
    # Connections and producers cached while the app was eager (memory://) must
    # not be reused for the real broker, nor the other way round.
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OperationalError:  # SQLite table briefly locked by the worker thread
            pass
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_confirmation_mails_and_nightly_run_through_the_worker(celery_worker_app):
    from licensing.tasks import send_mail_task
    from portal.tasks import run_nightly_task

    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=2)

    year = order_confirm(order=order, by=None)  # enqueues after its commit

    wait_for(lambda: OutgoingMail.objects.filter(sent_at__isnull=False).count() == 2)
    assert len(mail.outbox) == 2
    assert all(entry.activated_at for entry in order.schools.all())

    for mail_id in OutgoingMail.objects.values_list("pk", flat=True):
        send_mail_task.delay(mail_id)  # a repeated send must not send again
    renewal_day = next_year_start(year.end_date)
    run_nightly_task.delay(renewal_day.isoformat())

    wait_for(lambda: NightlyRun.objects.filter(finished_at__isnull=False).exists())
    run = NightlyRun.objects.get()
    assert (run.renewals, run.failures) == (1, 0)
    assert LicenceYear.objects.filter(order=order, number=2).get().end_date == licence_year_end(
        renewal_day
    )
    # The nightly run also issued the first year's invoice; its mail goes through
    # the worker too. The activation mails were not sent again.
    wait_for(lambda: any(m.subject.startswith("Rechnung ") for m in mail.outbox))
    assert Invoice.objects.get(licence_year__number=1).status == Invoice.Status.ISSUED
    assert len([m for m in mail.outbox if not m.subject.startswith("Rechnung ")]) == 2
    assert OutgoingMail.objects.filter(attempts=1).count() == 2
