"""The spreadsheet reader process: reads workbooks with python-calamine for the
registration list check (``licensing.reader_process`` starts and talks to it).

A damaged or crafted workbook can make calamine (Rust) allocate gigabytes for a
sheet whose declared size is huge, and a failed allocation aborts the process.
So workbooks are read here, in a small process of its own with an address-space
limit, started once and reused: it imports only the standard library and
python-calamine (never Django), and it answers with JSON, which the web process
can parse safely whatever this process was made to do.

Run as ``python -I sheet_reader.py MEMORY_BYTES``. Protocol on stdin/stdout, one
request at a time: a request is ``<QQ`` (length of the file, row limit) and the
file's bytes; the answer is ``<Q`` (length) and a JSON object, either
``{"sheets": [[name, rows, first_row, first_col], ...]}`` or ``{"error": code}``
with code ``password``, ``damaged``, ``no_sheets`` or ``too_many_rows``; both
carry ``"rss"``, this process's resident memory in bytes after the read.

This module is also imported by the web process for ``cell_text``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import struct
import sys

REQUEST = struct.Struct("<QQ")
ANSWER = struct.Struct("<Q")

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
    return sheets


# Dates and times go as their text (cell_text), everything else as it is.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=cell_text).encode


def _answer(data: bytes, row_limit: int) -> bytes:
    try:
        sheets = read_sheets(data, row_limit)
        del data
        return _sheets_json(sheets)
    except SheetError as exc:
        answer = {"error": exc.code}
    except (ValueError, TypeError, MemoryError):  # e.g. a lone surrogate in a cell
        answer = {"error": "damaged"}
    answer["rss"] = _resident_bytes()
    return _encode(answer).encode()


def _sheets_json(sheets: list[list]) -> bytes:
    """``{"sheets": [...], "rss": n}``, each row encoded and freed in turn (a
    10,000-row sheet as Python objects and as JSON at once would double the peak)."""
    out = bytearray(b'{"sheets":[')
    for number, (name, rows, first_row, first_col) in enumerate(sheets):
        out += b"," if number else b""
        out += b"[" + _encode(name).encode() + b",["
        for index in range(len(rows)):
            out += b"," if index else b""
            out += _encode(rows[index]).encode()
            rows[index] = None
        out += b"],%d,%d]" % (first_row, first_col)
        sheets[number] = None
    out += b'],"rss":%d}' % _resident_bytes()
    return bytes(out)


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
        size, row_limit = REQUEST.unpack(head)
        data = _read_exactly(stdin, size)
        if data is None:
            return
        answer = _answer(data, row_limit)
        del data
        stdout.write(ANSWER.pack(len(answer)))
        stdout.write(answer)
        stdout.flush()
        del answer
        _give_memory_back()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
