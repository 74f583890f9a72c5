"""Loading the official school directory of a state (DOMAIN R11).

``import_nrw_directory`` reads the open-data CSV of North Rhine-Westphalia
(Schulgrunddaten NRW) and brings the directory up to date in a handful of bulk
queries: authorities by ``Traegernummer``, school types by ``Schulform``, schools
by ``Schulnummer``. It is repeatable: it updates what changed, adds what is new,
marks schools that closed (or vanished from the file) inactive and deletes
nothing. Bad rows are reported with their line number and skipped.
"""

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db_statistics import tables_analyze
from schools.models import School, SchoolAuthority, SchoolType

STATE = "NW"

# Names of the NRW school form keys (the ministry's key_schulformschluessel.csv).
NRW_SCHOOL_TYPES = {
    "02": "Grundschule",
    "04": "Hauptschule",
    "06": "Volksschule",
    "08": "Förderschule",
    "10": "Realschule",
    "13": "PRIMUS-Schule",
    "14": "Sekundarschule",
    "15": "Gesamtschule",
    "16": "Gemeinschaftsschule",
    "17": "Freie Waldorfschule",
    "18": "Hiberniaschule",
    "19": "Waldorf-Förderschule",
    "20": "Gymnasium",
    "25": "Weiterbildungskolleg",
    "30": "Berufskolleg",
    "81": "Schulischer Lernort (Förderschule)",
    "83": "Schule für Kranke",
    "85": "Förderschule (Realschulbereich)",
    "87": "Förderschule (Kooperation)",
    "88": "Förder-Berufskolleg",
}
ADMINISTRATION_OFFICE = "0A"
REQUIRED_COLUMNS = ["Schulnummer", "Schulform", "Schulbezeichnung_1", "Traegernummer"]
IN_OPERATION = "1"
PUBLIC = "1"


@dataclass
class ImportReport:
    authorities_added: int = 0
    school_types_added: int = 0
    schools_added: int = 0
    schools_updated: int = 0
    schools_deactivated: int = 0
    schools_reactivated: int = 0
    skipped_offices: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "Schulträger neu: %(authorities)d, Schulformen neu: %(types)d, "
            "Schulen neu: %(added)d, geändert: %(updated)d, deaktiviert: %(deactivated)d, "
            "reaktiviert: %(reactivated)d, Verwaltungsstellen übersprungen: %(offices)d, "
            "fehlerhafte Zeilen: %(errors)d"
        ) % {
            "authorities": self.authorities_added,
            "types": self.school_types_added,
            "added": self.schools_added,
            "updated": self.schools_updated,
            "deactivated": self.schools_deactivated,
            "reactivated": self.schools_reactivated,
            "offices": self.skipped_offices,
            "errors": len(self.errors),
        }


class DirectoryFormatError(Exception):
    """The file as a whole cannot be read as the NRW directory."""


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    school_number: str
    form_key: str
    name: str
    street: str
    postal_code: str
    city: str
    email: str
    authority_number: str
    municipality_key: str
    is_public: bool
    in_operation: bool


def _clean(value: str | None) -> str:
    value = (value or "").replace("\u00a0", " ").strip()
    return "" if value.lower() == "null" else " ".join(value.split())


