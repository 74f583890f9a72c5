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

# Login hardening is switched on only by the tests that test it (tests/config/):
# Django's test Client.login() calls authenticate() without a request, which axes
# refuses, and force_login() leaves staff without a verified second factor.
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
OTP_REQUIRED_FOR_STAFF = env.bool("OTP_REQUIRED_FOR_STAFF", default=False)
