"""The result of checking a registration list (R1-R3, R8), as the user sees it
before the binding order; stored as JSON with the upload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from licensing.terms import is_majority, majority_needed


@dataclass(slots=True)
class RowError:
    """One problem of one row, named by sheet row and column as Excel shows them."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Zeile %(row)s, Spalte %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class TypeFigure:
    """R1 for one school type: registered of total, and the fewest that are more
    than half (``terms.majority_needed``)."""

    school_type_id: int
    name: str
    registered: int
    total: int
    bulk_price: str | None = None  # Decimal as text (JSON)
    subtotal: str | None = None

    @property
    def needed(self) -> int:
        return majority_needed(self.total)

    @property
    def passed(self) -> bool:
        return is_majority(registered=self.registered, total=self.total)


@dataclass(slots=True)
class EntryRow:
    """A valid row: the school and its contact person."""

    row: int
    school_id: int
    school_number: str
    school_name: str
    school_type_id: int
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass
class RefundNote:
    """R8: what a superseded individual licence would get back (as text, JSON)."""

    school_number: str
    school_name: str
    term: str
    paid: str
    amount: str | None  # None: three months or less remain, no refund
    remaining_days: int | None
    term_days: int | None


@dataclass
class RegistrationResult:
    """Everything the check found; stored as JSON on the upload (``to_dict``)."""

    row_errors: list[RowError] = field(default_factory=list)
    list_errors: list[str] = field(default_factory=list)
    entries: Sequence[EntryRow] = field(default_factory=list)
    figures: list[TypeFigure] = field(default_factory=list)
    missing_schools: list[dict] = field(default_factory=list)
    licensed_schools: list[dict] = field(default_factory=list)
    refunds: list[RefundNote] = field(default_factory=list)
    total_price: str = "0.00"
    assumed_start: str = ""
    row_count: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.row_errors and not self.list_errors and bool(self.entries)

    @property
    def messages(self) -> list[str]:
        """Every problem as one line, rows first (the command's output)."""
        return [str(error) for error in self.row_errors] + list(self.list_errors)

    def to_dict(self) -> dict:
        """What is stored: ``dataclasses.asdict``, except that the entries and row
        errors (thousands for a long list) are columns, one list of values per
        field (``{"row": [2, 3, ...], "school_id": [...], ...}``), not one
        object per row: half the JSON, and the database stores and reads it
        2-3 times faster. ``from_dict`` also reads results stored row by row."""
        return {
            "row_errors": _columns(self.row_errors, RowError),
            "list_errors": [str(message) for message in self.list_errors],
            "entries": _columns(self.entries, EntryRow),
            "figures": [dict(vars(figure)) for figure in self.figures],
            "missing_schools": [dict(school) for school in self.missing_schools],
            "licensed_schools": [dict(school) for school in self.licensed_schools],
            "refunds": [dict(vars(refund)) for refund in self.refunds],
            "total_price": self.total_price,
            "assumed_start": self.assumed_start,
            "row_count": self.row_count,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RegistrationResult:
        return cls(
            row_errors=_items(data.get("row_errors", []), RowError),
            list_errors=list(data.get("list_errors", [])),
            entries=_items(data.get("entries", []), EntryRow),
            figures=[TypeFigure(**f) for f in data.get("figures", [])],
            missing_schools=list(data.get("missing_schools", [])),
            licensed_schools=list(data.get("licensed_schools", [])),
            refunds=[RefundNote(**r) for r in data.get("refunds", [])],
            total_price=data.get("total_price", "0.00"),
            assumed_start=data.get("assumed_start", ""),
            row_count=data.get("row_count", 0),
        )


def _columns(items, kind: type) -> dict[str, list]:
    """``items`` (of the slotted dataclass ``kind``) as one list per field."""
    return {name: column_of(items, name) for name in kind.__slots__}


def column_of(items, name: str) -> list:
    """The field ``name`` of every item: as stored for ``StoredItems``."""
    if isinstance(items, StoredItems):
        return items.column(name)
    return [getattr(item, name) for item in items]


class StoredItems(Sequence):
    """Items read from their stored columns (``_columns``), each made when it is
    asked for: the preview of a stored list writes its rows from the columns
    (``column_of``) and never needs the 1,000 objects."""

    def __init__(self, columns: dict[str, list], kind: type) -> None:
        self._columns = [columns[name] for name in kind.__slots__]
        self._by_name = dict(zip(kind.__slots__, self._columns, strict=True))
        self._kind = kind
        if len({len(column) for column in self._columns}) > 1:
            raise ValueError("stored columns of different lengths")

    @classmethod
    def from_rows(cls, rows: list[tuple], kind: type) -> StoredItems:
        """The items of ``rows``, each a tuple of the fields of ``kind`` in order:
        the row check collects its entries so, as plain tuples, not 1,000 objects."""
        columns = list(map(list, zip(*rows, strict=True))) or [[] for _name in kind.__slots__]
        return cls(dict(zip(kind.__slots__, columns, strict=True)), kind)

    def column(self, name: str) -> list:
        return self._by_name[name]

    def __len__(self) -> int:
        return len(self._columns[0]) if self._columns else 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(map(self._kind, *(column[index] for column in self._columns)))
        return self._kind(*(column[index] for column in self._columns))

    def __iter__(self):
        return map(self._kind, *self._columns)

    def __eq__(self, other) -> bool:
        if isinstance(other, StoredItems | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"StoredItems({list(self)!r})"


def _items(stored, kind: type):
    """The items of a field stored by ``_columns`` (``StoredItems``), or as a list
    of objects (as results were stored until December 2026)."""
    if isinstance(stored, dict):
        return StoredItems(stored, kind)
    return [kind(**item) for item in stored]
