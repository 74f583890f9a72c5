"""Audit-log entries for rows written in bulk: ``bulk_create`` and ``bulk_update``
skip django-auditlog's signals, so a service that writes many rows at once
records them here in one insert, in the same form auditlog writes itself
(action, changed fields, actor)."""

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models


def _entry(instance: models.Model, action: int, changes: dict, actor) -> LogEntry:
    return LogEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance)[:2000],
        action=action,
        changes=changes,
        changes_text="",
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def audit_log_bulk(
    *,
    created: list[models.Model] = (),
    updated: list[tuple[models.Model, models.Model]] = (),
    actor=None,
) -> int:
    """Log ``created`` instances and ``updated`` (old, new) pairs of registered
    models as auditlog would. Returns the number of entries written."""
    entries = []
    for instance in created:
        if auditlog.contains(type(instance)):
            changes = model_instance_diff(None, instance) or {}
            entries.append(_entry(instance, LogEntry.Action.CREATE, changes, actor))
    for old, new in updated:
        if auditlog.contains(type(new)):
            changes = model_instance_diff(old, new)
            if changes:
                entries.append(_entry(new, LogEntry.Action.UPDATE, changes, actor))
    LogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)
