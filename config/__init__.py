"""The project package: settings, URLs, the Celery app (loaded with Django so that
``shared_task`` binds to it) and the helpers every app may use."""

from config.celery_app import app as celery_app

__all__ = ("celery_app",)
