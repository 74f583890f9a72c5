"""The Celery application. Tasks are found in each app's ``tasks.py``.

Without ``REDIS_URL`` the settings switch Celery to eager mode, so the portal works
with no broker (tasks then run in-process when they are enqueued).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lizenzportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
