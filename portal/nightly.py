"""The nightly work (R12), in order: renewal notices, renewals, expiries, invoice
issuing, overdue checks and reminders, and re-sending mails a dead worker left behind. Each step
is isolated: a failing step is recorded and the others still run. The run and what
it did are stored in ``NightlyRun`` for the publisher's staff (admin)."""

import datetime
import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone

from invoicing import issuing, reminders
from licensing import outbox, renewals
from portal.models import NightlyRun

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
    ]


def run_nightly(*, on: datetime.date) -> NightlyRun:
    """Do everything due up to ``on``; safe to run twice, late, or after a crash."""
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
