"""The Celery application. Tasks are found in each app's ``tasks.py``.

Without ``REDIS_URL`` the settings switch Celery to eager mode, so the portal works
with no broker (tasks then run in-process when they are enqueued).

The nightly schedule lives here, in one place: ``celery -A config.celery_app beat``
starts ``portal.run_nightly`` every night at 02:30 Europe/Berlin
(``CELERY_TIMEZONE``); the same work runs without Celery as
``python manage.py run_nightly``. ``NIGHTLY_INTERVAL_SECONDS`` (for the smoke test
only, never in production) replaces the nightly time by an interval in seconds.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lizenzportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_interval = os.environ.get("NIGHTLY_INTERVAL_SECONDS", "").strip()
app.conf.beat_schedule = {
    "nightly-lifecycle-and-invoicing": {
        "task": "portal.run_nightly",
        "schedule": float(_interval) if _interval else crontab(hour=2, minute=30),
    },
}
