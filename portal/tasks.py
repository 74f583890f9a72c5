"""The portal's Celery task: the nightly run, scheduled by beat in
``config/celery_app.py``. Thin: it takes a date and calls ``run_nightly``."""

import datetime

from celery import shared_task

from config import clock
from portal.nightly import run_nightly


@shared_task(name="portal.run_nightly")
def run_nightly_task(on: str | None = None) -> str:
    day = datetime.date.fromisoformat(on) if on else clock.today()
    return run_nightly(on=day).summary()