def parse_nrw_csv(data: bytes) -> tuple[list[DirectoryRow], list[str], int]:
    """Rows of the NRW CSV, the errors of bad rows (German, with line numbers)
    and the number of administration offices left out."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise DirectoryFormatError(_("Die Datei ist keine Textdatei (UTF-8).")) from exc
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    line_offset = 1
    if not first.lower().startswith("sep="):
        lines.seek(0)
        line_offset = 0
    reader = csv.DictReader(lines, delimiter=";")
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DirectoryFormatError(
            _("Die Datei ist nicht das NRW-Schulverzeichnis: es fehlen die Spalten %(cols)s.")
            % {"cols": ", ".join(missing)}
        )
    rows: list[DirectoryRow] = []
    errors: list[str] = []
    offices = 0
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num + line_offset
        number = _clean(raw.get("Schulnummer"))
        form_key = _clean(raw.get("Schulform"))
        if form_key == ADMINISTRATION_OFFICE:
            offices += 1
            continue
        problems = []
        if not (number.isdigit() and len(number) == 6):
            problems.append(_("Schulnummer „%(v)s“ ist keine sechsstellige Zahl") % {"v": number})
        if not form_key:
            problems.append(_("Schulform fehlt"))
        authority_number = _clean(raw.get("Traegernummer"))
        if not authority_number.isdigit():
            problems.append(_("Trägernummer „%(v)s“ ist keine Zahl") % {"v": authority_number})
        name = " ".join(
            p for p in (_clean(raw.get(f"Schulbezeichnung_{i}")) for i in (1, 2, 3)) if p
        )
        if not name:
            problems.append(_("Schulbezeichnung fehlt"))
        if number in seen:
            problems.append(
                _("Schulnummer %(v)s steht schon in Zeile %(line)d")
                % {"v": number, "line": seen[number]}
            )
        if problems:
            errors.append(
                _("Zeile %(line)d: %(problems)s") % {"line": line, "problems": "; ".join(problems)}
            )
            continue
        seen[number] = line
        rows.append(
            DirectoryRow(
                line=line,
                school_number=number,
                form_key=form_key,
                name=name[:300],
                street=_clean(raw.get("Strasse"))[:200],
                postal_code=_clean(raw.get("PLZ"))[:10],
                city=_clean(raw.get("Ort"))[:100],
                email=_clean(raw.get("E-Mail"))[:254],
                authority_number=authority_number,
                municipality_key=_clean(raw.get("Gemeindeschluessel"))[:12],
                is_public=_clean(raw.get("Rechtsform")) == PUBLIC,
                in_operation=_clean(raw.get("Schulbetriebsschluessel")) == IN_OPERATION,
            )
        )
    return rows, errors, offices


def _authority_defaults(rows: list[DirectoryRow]) -> dict:
    """A provisional name for a new authority: the place most of its schools share
    (the file has no authority names; staff enter the real one later)."""
    city = Counter(r.city for r in rows).most_common(1)[0][0]
    municipality = Counter(r.municipality_key for r in rows).most_common(1)[0][0]
    if rows[0].is_public:
        return {
            "name": _("Schulträger %(city)s") % {"city": city},
            "kind": SchoolAuthority.Kind.OTHER,
            "city": city,
            "municipality_key": municipality,
        }
    return {
        "name": _("Privater Schulträger %(city)s") % {"city": city},
        "kind": SchoolAuthority.Kind.PRIVATE,
        "city": city,
        "municipality_key": municipality,
    }


SCHOOL_FIELDS = [
    "authority_id",
    "school_type_id",
    "name",
    "street",
    "postal_code",
    "city",
    "email",
    "is_active",
    "deactivated_at",
]


@transaction.atomic
def import_nrw_directory(*, data: bytes, deactivate_missing: bool = True) -> ImportReport:
    """Bring the NRW part of the directory up to date with ``data`` (the CSV bytes).
    The tables are analysed after the commit, so that queries on the new rows get
    good plans at once."""
    rows, errors, offices = parse_nrw_csv(data)
    report = ImportReport(errors=errors, skipped_offices=offices)
    now = timezone.now()
    types = _school_types_import(rows, report)
    authorities = _authorities_import(rows, report)
    existing = {s.school_number: s for s in School.objects.filter(state=STATE)}
    to_create: list[School] = []
    to_update: list[School] = []
    for row in rows:
        values = {
            "authority_id": authorities[row.authority_number],
            "school_type_id": types[row.form_key].pk,
            "name": row.name,
            "street": row.street,
            "postal_code": row.postal_code,
            "city": row.city,
            "email": row.email,
            "is_active": row.in_operation,
        }
        school = existing.pop(row.school_number, None)
        if school is None:
            to_create.append(
                School(
                    state=STATE,
                    school_number=row.school_number,
                    deactivated_at=None if row.in_operation else now,
                    **values,
                )
            )
            report.schools_added += 1
        elif _school_update(school, values, now=now, report=report):
            to_update.append(school)

    # Schools that are no longer in the file have closed: inactive, never deleted.
    if deactivate_missing:
        for school in existing.values():
            if school.is_active:
                school.is_active = False
                school.deactivated_at = now
                school.updated_at = now
                to_update.append(school)
                report.schools_deactivated += 1

    School.objects.bulk_create(to_create, batch_size=1000)
    School.objects.bulk_update(to_update, [*SCHOOL_FIELDS, "updated_at"], batch_size=1000)
    transaction.on_commit(lambda: tables_analyze(SchoolType, SchoolAuthority, School))
    return report


def _school_types_import(rows: list[DirectoryRow], report: ImportReport) -> dict[str, SchoolType]:
    """The state's school types by key, with the ones new in the file added."""
    types = {t.key: t for t in SchoolType.objects.filter(state=STATE)}
    new_types = [
        SchoolType(state=STATE, key=key, name=NRW_SCHOOL_TYPES.get(key, f"Schulform {key}"))
        for key in sorted({r.form_key for r in rows} - set(types))
    ]
    SchoolType.objects.bulk_create(new_types)
    report.school_types_added = len(new_types)
    return {t.key: t for t in SchoolType.objects.filter(state=STATE)}


def _authorities_import(rows: list[DirectoryRow], report: ImportReport) -> dict[str, int]:
    """Authority ids by number. New ones are created; names and addresses staff
    entered are kept."""
    rows_by_authority: dict[str, list[DirectoryRow]] = defaultdict(list)
    for row in rows:
        rows_by_authority[row.authority_number].append(row)
    authorities = {
        a.customer_number: a
        for a in SchoolAuthority.objects.filter(customer_number__in=rows_by_authority)
    }
    new_authorities = [
        SchoolAuthority(customer_number=number, state=STATE, **_authority_defaults(group))
        for number, group in rows_by_authority.items()
        if number not in authorities
    ]
    SchoolAuthority.objects.bulk_create(new_authorities)
    report.authorities_added = len(new_authorities)
    return {
        a.customer_number: a.pk
        for a in SchoolAuthority.objects.filter(customer_number__in=rows_by_authority)
    }


def _school_update(school: School, values: dict, *, now, report: ImportReport) -> bool:
    """Apply the file's values to a known school; returns whether anything changed
    (a closed school is deactivated, a reopened one reactivated)."""
    changed = [name for name, value in values.items() if getattr(school, name) != value]
    if not changed:
        return False
    if "is_active" in changed:
        if values["is_active"]:
            report.schools_reactivated += 1
            school.deactivated_at = None
        else:
            report.schools_deactivated += 1
            school.deactivated_at = now
    if set(changed) - {"is_active"}:
        report.schools_updated += 1
    for name, value in values.items():
        setattr(school, name, value)
    school.updated_at = now
    return True
