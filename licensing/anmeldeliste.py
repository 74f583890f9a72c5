"""The registration list (Anmeldeliste) as a file: writing the template with
openpyxl and reading uploaded lists with python-calamine (DOMAIN R3).

Reading turns any bytes into either a ``ParsedList`` (header found, rows as
cleaned text) or a ``ListFileError`` with a German message saying what to fix.
It never raises anything else: unknown exceptions of the readers are mapped to
a generic "file is damaged" message.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from config.spreadsheet import write_text
from licensing import reader_process
from licensing.reader_process import ReaderFailed
from licensing.sheet_reader import SheetError, cell_text, normalise_header, tables

__all__ = ["ListFileError", "ParsedList", "ParsedRow", "cell_text", "normalise_header", "read_list"]

logger = logging.getLogger(__name__)

# Canonical columns of the list: key, label in the template, accepted header
# spellings (normalised, see ``normalise_header``).
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("school_number", "Schulnummer", ("schulnummer", "schulnr", "schulnummerdienststelle")),
    ("school_name", "Schulname", ("schulname", "schulbezeichnung", "nameder schule")),
    ("school_type", "Schulform", ("schulform", "schulart", "schultyp")),
    ("address", "Adresse", ("adresse", "anschrift")),
    # The contact columns were headed "Vorname", "Nachname", ... until December
    # 2026; those headers (and the other term "Ansprechperson") stay aliases so
    # that lists filled in from an older template are still read.
    (
        "first_name",
        "Ansprechpartner Vorname",
        (
            "vorname",
            "ansprechpartnervorname",
            "vornameansprechpartner",
            "vornameansprechpartnerin",
            "ansprechpersonvorname",
            "vornameansprechperson",
        ),
    ),
    (
        "last_name",
        "Ansprechpartner Nachname",
        (
            "nachname",
            "ansprechpartnernachname",
            "nachnameansprechpartner",
            "familienname",
            "ansprechpersonnachname",
            "nachnameansprechperson",
        ),
    ),
    (
        "email",
        "Ansprechpartner E-Mail",
        (
            "email",
            "emailadresse",
            "mail",
            "ansprechpartneremail",
            "emailansprechpartner",
            "emailansprechpartnerin",
            "ansprechpersonemail",
            "emailansprechperson",
        ),
    ),
    (
        "phone",
        "Ansprechpartner Telefon",
        (
            "telefon",
            "tel",
            "telefonnummer",
            "ansprechpartnertelefon",
            "telefonansprechpartner",
            "ansprechpersontelefon",
            "telefonansprechperson",
        ),
    ),
]
REQUIRED_COLUMNS = ("school_number", "first_name", "last_name", "email")
LABELS = {key: label for key, label, _aliases in COLUMNS}
HEADER_SEARCH_ROWS = 30

_ALIASES: dict[str, str] = {}
for _key, _label, _aliases in COLUMNS:
    for _alias in _aliases:
        _ALIASES[normalise_header(_alias)] = _key


class ListFileError(Exception):
    """The file cannot be read as a registration list; the message is German and
    says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class ParsedRow:
    row_number: int  # as Excel shows it (1-based)
    values: dict[str, str]


@dataclass
class ParsedList:
    sheet_name: str
    header_row: int
    # key -> header text as written in the file (what the user sees in Excel)
    headers: dict[str, str]
    rows: list[ParsedRow] = field(default_factory=list)
    # Rows still arriving from the reader process (``read_list(..., stream=True)``),
    # read by ``arriving``.
    pending: Iterator[list[ParsedRow]] | None = field(default=None, repr=False, compare=False)

    def column_label(self, key: str) -> str:
        return self.headers.get(key) or LABELS[key]

    def arriving(self) -> Iterator[list[ParsedRow]]:
        """The rows, a list of them as each arrives from the reader process (and
        added to ``rows``), or all of them when they are all there. Raises
        ``ListFileError`` only (a list without rows is one)."""
        if self.pending is None:
            yield self.rows
            return
        pending, self.pending = self.pending, None
        for rows in pending:
            self.rows.extend(rows)
            yield rows
        if not self.rows:
            raise _no_rows(self.header_row)


# --- reading -------------------------------------------------------------------


