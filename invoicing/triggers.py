"""PostgreSQL triggers that keep issued documents immutable below the ORM
(§ 14 UStG, GoBD), built with django-pgtrigger from the same declarations the
models use (``models.INVOICE_TRANSITIONS`` …, ``INVOICE_MUTABLE_AFTER_ISSUE`` …):

- a status may only change along the declared transitions (never back to draft);
- an issued document's snapshot fields never change, its stored files are
  written once, and it is never deleted;
- lines are never added to, changed on or removed from an issued document.

The model and queryset checks give the German message; the triggers are the
guarantee for everything that goes around them (raw SQL, other clients)."""

import functools
import operator
from collections.abc import Iterable

import pgtrigger

DOCUMENT_FILE_FIELDS = ("pdf", "xml", "pdf_sha256", "xml_sha256")


def transition_pairs(transitions: dict) -> list[tuple[str, str]]:
    """The (from, to) pairs of a transitions table ``{action: (sources, target)}``."""
    pairs = {(source, target) for sources, target in transitions.values() for source in sources}
    return sorted((str(source), str(target)) for source, target in pairs)


class _SnapshotChanged(pgtrigger.Condition):
    """An issued row (``status`` not draft) whose fields other than ``mutable``
    change. Resolved against the model, so new fields are frozen by default."""

    def __init__(self, mutable: Iterable[str]):
        self.mutable = frozenset(mutable)
        super().__init__(sql="-")

    def resolve(self, model) -> str:
        frozen = [f.name for f in model._meta.fields if f.name not in self.mutable]
        changed = functools.reduce(
            operator.or_,
            [pgtrigger.Q(**{f"old__{name}__df": pgtrigger.F(f"new__{name}")}) for name in frozen],
        )
        return (~pgtrigger.Q(old__status="draft") & changed).resolve(model)


def _file_replaced() -> pgtrigger.Q:
    return functools.reduce(
        operator.or_,
        [
            ~pgtrigger.Q(**{f"old__{name}": ""})
            & pgtrigger.Q(**{f"old__{name}__df": pgtrigger.F(f"new__{name}")})
            for name in DOCUMENT_FILE_FIELDS
        ],
    )


def document_triggers(
    *, prefix: str, mutable: Iterable[str], transitions_by_kind: dict[str | None, dict]
) -> list:
    """The triggers of an issued-document table (invoices, refunds). Each entry of
    ``transitions_by_kind`` declares the status machine of one ``kind`` (None: the
    table has no kinds)."""
    triggers = [
        pgtrigger.FSM(
            name=f"{prefix}_status_{kind or 'all'}",
            field="status",
            transitions=transition_pairs(transitions),
            condition=pgtrigger.Q(old__kind=kind) if kind else None,
        )
        for kind, transitions in transitions_by_kind.items()
    ]
    return triggers + [
        pgtrigger.Protect(
            name=f"{prefix}_snapshot_frozen",
            operation=pgtrigger.Update,
            condition=_SnapshotChanged(mutable),
        ),
        pgtrigger.Protect(
            name=f"{prefix}_files_once", operation=pgtrigger.Update, condition=_file_replaced()
        ),
        pgtrigger.Protect(
            name=f"{prefix}_issued_kept",
            operation=pgtrigger.Delete,
            condition=~pgtrigger.Q(old__status="draft"),
        ),
    ]


def line_triggers(*, document_table: str) -> list:
    """Lines of an issued document: no INSERT, UPDATE or DELETE (``invoice_id``
    of the old and of the new row)."""
    issued = f"SELECT 1 FROM {document_table} WHERE id = %s AND status <> 'draft'"
    return [
        pgtrigger.Trigger(
            name="line_of_issued_document",
            when=pgtrigger.Before,
            operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
            func=f"""
                IF TG_OP <> 'INSERT' AND EXISTS ({issued % "OLD.invoice_id"}) THEN
                    RAISE EXCEPTION 'pgtrigger: lines of issued document % are frozen',
                        OLD.invoice_id;
                END IF;
                IF TG_OP <> 'DELETE' AND EXISTS ({issued % "NEW.invoice_id"}) THEN
                    RAISE EXCEPTION 'pgtrigger: lines of issued document % are frozen',
                        NEW.invoice_id;
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            """,
        )
    ]
