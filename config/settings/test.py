"""Tests: fast password hashing, e-mails kept in memory, tasks in-process unless a
test starts a real worker (see tests/conftest.py)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]

PRIVATE_STORAGE_ROOT = Path(tempfile.mkdtemp(prefix="lizenzportal-test-"))
STORAGES = {
    **STORAGES,
    "default": {**STORAGES["default"], "OPTIONS": {"location": PRIVATE_STORAGE_ROOT}},
    "private": {**STORAGES["private"], "OPTIONS": {"location": PRIVATE_STORAGE_ROOT}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The real broker is only used by tests marked "worker"; everything else is eager.
REDIS_URL = env("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