def _format_megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}".replace(".", ",")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _damaged() -> ListFileError:
    return ListFileError(
        _(
            "Die Datei ist beschädigt oder unvollständig und kann nicht gelesen werden. "
            "Bitte öffnen Sie sie in Excel oder LibreOffice, speichern Sie sie als "
            "Excel-Arbeitsmappe (.xlsx) und laden Sie sie erneut hoch."
        )
    )


def _password_protected() -> ListFileError:
    return ListFileError(
        _(
            "Die Datei ist mit einem Passwort geschützt. Bitte heben Sie den Kennwortschutz "
            "auf (in Excel: Datei › Informationen › Arbeitsmappe schützen › Mit Kennwort "
            "verschlüsseln, Kennwort löschen), speichern Sie die Datei und laden Sie sie "
            "erneut hoch."
        )
    )


def _not_a_spreadsheet() -> ListFileError:
    return ListFileError(
        _(
            "Die Datei ist keine Tabelle. Bitte laden Sie die Anmeldeliste als "
            "Excel-Arbeitsmappe (.xlsx) hoch; Excel 97–2003 (.xls), LibreOffice (.ods) "
            "und CSV werden ebenfalls gelesen."
        )
    )


def _check_zip(data: bytes) -> str:
    """Inspect an OOXML/ODF container without unpacking it: the kind of
    spreadsheet, and a zip bomb guard on the total uncompressed size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            if total > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES or len(infos) > 10_000:
                raise ListFileError(
                    _(
                        "Die Datei ist entpackt zu groß (mehr als %(mb)s MB). Eine "
                        "Anmeldeliste ist viel kleiner: Bitte entfernen Sie Bilder und "
                        "andere Tabellenblätter und laden Sie nur die Liste hoch."
                    )
                    % {"mb": _format_megabytes(settings.UPLOAD_MAX_UNCOMPRESSED_BYTES)}
                )
            names = {info.filename for info in infos}
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                return "xlsx"
            if "content.xml" in names and "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"spreadsheet" in mimetype:
                    return "ods"
            if "word/document.xml" in names or "ppt/presentation.xml" in names:
                raise _not_a_spreadsheet()
            if "content.xml" in names:
                raise _not_a_spreadsheet()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _damaged() from exc
    raise _not_a_spreadsheet()


def _rows_from_csv(data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise _not_a_spreadsheet()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise _not_a_spreadsheet()
    lines = text.splitlines()
    if lines and lines[0].lower().startswith("sep="):
        delimiter = lines[0][4:5] or ";"
        lines = lines[1:]
    else:
        sample = "\n".join(lines[:20])
        counts = {d: sample.count(d) for d in (";", ",", "\t")}
        delimiter = max(counts, key=counts.get)
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as exc:
        raise _damaged() from exc


# Workbooks are read by python-calamine in a separate, memory-limited reader
# process that is started once and reused (``licensing/reader_process.py``): a
# crafted file can make calamine allocate gigabytes and abort the process. It
# finds the header row and answers with only the list's columns, as text.
def _sheets_isolated(data: bytes, while_reading=None, stream: bool = False) -> list[list]:
    """``[name, row_count, first_row_index, first_col_index, table]`` of every
    visible worksheet (``sheet_reader.tables``), or a ``ListFileError``.
    ``stream``: the table's rows as they arrive (``reader_process.RowFrames``)."""
    try:
        return reader_process.read_tables(
            data,
            settings.UPLOAD_MAX_ROWS + HEADER_SEARCH_ROWS,
            _ALIASES,
            HEADER_SEARCH_ROWS,
            while_waiting=while_reading,
            stream=stream,
        )
    except (SheetError, ReaderFailed) as exc:
        raise _reader_error(exc) from exc


def _reader_error(exc: SheetError | ReaderFailed) -> ListFileError:
    """What the user reads when the reader process refused the file or failed."""
    if isinstance(exc, ReaderFailed):
        logger.warning("the spreadsheet reader process failed on an upload: %s", exc)
    elif exc.code == "password":
        return _password_protected()
    elif exc.code == "no_sheets":
        return ListFileError(
            _("Die Arbeitsmappe enthält kein Tabellenblatt. Bitte verwenden Sie die Vorlage.")
        )
    elif exc.code == "too_many_rows":
        return _too_many_rows()
    return _damaged()


