"""Audit-log entries for rows written in bulk: ``bulk_create`` and ``bulk_update``
skip django-auditlog's signals, so a service that writes many rows at once
records them here in one insert, in the same form auditlog writes itself
(action, changed fields, actor). Rows a machine made without a user name their
``source`` (e.g. ``NIGHTLY_RUN``) in the entry's ``additional_data``."""

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models

NIGHTLY_RUN = "nightly run"


def _entry(instance: models.Model, action: int, changes: dict, actor, source: str = "") -> LogEntry:
    return LogEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance)[:2000],
        action=action,
        changes=changes,
        changes_text="",
        actor=actor if actor is not None and actor.is_authenticated else None,
        additional_data={"source": source} if source else None,
    )


def _created_changes(instance: models.Model) -> dict:
    """All field values of a new row, as auditlog records a creation."""
    excluded = set(auditlog.get_model_fields(type(instance))["exclude_fields"] or ())
    return {
        field.name: ["None", str(value)]
        for field in instance._meta.concrete_fields
        if field.name not in excluded
        and not field.primary_key
        and (value := getattr(instance, field.attname)) is not None
    }


def audit_log_bulk(
    *,
    created: list[models.Model] = (),
    updated: list[tuple[models.Model, dict[str, tuple]]] = (),
    actor=None,
    source: str = "",
) -> int:
    """Log ``created`` instances and ``updated`` (instance, {field: (old, new)})
    pairs of registered models as auditlog would (``source`` names the machine that
    wrote them when there is no ``actor``). Returns the number of entries written."""
    entries = [
        _entry(instance, LogEntry.Action.CREATE, _created_changes(instance), actor, source)
        for instance in created
        if auditlog.contains(type(instance))
    ]
    entries += [
        _entry(
            instance,
            LogEntry.Action.UPDATE,
            {name: [str(old), str(new)] for name, (old, new) in changes.items()},
            actor,
            source,
        )
        for instance, changes in updated
        if auditlog.contains(type(instance))
    ]
    LogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)
