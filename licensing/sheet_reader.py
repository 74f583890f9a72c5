"""The spreadsheet reader process: reads workbooks with python-calamine for the
registration list check (``licensing.reader_process`` starts and talks to it).

A damaged or crafted workbook can make calamine (Rust) allocate gigabytes for a
sheet whose declared size is huge, and a failed allocation aborts the process.
So workbooks are read here, in a small process of its own with an address-space
limit, started once and reused: it imports only the standard library and
python-calamine (never Django), and it answers with JSON, which the web process
can parse safely whatever this process was made to do.

It also finds the header row of each sheet and answers with only the columns
the list needs, as clean text (``tables``): less to encode, send and decode.

Run as ``python -I sheet_reader.py MEMORY_BYTES``. Protocol on stdin/stdout, one
request at a time: a request is ``<QQQ`` (length of the file, row limit, length
of the options), the file's bytes and the options as JSON (``{"aliases":
{normalised header: column key}, "search_rows": n}``). The answer is a series of
frames, each ``<QQ`` (two lengths), a JSON object and a text (UTF-8, the rows of
the table by column, see ``CELL_SEPARATOR``; empty but in row frames). Every object has
``"more"``: whether frames follow; the last one also ``"rss"``, this process's
resident memory in bytes after the read. The first object is either
``{"sheets": [[name, row_count, first_row, first_col, table], ...]}`` (``table``:
see ``tables``, without its rows) or ``{"error": code}`` with code ``password``,
``damaged``, ``no_sheets`` or ``too_many_rows``. When a sheet has a table, its rows
follow as they are made, ``_CHUNK`` rows at a time: frames ``{"rows": n}`` with
the text of ``n`` rows, then ``{"end": number of rows sent}`` (or ``{"error":
"damaged"}`` when a cell cannot be sent). So the web process checks the first
rows while the later ones are made.

This module is also imported by the web process for ``cell_text``, ``tables``
(CSV files are read there) and ``normalise_header``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import struct
import sys
import unicodedata
from collections.abc import Iterator

REQUEST = struct.Struct("<QQQ")
ANSWER = struct.Struct("<QQ")

# Spaces Excel users paste in from web pages and Word: NBSP, narrow NBSP,
# figure space, zero-width characters and the BOM.
_INVISIBLE = str.maketrans(
    {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": "", "\u200c": "", "\ufeff": ""}
)
_INFINITIES = (float("inf"), float("-inf"))


def cell_text(value) -> str:
    """One cell as clean text: floats that are whole numbers lose their ``.0``
    (``123456.0`` → ``"123456"``), dates become ``dd.mm.yyyy``, every kind of
    space is collapsed and the ends are stripped."""
    if type(value) is str:
        # A printable string has no whitespace but the ASCII space (every other
        # kind is a separator or control character), so it is clean unless it
        # has a double space or a space at an end. Umlauts take this path too.
        if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
            return value
        return " ".join(value.translate(_INVISIBLE).split())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float):
        if value != value or value in _INFINITIES:  # NaN / inf
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, datetime.timedelta | datetime.time):
        return str(value)
    return " ".join(str(value).translate(_INVISIBLE).split())


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# The ASCII characters that are not a-z or 0-9, for bytes.translate's delete.
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not (48 <= c <= 57 or 97 <= c <= 122))


def normalise_header(text: str) -> str:
    """``"Ansprechpartner E-Mail"`` → ``"ansprechpartneremail"``; ``"Schulnr."`` →
    ``"schulnr"``; umlaut spellings (ü/ue, ß/ss) and case do not matter. Also the
    school name check's key (twice per row): ASCII text loses its other characters
    by ``bytes.translate`` (a fifth of the regular expression's time)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).lower()
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
        if not text.isascii():
            return _NON_ALNUM.sub("", text)
    else:
        text = text.lower()
    return text.encode("ascii").translate(None, _ASCII_NON_ALNUM).decode("ascii")


def find_header(rows: list, aliases: dict, search_rows: int) -> tuple[int, dict, dict]:
    """Index of the header row within ``rows`` and column positions by key, or
    ``(-1, ...)``. A header row is the first of the first ``search_rows`` rows
    naming the school number and at least one more column."""
    for index, row in enumerate(rows[:search_rows]):
        positions: dict[str, int] = {}
        labels: dict[str, str] = {}
        for col, value in enumerate(row):
            text = cell_text(value)
            if not text:
                continue
            key = aliases.get(normalise_header(text))
            if key and key not in positions:
                positions[key] = col
                labels[key] = text
        if "school_number" in positions and len(positions) >= 2:
            return index, positions, labels
    return -1, {}, {}


def tables(
    sheets: list[list], aliases: dict, search_rows: int, as_text: bool = False
) -> list[list]:
    """``[name, row_count, first_row, first_col, table]`` per sheet of
    ``read_sheets``; ``table`` is None for a sheet without a header row (and for
    every sheet after the first with one), else ``{"header": index of the header
    row, "columns": [[key, column, header text], ...], "body": rows below the
    header, "rows": [[offset below the header, text, ...], ...]}`` with the text
    of each column in that order, rows without any text left out. ``as_text``:
    instead of ``"rows"``, ``"chunks"``: an iterator of ``(number of rows, their
    text as it is sent)`` (UTF-8, see ``CELL_SEPARATOR``), made chunk by chunk as
    it is iterated, without a list per row. Frees the sheets' rows as it goes."""
    answer = []
    found = False
    for number, (name, rows, first_row, first_col) in enumerate(sheets):
        table = None
        row_count = len(rows)
        if not found:
            table = _table(rows, aliases, search_rows, as_text)
            found = table is not None
        answer.append([name, row_count, first_row, first_col, table])
        sheets[number] = None
    return answer


def _table(rows: list, aliases: dict, search_rows: int, as_text: bool = False) -> dict | None:
    header, positions, labels = find_header(rows, aliases, search_rows)
    if header < 0:
        return None
    columns = list(positions.values())
    if as_text:
        return {
            "header": header,
            "columns": [[key, col, labels[key]] for key, col in positions.items()],
            "body": len(rows) - header - 1,
            "chunks": _row_chunks(rows, header, columns),
        }
    body = []
    for index in range(header + 1, len(rows)):
        row = rows[index]
        rows[index] = None
        width = len(row)
        values = [cell_text(row[col]) if col < width else "" for col in columns]
        if any(values):
            values.insert(0, index - header - 1)
            body.append(values)
    return {
        "header": header,
        "columns": [[key, col, labels[key]] for key, col in positions.items()],
        "body": len(rows) - header - 1,
        "rows": body,
    }


def _row_chunks(rows: list, header: int, columns: list[int]) -> Iterator[tuple[int, bytes]]:
    """The rows below ``header`` as ``_table`` gives them, as they are sent
    (column by column, see ``CELL_SEPARATOR``), ``_CHUNK`` rows of ``rows`` at a
    time: per chunk that keeps any, the number of rows kept and their bytes. A
    column of strings that are all clean already (``cell_text`` would return each
    unchanged) is taken as it is after one check of the column joined
    (printable, no two spaces in a row, no space next to a joining "|" or at an
    end: then no cell has one either); other columns go through ``cell_text`` cell
    by cell. Frees the rows chunk by chunk."""
    last = max(columns)
    for start in range(header + 1, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        rows[start : start + len(chunk)] = [None] * len(chunk)
        if all(len(row) > last for row in chunk):
            picked = [[row[col] for row in chunk] for col in columns]
        else:
            picked = [[row[col] if col < len(row) else "" for row in chunk] for col in columns]
        del chunk
        texts = [_column_text(cells) for cells in picked]
        del picked
        first = start - header - 1
        offsets = range(first, first + len(texts[0]))
        if all("" in column for column in texts):  # rows without any text are left out
            kept = [i for i, cells in enumerate(zip(*texts, strict=True)) if any(cells)]
            offsets = [first + i for i in kept]
            texts = [[column[i] for i in kept] for column in texts]
        if offsets:
            join = CELL_SEPARATOR.join
            text = COLUMN_SEPARATOR.join([join(map(str, offsets)), *map(join, texts)])
            yield len(offsets), text.encode()


# Rows per chunk: the first chunk reaches the web process after ~1 ms of work
# (1,000 rows), and the checks of a chunk take longer than making the next one.
_CHUNK = 256
_BLOCK = 32


def _column_text(cells: list) -> list[str]:
    """``cell_text`` of each cell: strings in blocks of ``_BLOCK`` that are clean
    as they are (checked joined) are taken unchanged."""
    if not set(map(type, cells)) <= {str}:
        return list(map(cell_text, cells))
    if _clean_joined("|".join(cells)):
        return cells
    texts = []
    for start in range(0, len(cells), _BLOCK):
        block = cells[start : start + _BLOCK]
        texts.extend(block if _clean_joined("|".join(block)) else map(cell_text, block))
    return texts


def _clean_joined(text: str) -> bool:
    """``text`` (cells joined by "|") holds only cells ``cell_text`` leaves as
    they are (see its fast path for one string)."""
    return (
        text.isprintable()
        and "  " not in text
        and "| " not in text
        and " |" not in text
        and text[:1] != " "
        and text[-1:] != " "
    )


class SheetError(Exception):
    """The workbook cannot be read; ``code`` says why (see the module doc)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def read_sheets(data: bytes, row_limit: int) -> list[list]:
    """``[name, rows, first_row, first_col]`` of every visible worksheet (indexes
    are 0-based offsets of the used area). Raises ``SheetError`` only."""
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise SheetError("password") from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine errors and Rust panics for broken files
        raise SheetError("damaged") from exc
    metadata = list(workbook.sheets_metadata)
    if not metadata:
        raise SheetError("no_sheets")
    sheets = []
    for index, meta in enumerate(metadata):
        if str(getattr(meta, "visible", "")).endswith("Hidden") and index:
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # chart sheets, broken sheets
            continue
        if sheet.height > row_limit:
            raise SheetError("too_many_rows")
        try:
            rows = sheet.to_python(skip_empty_area=True)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise SheetError("damaged") from exc
        start = sheet.start or (0, 0)
        sheets.append([sheet.name, rows, start[0], start[1]])
        del sheet  # calamine's copy of the cells
    return sheets


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The rows of a frame travel after its JSON as one UTF-8 text, column by column:
# the rows' offsets, then the texts of each column of the table in its order,
# the cells of a column joined by US, the columns by RS. ``cell_text`` never
# leaves either in a text (they are whitespace to ``str.split``), and the web
# process splits such a text and makes a row of each position many times faster
# than it reads a JSON list per row or splits a line per row.
CELL_SEPARATOR, COLUMN_SEPARATOR = "\x1f", "\x1e"


def _frames(data: bytes, row_limit: int, options: dict) -> Iterator[tuple[dict, bytes]]:
    """The frames of the answer (see the module doc), each an object with
    ``"more"`` and its text; each is made when the one before has been sent."""
    try:
        sheets = read_sheets(data, row_limit)
        del data
        answer = {"sheets": tables(sheets, options["aliases"], options["search_rows"], True)}
        del sheets
    except SheetError as exc:
        yield {"error": exc.code, "more": False}, b""
        return
    except (ValueError, TypeError, MemoryError):  # e.g. a lone surrogate in a cell
        yield {"error": "damaged", "more": False}, b""
        return
    found = [sheet[4] for sheet in answer["sheets"] if sheet[4] is not None]
    chunks = found[0].pop("chunks") if found else None
    answer["more"] = chunks is not None
    yield answer, b""
    if chunks is None:
        return
    sent = 0
    try:
        for count, text in chunks:
            yield {"rows": count, "more": True}, text
            sent += count
    except (ValueError, TypeError, MemoryError):  # a lone surrogate cannot be sent
        yield {"error": "damaged", "more": False}, b""
        return
    yield {"end": sent, "more": False}, b""


def _encoded_frames(data: bytes, row_limit: int, options: dict) -> Iterator[tuple[bytes, bytes]]:
    """``_frames`` as they are written, the last object with ``"rss"``. An object
    that cannot be encoded (a lone surrogate in a header text) ends the answer
    with ``{"error": "damaged"}``."""
    frames = _frames(data, row_limit, options)
    del data  # only the frames hold it now, until calamine has read it
    for answer, text in frames:
        if not answer["more"]:
            answer["rss"] = _resident_bytes()
        try:
            yield _encode(answer).encode(), text
        except (ValueError, TypeError, MemoryError):
            damaged = {"error": "damaged", "more": False, "rss": _resident_bytes()}
            yield _encode(damaged).encode(), b""
            return


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _give_memory_back() -> None:
    """Return the freed heap of the last file to the system (glibc keeps it)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _limit_memory(extra_bytes: int) -> None:
    """No core dumps, and an address space of what is mapped now plus
    ``extra_bytes``: a file that needs more makes this process fail, not the
    machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with open("/proc/self/statm", "rb") as handle:
        pages = int(handle.read().split()[0])
    limit = pages * os.sysconf("SC_PAGE_SIZE") + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(extra_bytes: int) -> None:
    """Answer requests on stdin until it closes."""
    import faulthandler

    import python_calamine  # noqa: F401 (loaded before the memory limit)

    faulthandler.disable()  # an abort on a hostile file is expected; no dump
    _limit_memory(extra_bytes)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = _read_exactly(stdin, REQUEST.size)
        if head is None:
            return
        size, row_limit, options_size = REQUEST.unpack(head)
        data = _read_exactly(stdin, size)
        options = _read_exactly(stdin, options_size)
        if data is None or options is None:
            return
        frames = _encoded_frames(data, row_limit, json.loads(options))
        del data
        for answer, text in frames:
            stdout.write(ANSWER.pack(len(answer), len(text)))
            stdout.write(answer)
            stdout.write(text)
            stdout.flush()
        del frames, answer, text
        _give_memory_back()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