def _too_many_rows() -> ListFileError:
    return ListFileError(
        _(
            "Die Liste hat mehr als %(max)s Zeilen. Bitte teilen Sie sie auf oder "
            "entfernen Sie leere und fremde Zeilen."
        )
        % {"max": f"{settings.UPLOAD_MAX_ROWS:,}".replace(",", ".")}
    )


def read_list(
    data: bytes, filename: str = "", while_reading=None, stream: bool = False
) -> ParsedList:
    """Parse an uploaded registration list. Raises ``ListFileError`` only.
    ``while_reading()``, when given, is called once while a reader process reads
    a workbook (work that does not need the file, done meanwhile), or before a
    CSV file is parsed; not at all when the file is refused beforehand.
    ``stream``: the rows of a workbook are read as they arrive, by
    ``ParsedList.arriving`` (which raises ``ListFileError`` only, too): the
    caller checks the first rows while the reader process makes the next.
    What ``while_reading()`` raises (a database error) is raised as it is."""
    failed: list[BaseException] = []

    def meanwhile() -> None:
        try:
            (while_reading or _nothing)()
        except BaseException as exc:
            failed.append(exc)
            raise

    try:
        return _read_list(data, filename, meanwhile, stream)
    except ListFileError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # never a traceback for a user's file; calamine's Rust
        # panics arrive as pyo3 PanicException, which is not an Exception subclass.
        if failed and exc is failed[0]:
            raise
        raise _unexpected(filename, exc) from exc


def _unexpected(filename: str, exc: BaseException) -> ListFileError:
    logger.warning("unexpected error reading an upload %r: %r", filename, exc)
    return _damaged()


def _nothing() -> None:
    pass


def _read_list(data: bytes, filename: str, while_reading, stream: bool) -> ParsedList:
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise ListFileError(
            _(
                "Die Datei ist zu groß (höchstens %(mb)s MB). Eine Anmeldeliste braucht "
                "keine Bilder oder weiteren Tabellenblätter."
            )
            % {"mb": _format_megabytes(settings.UPLOAD_MAX_BYTES)}
        )
    if not data.strip():
        raise ListFileError(_("Die Datei ist leer."))
    lower = filename.lower()
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data)
        sheets = _sheets_isolated(data, while_reading, stream)
    elif data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise _password_protected()
        sheets = _sheets_isolated(data, while_reading, stream)
    elif data.startswith(b"%PDF") or data[:8].startswith(b"\x89PNG") or data[:3] == b"\xff\xd8\xff":
        raise _not_a_spreadsheet()
    elif lower.endswith((".csv", ".txt")) or not lower or _looks_like_text(data):
        while_reading()
        sheets = tables([["CSV", _rows_from_csv(data), 0, 0]], _ALIASES, HEADER_SEARCH_ROWS)
    else:
        raise _not_a_spreadsheet()

    if not any(row_count for _name, row_count, _r, _c, _table in sheets):
        raise ListFileError(
            _("Das Tabellenblatt ist leer. Bitte tragen Sie die Schulen in die Vorlage ein.")
        )
    for name, _row_count, row_offset, _col_offset, table in sheets:
        if table is not None:
            return _parsed_list(name, row_offset, table, filename)
    *first, last = (str(LABELS[key]) for key in REQUIRED_COLUMNS)
    raise ListFileError(
        _(
            "Die Kopfzeile wurde nicht gefunden. Die Liste braucht eine Zeile mit den "
            "Spaltenüberschriften %(columns)s und %(last)s (wie in der Vorlage); "
            "Reihenfolge und Schreibweise sind egal."
        )
        % {"columns": ", ".join(first), "last": last}
    )


def _parsed_list(name: str, row_offset: int, table: dict, filename: str) -> ParsedList:
    """The list of the first sheet with a header row (``sheet_reader.tables``);
    its rows pending while they arrive from the reader process."""
    rows = table.pop("rows")
    try:
        parsed = _parsed_header(name, row_offset, table)
    except BaseException:
        if isinstance(rows, reader_process.RowFrames):
            rows.close()
        raise
    keys = [key for key, _col, _label in table["columns"]]
    first = parsed.header_row + 1
    if isinstance(rows, list):
        parsed.rows = _rows_of(rows, keys, first)
        if not parsed.rows:
            raise _no_rows(parsed.header_row)
    else:
        parsed.pending = _parsed_rows(rows, keys, first, filename)
    return parsed


