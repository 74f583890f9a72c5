"""The portal's Celery task: the nightly run, scheduled by beat in
``config/celery_app.py``. Thin: it takes a date and calls ``run_nightly``."""

import datetime
import logging

from celery import shared_task

from config import clock
from portal.nightly import NightlyRunBusy, run_nightly

logger = logging.getLogger(__name__)


@shared_task(name="portal.run_nightly")
def run_nightly_task(on: str | None = None) -> str:
    day = datetime.date.fromisoformat(on) if on else clock.today()
    try:
        return run_nightly(on=day).summary()
    except NightlyRunBusy as busy:  # another run works: nothing to retry
        logger.warning("%s", busy)
        return str(busy)
