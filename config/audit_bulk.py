"""Audit-log entries for rows written in bulk: ``bulk_create`` and ``bulk_update``
skip django-auditlog's signals, so a service that writes many rows at once
records them here, in the same form auditlog writes itself (action, changed
fields, actor). Rows a machine made without a user name their ``source`` (e.g.
``NIGHTLY_RUN``) in the entry's ``additional_data``. On PostgreSQL the entries
go in by one ``COPY`` (a renewal night writes hundreds of thousands of them);
elsewhere by ``bulk_create``."""

import json

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

NIGHTLY_RUN = "nightly run"

COLUMNS = (
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "changes_text",
    "actor_id",
    "additional_data",
    "timestamp",
)


class _Rows:
    """Rows of ``COLUMNS`` for one ``audit_log_bulk`` call."""

    def __init__(self, actor, source: str) -> None:
        authenticated = actor is not None and actor.is_authenticated
        self.actor_id = actor.pk if authenticated else None
        self.additional = {"source": source} if source else None
        self.now = timezone.now()
        self.rows: list[tuple] = []
        self._excluded: dict[type, set[str]] = {}

    def add(self, instance: models.Model, action: int, changes: dict) -> None:
        self.rows.append(
            (
                ContentType.objects.get_for_model(instance).pk,
                str(instance.pk),
                instance.pk if isinstance(instance.pk, int) else None,
                str(instance)[:2000],
                action,
                changes,
                "",
                self.actor_id,
                self.additional,
                self.now,
            )
        )

    def created_changes(self, instance: models.Model) -> dict:
        """All field values of a new row, as auditlog records a creation."""
        model = type(instance)
        if model not in self._excluded:
            self._excluded[model] = set(auditlog.get_model_fields(model)["exclude_fields"] or ())
        excluded = self._excluded[model]
        return {
            field.name: ["None", str(value)]
            for field in instance._meta.concrete_fields
            if field.name not in excluded
            and not field.primary_key
            and (value := getattr(instance, field.attname)) is not None
        }


def _write(rows: list[tuple]) -> None:
    if connection.vendor != "postgresql":
        LogEntry.objects.bulk_create(
            [LogEntry(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    json_columns = {COLUMNS.index("changes"), COLUMNS.index("additional_data")}
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(value) if i in json_columns and value is not None else value
                    for i, value in enumerate(row)
                ]
            )


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
    rows = _Rows(actor, source)
    for instance in created:
        if auditlog.contains(type(instance)):
            rows.add(instance, LogEntry.Action.CREATE, rows.created_changes(instance))
    for instance, changes in updated:
        if auditlog.contains(type(instance)):
            changed = {name: [str(old), str(new)] for name, (old, new) in changes.items()}
            rows.add(instance, LogEntry.Action.UPDATE, changed)
    if rows.rows:
        _write(rows.rows)
    return len(rows.rows)