def _parsed_header(name: str, row_offset: int, table: dict) -> ParsedList:
    header_row = row_offset + table["header"] + 1
    keys = [key for key, _col, _label in table["columns"]]
    missing = [LABELS[key] for key in REQUIRED_COLUMNS if key not in keys]
    if missing:
        raise ListFileError(
            _(
                "In der Kopfzeile (Zeile %(row)s) fehlen die Spalten: %(columns)s. "
                "Bitte verwenden Sie die Vorlage oder ergänzen Sie die Spalten."
            )
            % {"row": header_row, "columns": ", ".join(missing)}
        )
    if table["body"] > settings.UPLOAD_MAX_ROWS:
        raise _too_many_rows()
    return ParsedList(
        sheet_name=name,
        header_row=header_row,
        headers={key: label for key, _col, label in table["columns"]},
    )


def _parsed_rows(
    frames: reader_process.RowFrames, keys: list[str], first: int, filename: str
) -> Iterator[list[ParsedRow]]:
    """The rows of ``frames`` as they arrive; the reader's failures as
    ``ListFileError`` (as ``read_list`` gives them). Stopped early, the reader is
    killed."""
    try:
        for offsets, columns in frames:
            rows = map(dict, map(zip, itertools.repeat(keys), zip(*columns, strict=True)))
            yield list(map(ParsedRow, [first + offset for offset in offsets], rows))
    except (SheetError, ReaderFailed) as exc:
        raise _reader_error(exc) from exc
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        raise _unexpected(filename, exc) from exc
    finally:
        frames.close()


def _rows_of(rows: list[list], keys: list[str], first: int) -> list[ParsedRow]:
    """``[offset below the header, text, ...]`` rows (a CSV file's, or a workbook's
    read to the end) as ``ParsedRow``s."""
    return [ParsedRow(first + row[0], dict(zip(keys, row[1:], strict=True))) for row in rows]


def _no_rows(header_row: int) -> ListFileError:
    return ListFileError(
        _(
            "Die Liste enthält unter der Kopfzeile (Zeile %(row)s) keine Schulen. "
            "Bitte tragen Sie je Schule eine Zeile ein."
        )
        % {"row": header_row}
    )


# What a stored original is, by its content (never by the uploader's file name).
STORED_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv",
    "bin": "application/octet-stream",
}


def stored_list_kind(handle) -> str:
    """The real format of a stored list (a key of STORED_TYPES), read from the open
    binary file ``handle``, which is left at its start."""
    head = handle.read(4096)
    handle.seek(0)
    if head.startswith(_OLE_MAGIC):
        return "xls"
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError):
            names, mimetype = set(), b""
        handle.seek(0)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        return "ods" if b"spreadsheet" in mimetype else "bin"
    return "csv" if head.strip() and _looks_like_text(head) else "bin"


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return True


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- writing -------------------------------------------------------------------

TEMPLATE_HEADER_ROW = 4


@dataclass
class TemplateSchool:
    school_number: str
    name: str
    school_type: str
    address: str


