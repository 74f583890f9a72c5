"""The fast paths of the registration check give exactly the results of the
general code they short-cut: ``cell_text`` for any text, the e-mail check for any
address (compared with Django's ``validate_email``), the header normalisation,
the school name abbreviations in one pass."""

import difflib
import re
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from licensing.anmeldeliste import cell_text, normalise_header
from licensing.registration_rows import (
    ABBREVIATIONS,
    _abbreviated,
    _names_match,
    _similar,
    _similarity,
    email_is_valid,
)
from licensing.sheet_reader import CELL_SEPARATOR, COLUMN_SEPARATOR

INVISIBLE = str.maketrans(
    {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": "", "\u200c": "", "\ufeff": ""}
)


def general_cell_text(text: str) -> str:
    """What cell_text did for every string before it had a fast path."""
    return " ".join(text.translate(INVISIBLE).split())


def django_says_valid(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@given(st.text())
@example("Jürgen Müller-Lüdenscheid")
@example(" Weiß")
@example("Anne\u00a0Marie")
@example("Anne  Marie")
@example("Zoë\u200b")
@example("Ümit\t")
@example("a\u2028b")
@example("\u3000Özlem")
@settings(max_examples=500, deadline=None)
def test_cell_text_of_any_text_is_the_general_result(text):
    assert cell_text(text) == general_cell_text(text)


@pytest.mark.parametrize(
    "name", ["Jürgen", "Özlem Yılmaz", "Becker-Lüdenscheid", "Städt. Gymnasium Köln"]
)
def test_names_with_umlauts_take_the_fast_path_unchanged(name):
    assert cell_text(name) is name


EMAIL_PIECE = st.sampled_from(
    list("abcxyzABZ09._-+%@'!#$&*/=?^`{|}~\"[]:() \\ä߀ſK\u212a\u0130")
    + ["xn--", "..", "@@", "schule", ".de", "-"]
)


def email_text(min_size=0, max_size=40):
    return st.lists(EMAIL_PIECE, min_size=min_size, max_size=max_size).map("".join)


@given(
    st.one_of(
        st.emails(),
        email_text(),
        st.builds(
            lambda local, host, tld: f"{local}@{host}.{tld}",
            email_text(1, 12),
            email_text(1, 12),
            email_text(1, 6),
        ),
    )
)
@settings(max_examples=1500, deadline=None)
def test_email_check_agrees_with_validate_email(value):
    assert email_is_valid(value) == django_says_valid(value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("j.mueller@gym-koeln-muelheim.de", True),
        ("J.Mueller@Schule-Koeln.NRW.schule", True),
        ("sekretariat+anmeldung@schule.example.org", True),
        ("a@b.co", True),
        ("jürgen@schule.de", False),
        ("j@schüle.de", True),  # Unicode host names are Django's to judge
        ("j@[127.0.0.1]", True),
        ("j@localhost", True),
        ('"j..m"@schule.de', True),  # quoted local part
        ("j..m@schule.de", False),
        (".j@schule.de", False),
        ("j.@schule.de", False),
        ("j@schule", False),
        ("j@-schule.de", False),
        ("j@schule-.de", False),
        ("j@schule.d", False),
        ("j@schule.de.", False),
        ("j@schule.123", False),
        ("j@@schule.de", False),
        ("j@schule.de\n", False),
        ("j m@schule.de", False),
        ("j@" + "a" * 64 + ".de", False),
        ("j@" + "a" * 63 + ".de", True),
        ("x" * 310 + "@schule.de", True),  # 320 characters
        ("x" * 311 + "@schule.de", False),  # over 320 characters
        ("", False),
    ],
)
def test_email_table(value, valid):
    assert django_says_valid(value) is valid
    assert email_is_valid(value) is valid


@given(st.text(st.sampled_from(list("aäöüßAÄÖÜ-. 1Kk\u0130e\u0308")), max_size=20))
@example("Ansprechpartner E-Mail")
@example("Schulnr.")
@example("Zu\u0308rich")
@settings(max_examples=300, deadline=None)
def test_normalise_header_fast_path_is_the_general_result(text):
    assert normalise_header(text) == general_normalise_header(text)


@given(st.text())
@example("Städt. Gymnasium Köln-Mülheim (Sek. I/II) – Zweig 2")
@example("ECOLE FRANÇAISE, Zoë & Co.")
@example("AZaz09 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x7f\x00\t\n")
@settings(max_examples=500, deadline=None)
def test_normalise_header_of_any_text_is_the_general_result(text):
    assert normalise_header(text) == general_normalise_header(text)


def general_normalise_header(text: str) -> str:
    general = unicodedata.normalize("NFC", text).lower()
    general = general.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return "".join(c for c in general if c in "abcdefghijklmnopqrstuvwxyz0123456789")


@pytest.mark.parametrize(
    ("given", "directory", "match"),
    [
        ("Städt. Gymnasium Köln-Mülheim", "Städtisches Gymnasium Köln-Mülheim", True),
        ("Staedtisches Gymnasium Koeln Muelheim", "Städtisches Gymnasium Köln-Mülheim", True),
        ("Kath. Grundschule St. Maria", "Katholische Grundschule Sankt Maria", True),
        ("Ev. Grundschule Hauptstr.", "Evangelische Grundschule Hauptstraße", True),
        ("Bischöfl. Gymnasium", "Bischöfliches Gymnasium", True),
        ("Städt. Realschule Am Bach", "Städtische Realschule Am Bach", True),
        ("Humboldt-Gymnasim", "Humboldt-Gymnasium", True),  # a typo
        ("Humboldt", "Humboldt-Gymnasium", True),  # a part
        ("Städt. Gymnasium Köln", "Katholische Grundschule Bonn", False),
        ("Kath. Grundschule", "Evangelische Grundschule Am Park", False),
        ("Gymnasium Straßenbahn", "Realschule Am Markt", False),
    ],
)
def test_school_names_people_write_match_the_directory(given, directory, match):
    assert _names_match(given, directory) is match


def abbreviated_one_by_one(name: str) -> str:
    """What the name check did before its abbreviations were one pattern."""
    for pattern, short in ABBREVIATIONS:
        name = re.sub(pattern, short, name, flags=re.IGNORECASE)
    return normalise_header(name)


NAME_PIECE = st.sampled_from(
    ["Städt", "STÄDT", "städtische", "Städtisches", "Kath", "katholischer", "Ev", "evang",
     "Evangelische", "Bischöfl", "bischöfliches", "Sankt", "St", "ST", "Str", "str", "Straße",
     "STRASSE", "strasse", "Hauptstr", "Gymnasium", "e", "s", "n", "r", ".", " ", "-", "ß", "ẞ",
     "\u00a0", "1", "_"]
)  # fmt: skip


@given(st.lists(NAME_PIECE, max_size=12).map("".join))
@example("Kath.St.Maria Hauptstr.")
@example("Städt.Gymnasium Sankt-Augustin Evangelischestr. 5")
@example("Ev.Ang. Kath. Strasse")
@settings(max_examples=1000, deadline=None)
def test_abbreviations_in_one_pass_are_the_one_by_one_result(name):
    assert _abbreviated(name) == abbreviated_one_by_one(name)


@given(st.one_of(st.text(), st.text(st.sampled_from("ab \x1c\x1d\x1e\x1f\x85\u2028\t"))))
@example("a\x1fb")
@example("\x1e")
@settings(max_examples=500, deadline=None)
def test_cell_text_never_holds_the_separators_of_the_reader_answer(text):
    # The reader process sends a table's rows as one text split by these two.
    assert CELL_SEPARATOR not in cell_text(text)
    assert COLUMN_SEPARATOR not in cell_text(text)


def edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with letters left out, added or replaced (typos)."""
    letters = list(text)
    for kind, position, letter in edits:
        at = position % (len(letters) + 1)
        if kind == 0 and at < len(letters):
            del letters[at]
        elif kind == 1:
            letters.insert(at, letter)
        elif at < len(letters):
            letters[at] = letter
    return "".join(letters)


LETTERS = st.sampled_from("abcde")
EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 300), LETTERS), max_size=5)


@given(
    st.one_of(
        st.tuples(st.text(LETTERS, max_size=60), st.text(LETTERS, max_size=60)),
        st.builds(lambda b, edits: (edited(b, edits), b), st.text(LETTERS, max_size=199), EDITS),
        st.builds(lambda b, edits: (b, edited(b, edits)), st.text(LETTERS, max_size=199), EDITS),
    )
)
@example(("gymnasimneuesandkaul", "gymnasiumneuesandkaul"))
@example(("baaab", "babaab"))
@example(("", ""))
@example(("a" * 210, "a" * 205 + "b" * 5))  # 200 characters and more: difflib itself
@settings(max_examples=2000, deadline=None)
def test_name_similarity_is_what_difflib_says(pair):
    a, b = pair
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    assert _similarity(a, b) == ratio
    for threshold in (0.3, 0.6, 0.8, ratio):  # decided early or late, and on the tie
        assert _similar(a, b, threshold) == (ratio >= threshold)


def names_match_in_the_general_order(given: str, directory: str) -> bool:
    """The name check as first written: normalised forms, then abbreviations, then
    difflib's similarity."""
    if given == directory:
        return True
    a, b = general_normalise_header(given), general_normalise_header(directory)
    if not a or a == b or a in b or b in a:
        return True
    short_a, short_b = abbreviated_one_by_one(given), abbreviated_one_by_one(directory)
    if short_a == short_b or short_a in short_b or short_b in short_a:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.6


SCHOOL_NAME = st.lists(
    st.one_of(NAME_PIECE, st.sampled_from(["Köln", "Grundschule", "Am Park", "Mülheim", "a"])),
    max_size=10,
).map("".join)


@given(
    st.one_of(
        st.tuples(SCHOOL_NAME, SCHOOL_NAME),
        st.builds(lambda b, edits: (edited(b, edits), b), SCHOOL_NAME, EDITS),
        st.tuples(st.text(max_size=30), st.text(max_size=30)),
    )
)
@example(("Städt. Realschule Am Bach", "Städtische Realschule Am Bach"))
@example(("Kath. Grundschule", "Evangelische Grundschule Am Park"))
@example(("Ev. Str.", "Evangelische Straße"))
@settings(max_examples=1500, deadline=None)
def test_name_check_gives_the_verdict_of_the_general_order(pair):
    """Similarity is tried before the abbreviations (the cheaper way for typos):
    every pair of names gets the verdict it got with the checks in their first order."""
    given, directory = pair
    assert _names_match(given, directory) is names_match_in_the_general_order(given, directory)


CELL = st.one_of(
    st.text(st.sampled_from("ab |Ü ß\u00a0\u200b\t\n\x1f\x1e\x00"), max_size=6),
    st.sampled_from(["", " ", "Köln", "a  b", " x", "x ", "a| b", "a |b", "100001"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
)


@given(
    st.lists(st.lists(CELL, max_size=9), max_size=80),
    st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True),
)
@example([["x", " 100001", 2.0], [], ["", "", ""], [" a", "b ", "c"]], [1, 0])
@example([[1.0 * i, f"name {i}"] for i in range(70)] + [[3.0, "a  b"]], [0, 1])
@settings(max_examples=500, deadline=None)
def test_the_reader_text_made_by_column_is_the_rows_joined(body, columns):
    """The reader makes its answer's rows column by column in chunks of rows,
    taking clean string columns (in blocks) as they are: the same texts as the
    rows ``tables`` makes cell by cell, sent by column (``columns_text``), chunk by
    chunk, each chunk with rows (rows of different lengths, empty rows, several
    chunks)."""
    from licensing import sheet_reader
    from licensing.sheet_reader import CELL_SEPARATOR, COLUMN_SEPARATOR, tables

    def columns_text(rows: list[list]) -> bytes:  # the format, written plainly
        columns = zip(*rows, strict=True)
        return COLUMN_SEPARATOR.join(
            CELL_SEPARATOR.join(map(str, column)) for column in columns
        ).encode()

    aliases = {"schulnummer": "school_number", **{f"c{c}": f"k{c}" for c in columns}}
    header = ["Schulnummer"] + [f"c{c}" for c in range(8)]
    rows = [header, *body]
    by_cell = tables([["S", [list(row) for row in rows], 0, 0]], aliases, 30)[0]
    chunk = sheet_reader._CHUNK
    sheet_reader._CHUNK = 7  # several chunks (a fixture cannot go with @given)
    try:
        by_column = tables([["S", [list(row) for row in rows], 0, 0]], aliases, 30, True)[0]
        chunks = list(by_column[4].pop("chunks"))
    finally:
        sheet_reader._CHUNK = chunk
    table_by_cell, table_by_column = by_cell[4], by_column[4]
    rows_by_cell = [list(r) for r in table_by_cell.pop("rows")]
    sent = 0
    for count, text in chunks:
        assert count > 0
        assert text == columns_text(rows_by_cell[sent : sent + count])
        sent += count
    assert sent == len(rows_by_cell)
    assert len(chunks) == len({row[0] // 7 for row in rows_by_cell})  # one per chunk with rows
    assert table_by_column == table_by_cell
    assert by_column[:4] == by_cell[:4]
