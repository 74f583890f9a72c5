"""A stored check result's entries and row errors are read as ``StoredItems``: the
stored columns, each item made only when asked for."""

import pytest

from licensing.registration_result import (
    EntryRow,
    RegistrationResult,
    RowError,
    StoredItems,
    column_of,
)

ENTRIES = [
    EntryRow(2, 7, "100001", "GS Süd", 1, "Anna", "Weiß", "a@b.de", ""),
    EntryRow(3, 8, "100002", "GS Nord", 1, "Jörg", "Ümit", "j@b.de", "0221 / 1"),
    EntryRow(4, 9, "100003", "GS West", 2, "Ole", "Ohm", "o@b.de", ""),
]
RESULT = RegistrationResult(
    entries=ENTRIES, row_errors=[RowError(5, "E-Mail", "fehlt")], row_count=4
)


def test_a_stored_result_reads_back_equal_with_its_columns_as_stored():
    stored = RESULT.to_dict()
    read = RegistrationResult.from_dict(stored)

    assert isinstance(read.entries, StoredItems)
    assert read == RESULT
    assert RESULT.entries == read.entries  # a list compared with stored items
    assert column_of(read.entries, "school_name") is stored["entries"]["school_name"]
    assert read.to_dict() == stored


def test_stored_items_behave_as_the_list_of_items():
    items = StoredItems(RESULT.to_dict()["entries"], EntryRow)

    assert len(items) == 3 and bool(items)
    assert items[1] == ENTRIES[1] and items[-1] == ENTRIES[-1]
    assert items[1:] == ENTRIES[1:]
    assert list(items) == ENTRIES
    assert items == ENTRIES and items != ENTRIES[:2] and items != [*ENTRIES[:2], ENTRIES[0]]
    assert not StoredItems({name: [] for name in EntryRow.__slots__}, EntryRow)
    assert column_of(ENTRIES, "row") == column_of(items, "row") == [2, 3, 4]


def test_stored_columns_of_different_lengths_are_refused():
    columns = RESULT.to_dict()["entries"]
    columns["email"] = columns["email"][:2]
    with pytest.raises(ValueError):
        StoredItems(columns, EntryRow)


def test_items_from_rows_of_fields_are_the_items_and_store_as_columns():
    rows = [tuple(getattr(entry, name) for name in EntryRow.__slots__) for entry in ENTRIES]
    items = StoredItems.from_rows(rows, EntryRow)

    assert items == ENTRIES and list(items) == ENTRIES
    assert column_of(items, "email") == ["a@b.de", "j@b.de", "o@b.de"]
    assert RegistrationResult(entries=items).to_dict()["entries"] == RESULT.to_dict()["entries"]
    assert len(StoredItems.from_rows([], EntryRow)) == 0
    with pytest.raises(ValueError):  # a row with a field too few
        StoredItems.from_rows([rows[0], rows[1][:-1]], EntryRow)