def write_template(
    *,
    authority_name: str,
    customer_number: str,
    product_name: str,
    schools: Iterable[TemplateSchool],
    school_type_names: Sequence[str],
    not_orderable: Sequence[TemplateSchool] = (),
) -> bytes:
    """The registration list template as .xlsx bytes: one row per active school
    of an orderable type, empty contact columns, the schools of types without a
    price on a sheet „Nicht bestellbar“, a German instruction sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Anmeldeliste"
    if not_orderable:
        _template_not_orderable(
            workbook.create_sheet(NOT_ORDERABLE_SHEET), not_orderable, product=product_name
        )
    help_sheet = workbook.create_sheet("Anleitung")
    _template_heading(
        sheet, authority_name=authority_name, customer_number=customer_number, product=product_name
    )
    last_school_row = _template_schools(sheet, schools)
    _template_validations(sheet, help_sheet, school_type_names, last_school_row)
    _template_instructions(help_sheet, has_not_orderable=bool(not_orderable))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


NOT_ORDERABLE_SHEET = "Nicht bestellbar"


def _template_not_orderable(sheet, schools: Sequence[TemplateSchool], *, product: str) -> None:
    """The authority's schools of types the product has no price for: listed so
    that the buyer knows why they are missing, apart from the fill-in sheet (the
    reader takes the first sheet with a header, „Anmeldeliste“)."""
    from openpyxl.styles import Font, PatternFill

    write_text(
        sheet.cell(row=1, column=1),
        _("Nicht bestellbar: %(product)s") % {"product": product},
    )
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    write_text(
        sheet.cell(row=2, column=1),
        _(
            "Diese Schulen können Sie für „%(product)s“ nicht bestellen: Für ihre Schulform "
            "gibt es für dieses Produkt keinen Preis. Tragen Sie sie bitte nicht in das Blatt "
            "„Anmeldeliste“ ein. Fragen beantworten Ihre Ansprechpartner im Verlag."
        )
        % {"product": product},
    )
    sheet.sheet_properties.tabColor = "C00000"
    header_fill = PatternFill("solid", fgColor="F2DCDB")
    labels = [_("Schulnummer"), _("Schulname"), _("Schulform"), _("Adresse"), _("Grund")]
    widths = [len(label) + 4 for label in labels]
    for col, label in enumerate(labels, start=1):
        cell = sheet.cell(row=TEMPLATE_HEADER_ROW, column=col)
        write_text(cell, label)
        cell.font = Font(bold=True)
        cell.fill = header_fill
    reason = _("Schulform für dieses Produkt nicht bestellbar (kein Preis)")
    for row, school in enumerate(schools, start=TEMPLATE_HEADER_ROW + 1):
        values = (school.school_number, school.name, school.school_type, school.address, reason)
        for col, value in enumerate(values, start=1):
            write_text(sheet.cell(row=row, column=col), value)
            widths[col - 1] = max(widths[col - 1], min(len(value) + 2, 60))
        sheet.cell(row=row, column=1).number_format = "@"
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[column_letter(col - 1)].width = width
    sheet.freeze_panes = sheet.cell(row=TEMPLATE_HEADER_ROW + 1, column=1)


def _template_heading(sheet, *, authority_name: str, customer_number: str, product: str) -> None:
    """Title, authority, a one-line instruction and the column headers."""
    from openpyxl.styles import Alignment, Font, PatternFill

    write_text(sheet.cell(row=1, column=1), _("Anmeldeliste: %(product)s") % {"product": product})
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    write_text(
        sheet.cell(row=2, column=1),
        _("Schulträger: %(name)s (Kundennummer %(number)s)")
        % {"name": authority_name, "number": customer_number},
    )
    write_text(
        sheet.cell(row=3, column=1),
        _(
            "Bitte je Schule Vorname, Nachname und E-Mail des Ansprechpartners eintragen. "
            "Schulen, die nicht teilnehmen, löschen Sie. Hinweise im Blatt „Anleitung“."
        ),
    )
    header_fill = PatternFill("solid", fgColor="D9E2F3")
    for col, (_key, label, _aliases) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=TEMPLATE_HEADER_ROW, column=col)
        write_text(cell, label)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")


def _template_schools(sheet, schools: Iterable[TemplateSchool]) -> int:
    """One row per school (number and phone as text), column widths, frozen
    header, filter and print titles. Returns the last school row."""
    labels = [label for _key, label, _aliases in COLUMNS]
    widths = [len(label) + 4 for label in labels]
    widths[4:8] = [26, 27, 34, 26]
    row = TEMPLATE_HEADER_ROW
    for school in schools:
        row += 1
        for col, value in enumerate(
            (school.school_number, school.name, school.school_type, school.address), start=1
        ):
            cell = sheet.cell(row=row, column=col)
            write_text(cell, value)
            widths[col - 1] = max(widths[col - 1], min(len(value) + 2, 60))
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=8).number_format = "@"
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[column_letter(col - 1)].width = width
    sheet.column_dimensions["A"].number_format = "@"
    sheet.column_dimensions["H"].number_format = "@"
    sheet.freeze_panes = sheet.cell(row=TEMPLATE_HEADER_ROW + 1, column=1)
    sheet.auto_filter.ref = f"A{TEMPLATE_HEADER_ROW}:H{max(row, TEMPLATE_HEADER_ROW + 1)}"
    sheet.print_title_rows = f"{TEMPLATE_HEADER_ROW}:{TEMPLATE_HEADER_ROW}"
    return row


def _template_validations(
    sheet, help_sheet, school_type_names: Sequence[str], last_school_row: int
) -> None:
    """Excel's own hints: a school type list, an e-mail shape, a number length."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    first = TEMPLATE_HEADER_ROW + 1
    last_row = max(last_school_row, TEMPLATE_HEADER_ROW + 1) + 200  # room for schools added by hand
    # School types: a list taken from the instruction sheet (no 255-character limit).
    type_start = 20
    write_text(help_sheet.cell(row=type_start - 1, column=1), _("Schulformen"))
    help_sheet.cell(row=type_start - 1, column=1).font = Font(bold=True)
    for offset, name in enumerate(school_type_names):
        write_text(help_sheet.cell(row=type_start + offset, column=1), name)
    if school_type_names:
        type_end = type_start + len(school_type_names) - 1
        types = DataValidation(
            type="list",
            formula1=f"Anleitung!$A${type_start}:$A${type_end}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=_("Schulform"),
            error=_("Bitte eine Schulform aus der Liste wählen."),
        )
        types.add(f"C{first}:C{last_row}")
        sheet.add_data_validation(types)
    email = DataValidation(
        type="custom",
        formula1=f'AND(ISNUMBER(SEARCH("@",G{first})),ISNUMBER(SEARCH(".",G{first})))',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="warning",
        errorTitle=_("E-Mail"),
        error=_("Das sieht nicht wie eine E-Mail-Adresse aus (name@schule.de)."),
        promptTitle=_("E-Mail"),
        prompt=_("E-Mail-Adresse des Ansprechpartners, z. B. name@schule.de"),
    )
    email.add(f"G{first}:G{last_row}")
    sheet.add_data_validation(email)
    number = DataValidation(
        type="textLength",
        operator="between",
        formula1="1",
        formula2="16",
        allow_blank=True,
        showInputMessage=True,
        promptTitle=_("Schulnummer"),
        prompt=_("Amtliche Schulnummer, z. B. 123456"),
    )
    number.add(f"A{first}:A{last_row}")
    sheet.add_data_validation(number)


