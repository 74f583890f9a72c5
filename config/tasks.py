"""The base class of the portal's Celery tasks: enqueued after the database
transaction commits (modelled on pretix's ``TransactionAwareTask``).

A task enqueued inside ``transaction.atomic()`` must not reach a worker before the
rows it will read are committed, and must not run at all when the transaction
rolls back. ``delay``/``apply_async`` therefore hand the enqueueing to
``transaction.on_commit`` while an atomic block is open, and enqueue at once
otherwise. Without a broker (no ``REDIS_URL``) Celery runs tasks eagerly, so they
still run in-process, after the commit.
"""

import functools

from celery import Task
from django.db import transaction


class TransactionAwareTask(Task):
    abstract = True

    def apply_async(self, args=None, kwargs=None, **options):
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(
                functools.partial(super().apply_async, args=args, kwargs=kwargs, **options)
            )
            return None
        return super().apply_async(args=args, kwargs=kwargs, **options)
