"""R3: the row checks of a registration list against the school directory, with
a fixed number of queries whatever the number of rows (the authority's schools
and the listed foreign numbers, one query each)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from licensing.anmeldeliste import ParsedList, ParsedRow, normalise_header
from licensing.registration_result import EntryRow, RowError, StoredItems
from schools.models import School, SchoolAuthority

NAME_MAX = 100
PHONE_MAX = 50
EMAIL_MAX = 254  # OrderSchool.contact_email (EmailField); validate_email allows 320
CONTACT_KEYS = ("first_name", "last_name", "email", "phone")
_PHONE = re.compile(r"^[0-9 +()/.\-]+$")


@dataclass(slots=True)
class DirectorySchool:
    pk: int
    school_number: str
    name: str
    is_active: bool
    school_type_id: int
    type_name: str
    type_key: str
    # normalise_header(name), set by ``normalise_names`` (while the file is read)
    name_key: str | None = None


def normalise_names(directory: dict[str, DirectorySchool]) -> None:
    """Give every school its ``name_key`` (the directory half of the name check)."""
    for school in directory.values():
        school.name_key = normalise_header(school.name)


def directory_schools(*, authority: SchoolAuthority) -> dict[str, DirectorySchool]:
    """Every school of the authority (active or not) by number (1 query): for the
    row checks, the R1 totals and the missing schools."""
    return {
        row[1]: DirectorySchool(*row)
        for row in School.objects.filter(authority=authority).values_list(
            "id",
            "school_number",
            "name",
            "is_active",
            "school_type_id",
            "school_type__name",
            "school_type__key",
        )
    }


def _number_candidates(raw: str) -> list[str]:
    """The school number as written, and with the leading zeros Excel drops when
    it turns a text number into a number (NRW numbers have six digits)."""
    number = raw.replace(" ", "")
    if number.isdigit() and len(number) < 6:
        return [number, number.zfill(6)]
    return [number]


# Addresses as nearly all lists have them (ASCII dot-atom local part, ASCII host
# names with a letter TLD): each one is also valid for Django's validate_email,
# which judges every other address (tests/licensing/test_registration_fast_paths.py).
_COMMON_EMAIL = re.compile(
    r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def email_is_valid(email: str) -> bool:
    """Exactly Django's ``validate_email``, without its cost for common addresses."""
    if len(email) <= 320 and _COMMON_EMAIL.fullmatch(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _missing_name_message(key: str) -> str:
    if key == "first_name":
        return _("Der Vorname des Ansprechpartners fehlt.")
    return _("Der Nachname des Ansprechpartners fehlt.")


# The abbreviations of school names, each with its long forms: both names are
# brought to the short form before they are compared once more.
ABBREVIATIONS = (
    (r"\bstädt(?:ische[nrs]?\b|\.)", "städt "),
    (r"\bkath(?:olische[nrs]?\b|\.)", "kath "),
    (r"\bev(?:angelische[nrs]?\b|ang\.|\.)", "ev "),
    (r"\bbischöfl(?:iche[nrs]?\b|\.)", "bischöfl "),
    (r"\bsankt\b|\bst\.", "st "),
    (r"stra(?:ße|sse)\b|str\.", "str "),
)
# All of them in one pass: their matches cannot overlap (each begins with its own
# letters) and a short form (ending in a space) makes or breaks no other match,
# so this is the same as applying them one after the other
# (tests/licensing/test_registration_fast_paths.py).
_ABBREVIATION = re.compile(
    "|".join(f"({pattern})" for pattern, _short in ABBREVIATIONS), re.IGNORECASE
)
_SHORT_FORMS = [None] + [short for _pattern, short in ABBREVIATIONS]


def _short_form(match: re.Match) -> str:
    return _SHORT_FORMS[match.lastindex]


def _abbreviated(name: str) -> str:
    return normalise_header(_ABBREVIATION.sub(_short_form, name))


def _names_match(given: str, directory: str, directory_normalised: str | None = None) -> bool:
    """Loose check of the school name (R3): the user may abbreviate ("Städt."
    for "Städtisches", "Str." for "Straße"), write ae for ä, drop hyphens or
    words, or mistype a little (similarity of at least 0.6).
    ``directory_normalised``: ``normalise_header(directory)`` when known."""
    if given == directory:
        return True
    a = normalise_header(given)
    b = normalise_header(directory) if directory_normalised is None else directory_normalised
    if not a or a == b or a in b or b in a:
        return True
    # Similarity before abbreviations: a name with a typo (most names that reach
    # this point) is similar enough, and the two abbreviation passes cost more
    # than the similarity (~11 vs ~10 us). Either order, the same verdict.
    if _similar(a, b):
        return True
    short_a, short_b = _abbreviated(given), _abbreviated(directory)
    return short_a == short_b or short_a in short_b or short_b in short_a


def _similarity(a: str, b: str) -> float:
    """``difflib.SequenceMatcher(None, a, b).ratio()``, computed with substring
    search instead of difflib's character loops where that is the same: for
    ``b`` shorter than 200 characters (no "popular" characters then, so every
    matching block is a longest common substring, the earliest in ``a``, then
    in ``b``; tests/licensing/test_registration_fast_paths.py)."""
    if len(b) >= 200:
        return difflib.SequenceMatcher(None, a, b).ratio()
    if not a and not b:
        return 1.0
    matched = 0
    queue = [(0, len(a), 0, len(b))]
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = _longest_match(a, b, alo, ahi, blo, bhi)
        if k:
            matched += k
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    return 2.0 * matched / (len(a) + len(b))


def _similar(a: str, b: str, threshold: float = 0.6) -> bool:
    """``_similarity(a, b) >= threshold``, decided as soon as the characters
    matched so far reach it, or can no longer reach it with all that is left to
    search (most names with a typo: after their two longest matching blocks)."""
    total = len(a) + len(b)
    if len(b) >= 200 or not total:
        return _similarity(a, b) >= threshold
    matched = 0
    unsearched = min(len(a), len(b))  # the most the queued ranges can still match
    queue = [(0, len(a), 0, len(b))]
    while queue:
        if 2.0 * matched / total >= threshold:
            return True
        if 2.0 * (matched + unsearched) / total < threshold:
            return False
        alo, ahi, blo, bhi = queue.pop()
        unsearched -= min(ahi - alo, bhi - blo)
        i, j, k = _longest_match(a, b, alo, ahi, blo, bhi)
        if k:
            matched += k
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
                unsearched += min(i - alo, j - blo)
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
                unsearched += min(ahi - i - k, bhi - j - k)
    return 2.0 * matched / total >= threshold


def _longest_match(a: str, b: str, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """The longest common substring of ``a[alo:ahi]`` and ``b[blo:bhi]`` as
    ``(i, j, size)``: of the longest, the one starting earliest in ``a``, then
    earliest in ``b`` (``difflib.SequenceMatcher.find_longest_match`` without junk)."""
    part = b[blo:bhi]
    limit = min(ahi - alo, bhi - blo)

    def common(size: int) -> bool:
        return any(a[i : i + size] in part for i in range(alo, ahi - size + 1))

    # A common prefix or suffix of the two ranges is a common substring.
    size = max(
        _common_length(a, alo, b, blo, limit, 1),
        _common_length(a, ahi, b, bhi, limit, -1),
    )
    if size == 0 and not common(1):
        return alo, blo, 0
    size = max(size, 1)
    step = 1
    while size + step <= limit and common(size + step):  # gallop up, then halve
        size += step
        step *= 2
    while step > 1:
        step //= 2
        if size + step <= limit and common(size + step):
            size += step
    for i in range(alo, ahi - size + 1):
        j = part.find(a[i : i + size])
        if j >= 0:
            return i, blo + j, size
    raise AssertionError("unreachable: a common substring of this size exists")


def _common_length(a: str, at_a: int, b: str, at_b: int, limit: int, direction: int) -> int:
    """Length of the common prefix (``direction`` 1, from ``at_a``/``at_b``) or
    suffix (-1, ending there) of at most ``limit`` characters, by halving."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if direction == 1:
            same = a[at_a : at_a + middle] == b[at_b : at_b + middle]
        else:
            same = a[at_a - middle : at_a] == b[at_b - middle : at_b]
        if same:
            low = middle
        else:
            high = middle - 1
    return low


class RowChecker:
    """Checks the rows of one list in order; remembers the schools seen (for
    duplicates) and the spellings of school types given."""

    def __init__(
        self,
        *,
        parsed: ParsedList,
        authority: SchoolAuthority,
        directory: dict[str, DirectorySchool] | None = None,
    ) -> None:
        self.label = parsed.column_label
        self.authority = authority
        self.own = directory if directory is not None else directory_schools(authority=authority)
        # Rows whose school number is not the authority's, checked by ``finish``.
        self.unknown: list[tuple[int, str, list[str]]] = []
        self.type_ids: dict[str, int] = {}
        types = {(s.type_name, s.type_key, s.school_type_id) for s in self.own.values()}
        for type_name, type_key, type_id in types:
            self.type_ids[normalise_header(type_name)] = type_id
            self.type_ids[normalise_header(type_key)] = type_id
        self._type_of_spelling: dict[str, int | None] = {}  # spelling given -> type id
        self.seen: dict[int, int] = {}  # school id -> row of its (first) line
        self.errors: list[RowError] = []
        # A valid row's EntryRow fields, in order (``entries`` makes them items).
        self.entry_rows: list[tuple] = []

    @property
    def entries(self) -> StoredItems:
        """The valid rows as entries (``EntryRow``), stored by column."""
        return StoredItems.from_rows(self.entry_rows, EntryRow)

    def finish(self) -> None:
        """The rows whose school number is not the authority's, after the last row:
        a school of another authority or a number not in the directory (1 query
        for all of them; none when every number is the authority's)."""
        if not self.unknown:
            return
        numbers = {candidate for _row, _raw, candidates in self.unknown for candidate in candidates}
        numbers.discard("")
        foreign = set(
            School.objects.filter(
                state=self.authority.state, school_number__in=numbers
            ).values_list("school_number", flat=True)
        )
        for row, raw_number, candidates in self.unknown:
            if any(c in foreign for c in candidates):
                message = _(
                    "Die Schule %(number)s gehört im Schulverzeichnis nicht zu Ihrem Schulträger."
                ) % {"number": raw_number}
            else:
                message = _(
                    "Die Schulnummer %(number)s steht nicht im Schulverzeichnis. "
                    "Bitte prüfen Sie die Nummer."
                ) % {"number": raw_number}
            self._error(row, "school_number", message)
        self.unknown = []

    def _error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, self.label(key), message))

    def check(self, parsed_row: ParsedRow) -> None:
        """Check one row; a row without any error becomes an entry."""
        values, row = parsed_row.values, parsed_row.row_number
        errors_before = len(self.errors)
        school = self._school(values, row)
        self._contact(values, row)
        if school is not None and len(self.errors) == errors_before:
            email = values.get("email", "")
            self.entry_rows.append(
                (  # the fields of EntryRow, in order
                    row,
                    school.pk,
                    school.school_number,
                    school.name,
                    school.school_type_id,
                    values.get("first_name", ""),
                    values.get("last_name", ""),
                    email.lower() if email.count("@") == 1 else email,
                    values.get("phone", ""),
                )
            )

    def _school(self, values: dict, row: int) -> DirectorySchool | None:
        """The row's school, checked against the directory (number, state,
        duplicates, type and name)."""
        raw_number = values.get("school_number", "")
        if not raw_number:
            self._error(row, "school_number", _("Die Schulnummer fehlt."))
            return None
        school = self.own.get(raw_number) if " " not in raw_number else None
        if school is None:
            candidates = _number_candidates(raw_number)
            school = next((self.own[c] for c in candidates if c in self.own), None)
        if school is None:
            self.unknown.append((row, raw_number, candidates))
            return None
        if not school.is_active:
            self._error(
                row,
                "school_number",
                _(
                    "Die Schule %(number)s ist im Schulverzeichnis als geschlossen "
                    "eingetragen und kann nicht angemeldet werden."
                )
                % {"number": school.school_number},
            )
            return None
        if school.pk in self.seen:
            self._error(
                row,
                "school_number",
                _("Die Schule %(number)s steht doppelt in der Liste (auch in Zeile %(first)s).")
                % {"number": school.school_number, "first": self.seen[school.pk]},
            )
            return None
        self.seen[school.pk] = row
        self._type_and_name(values, row, school)
        return school

    def _type_id(self, spelling: str) -> int | None:
        """The school type a list's spelling names (few spellings per list)."""
        if spelling not in self._type_of_spelling:
            self._type_of_spelling[spelling] = self.type_ids.get(normalise_header(spelling))
        return self._type_of_spelling[spelling]

    def _type_and_name(self, values: dict, row: int, school: DirectorySchool) -> None:
        given_type = values.get("school_type", "")
        if given_type and self._type_id(given_type) != school.school_type_id:
            self._error(
                row,
                "school_type",
                _(
                    "Die Schulform „%(given)s“ passt nicht zum Schulverzeichnis: Die Schule "
                    "%(number)s hat dort die Schulform %(type)s."
                )
                % {"given": given_type, "number": school.school_number, "type": school.type_name},
            )
        given_name = values.get("school_name", "")
        if given_name and not _names_match(given_name, school.name, school.name_key):
            self._error(
                row,
                "school_name",
                _(
                    "Der Schulname „%(given)s“ passt nicht zur Schulnummer %(number)s (im "
                    "Schulverzeichnis: %(name)s). Bitte prüfen Sie die Schulnummer."
                )
                % {"given": given_name, "number": school.school_number, "name": school.name},
            )

    def _contact(self, values: dict, row: int) -> None:
        """The contact person: first and last name, e-mail (required), phone.
        A row without any contact data gets one error: fill in or delete it."""
        get = values.get
        if not (get("first_name") or get("last_name") or get("email") or get("phone")):
            self._error(
                row,
                "first_name",
                _(
                    "Zu dieser Schule fehlen die Angaben zum Ansprechpartner. Bitte tragen Sie "
                    "Vorname, Nachname und E-Mail-Adresse ein oder löschen Sie die Zeile, wenn "
                    "die Schule nicht teilnehmen soll."
                ),
            )
            return
        for key in ("first_name", "last_name"):
            value = values.get(key, "")
            if not value:
                self._error(row, key, _missing_name_message(key))
            elif len(value) > NAME_MAX:
                self._error(
                    row,
                    key,
                    _("Der Eintrag ist zu lang (höchstens %(max)s Zeichen).") % {"max": NAME_MAX},
                )
        email = values.get("email", "")
        if not email:
            self._error(row, "email", _("Die E-Mail-Adresse des Ansprechpartners fehlt."))
        elif len(email) > EMAIL_MAX:
            self._error(
                row,
                "email",
                _("Die E-Mail-Adresse ist zu lang (höchstens %(max)s Zeichen).")
                % {"max": EMAIL_MAX},
            )
        elif not email_is_valid(email):
            self._error(
                row, "email", _("„%(value)s“ ist keine gültige E-Mail-Adresse.") % {"value": email}
            )
        phone = values.get("phone", "")
        if phone and (len(phone) > PHONE_MAX or not _PHONE.match(phone)):
            self._error(
                row,
                "phone",
                _(
                    "„%(value)s“ ist keine Telefonnummer (erlaubt sind Ziffern, Leerzeichen "
                    "und + ( ) / -, höchstens %(max)s Zeichen)."
                )
                % {"value": phone, "max": PHONE_MAX},
            )