def _template_instructions(help_sheet, *, has_not_orderable: bool = False) -> None:
    """The German instructions on the sheet „Anleitung“."""
    from openpyxl.styles import Font

    instructions = [
        _("So füllen Sie die Anmeldeliste aus"),
        "",
        _(
            "1. Im Blatt „Anmeldeliste“ stehen alle aktiven Schulen Ihres Trägers, die Sie "
            "für dieses Produkt bestellen können."
        ),
        _(
            "2. Tragen Sie je teilnehmender Schule Vorname, Nachname und E-Mail des "
            "Ansprechpartners ein; Telefon ist freiwillig."
        ),
        _("3. Löschen Sie die Zeilen der Schulen, die nicht teilnehmen."),
        _(
            "4. Je Schulform müssen mehr als die Hälfte der Schulen teilnehmen "
            "(Beispiel: von 10 Grundschulen mindestens 6)."
        ),
        _("5. Ändern Sie die Schulnummern nicht; Spalten dürfen Sie umstellen oder ergänzen."),
        _(
            "6. Speichern Sie die Datei als Excel-Arbeitsmappe (.xlsx) und laden Sie sie "
            "im Lizenzportal hoch. Sie sehen vor der verbindlichen Bestellung eine Vorschau."
        ),
        "",
        _("Pflichtspalten: Schulnummer, Vorname, Nachname und E-Mail des Ansprechpartners."),
        _("Freiwillig: Telefon. Schulname, Schulform und Adresse dienen der Kontrolle."),
    ]
    if has_not_orderable:
        instructions[3:3] = [
            _(
                "   Schulen, deren Schulform für dieses Produkt nicht bestellbar ist (kein "
                "Preis), stehen im Blatt „Nicht bestellbar“; tragen Sie sie nicht ein."
            )
        ]
    for offset, text in enumerate(instructions, start=1):
        write_text(help_sheet.cell(row=offset, column=1), text)
    help_sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    help_sheet.column_dimensions["A"].width = 110
