"""The portal's Celery task: the nightly run, scheduled by beat in
``config/celery_app.py``. Thin: it takes a date and calls ``run_nightly``."""

import datetime
import logging

from celery import shared_task

from config import clock
from portal.nightly import NightlyRunBusy, run_nightly

logger = logging.getLogger(__name__)
WAIT_FOR_OTHER_RUN_SECONDS = 600


@shared_task(name="portal.run_nightly")
def run_nightly_task(on: str | None = None) -> str:
    day = datetime.date.fromisoformat(on) if on else clock.today()
    try:
        # A run started by hand while beat's run works waits for it instead of
        # being lost.
        return run_nightly(on=day, wait_seconds=WAIT_FOR_OTHER_RUN_SECONDS).summary()
    except NightlyRunBusy as busy:  # still busy after the wait: give up, say so
        logger.warning("%s", busy)
        return str(busy)
