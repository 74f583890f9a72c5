"""The nightly work (R12), in order: renewal notices, renewals, expiries, invoice
issuing, overdue checks and reminders, re-sending mails a dead worker left behind,
and forgetting old rule-check passes. Each step is isolated: a failing step is
recorded and the others still run. The run and what it did are stored in
``NightlyRun`` for the publisher's staff (admin). Only one run works at a time
(``NightlyLock``); a second one raises ``NightlyRunBusy``."""

import contextlib
import datetime
import logging
import time
import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from invoicing import issuing, reminders, rule_check
from licensing import outbox, renewals
from portal.models import NightlyLock, NightlyRun

logger = logging.getLogger(__name__)


def _steps() -> list[tuple[str, Callable]]:
    # Looked up at call time so that the implementation (and test doubles) are
    # used as they are then.
    return [
        ("notices", renewals.renewal_notices_send),
        ("renewals", renewals.licence_years_renew),
        ("expiries", renewals.orders_expire),
        ("invoices_issued", issuing.invoices_issue_due),
        ("overdue", reminders.invoices_mark_overdue),
        ("second_reminders", reminders.invoices_send_second_reminder),
        ("mails_requeued", outbox.outgoing_mails_requeue),
        ("rule_checks_pruned", rule_check.rule_check_passes_prune),
    ]


LOCK_NAME = "nightly"
# A run holding the lock longer than this is taken to have crashed.
LOCK_STALE_AFTER = datetime.timedelta(hours=6)


class NightlyRunBusy(Exception):
    """Another nightly run holds the lock; this one did nothing."""


def _lock_acquire() -> str | None:
    """Take the lock; the holder token, or None while another run holds it."""
    now = timezone.now()
    token = uuid.uuid4().hex
    try:
        # IntegrityError: created by a run starting at the same moment.
        with contextlib.suppress(IntegrityError):
            NightlyLock.objects.get_or_create(name=LOCK_NAME)
        taken = (
            NightlyLock.objects.filter(name=LOCK_NAME)
            .filter(Q(holder="") | Q(acquired_at__lt=now - LOCK_STALE_AFTER))
            .update(holder=token, acquired_at=now)
        )
    except OperationalError:  # SQLite: the other run is writing ("database is locked")
        return None
    return token if taken else None


def _lock_release(token: str) -> None:
    NightlyLock.objects.filter(name=LOCK_NAME, holder=token).update(holder="", acquired_at=None)


def _busy_message() -> str:
    try:
        started = (
            NightlyLock.objects.filter(name=LOCK_NAME).values_list("acquired_at", flat=True).first()
        )
    except OperationalError:
        started = None
    when = date_format(timezone.localtime(started), "DATETIME_FORMAT") if started else "?"
    return _(
        "Ein anderer Nachtlauf läuft bereits (seit %(since)s). Dieser Lauf wurde nicht "
        "gestartet; bitte warten Sie, bis der andere fertig ist."
    ) % {"since": when}


def run_nightly(*, on: datetime.date, wait_seconds: float = 0) -> NightlyRun:
    """Do everything due up to ``on``; safe to run twice, late, or after a crash.
    While another run works, waits up to ``wait_seconds`` for it to finish, then
    raises ``NightlyRunBusy`` (with a German message)."""
    deadline = time.monotonic() + wait_seconds
    token = _lock_acquire()
    while token is None and time.monotonic() < deadline:
        time.sleep(1)
        token = _lock_acquire()
    if token is None:
        raise NightlyRunBusy(_busy_message())
    try:
        return _run_steps(on=on)
    finally:
        _lock_release(token)


def _run_steps(*, on: datetime.date) -> NightlyRun:
    run = NightlyRun.objects.create(on=on, log={"steps": {}, "failures": []})
    log: dict = {"steps": {}, "failures": []}
    for name, step in _steps():
        try:
            outcome = step(on=on)
        except Exception as exc:  # isolate the step; record and go on
            logger.exception("nightly step %s failed for %s", name, on)
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            log["failures"].append(
                {"step": name, "item": "", "error": f"{type(exc).__name__}: {message}"}
            )
            continue
        count = outcome.count
        log["steps"][name] = {"count": count, "done": outcome.done}
        log["failures"].extend(outcome.failed)
        if hasattr(run, name):
            setattr(run, name, count)
        # Keep what is done so far visible even if a later step crashes the process.
        run.log = log
        run.save()
    run.failures = len(log["failures"])
    run.finished_at = timezone.now()
    run.log = log
    run.save()
    logger.info(run.summary())
    return run
