"""The web process's side of the spreadsheet reader processes
(``licensing/sheet_reader.py``): a small pool of reader processes, started on
first use and reused across uploads, one per concurrent upload.

A reader that dies on a file (its memory limit, a Rust abort) or takes longer
than the time limit is killed and replaced; the upload gets ``ReaderFailed``.
A reader from the pool found dead when asked (killed while idle) is replaced
and the file given to the new one.
A reader that grew large on a big file is retired after answering. After a
fork (a worker server that forks after the first upload) the child forgets the
parent's readers and starts its own.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from licensing.sheet_reader import ANSWER, CELL_SEPARATOR, COLUMN_SEPARATOR, REQUEST, SheetError

READER_SCRIPT = Path(__file__).with_name("sheet_reader.py")
# Address space a reader may use beyond what it has mapped when it starts.
MEMORY_BYTES = 1024 * 1024 * 1024
SECONDS = 30
MAX_IDLE = 2
RETIRE_RSS_BYTES = 150 * 1024 * 1024
_MAX_ANSWER_BYTES = 512 * 1024 * 1024
# Pipe capacity asked for (Linux's default is 64 KiB, its unprivileged maximum
# /proc/sys/fs/pipe-max-size 1 MiB): a list of 1,000 rows (70 KiB) or 10,000 rows
# (700 KiB) and the reader's answer each go through in one write, so neither side
# waits for the other to be scheduled and drain the pipe: the web process sends
# the file and goes on to its queries at once.
PIPE_BYTES = 1024 * 1024


class ReaderFailed(Exception):
    """The reader process died, answered nonsense or ran out of time."""


class ReaderGone(ReaderFailed):
    """The reader process was gone: its pipe broke or closed before any answer."""


class _Reader:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(READER_SCRIPT), str(MEMORY_BYTES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):  # too many pipe pages: the default size
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        # Requests are written by ``_write`` under the time limit: a reader that does
        # not take its request (hung) must not block the web process.
        os.set_blocking(self.process.stdin.fileno(), False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(
        self, data: bytes, row_limit: int, options: bytes, seconds: float, while_waiting=None
    ) -> dict:
        """Send the request and return the first frame of the answer (see
        ``frame``); the others are read with ``frame`` too, by ``self.deadline``."""
        self.deadline = time.monotonic() + seconds
        fd = self.process.stdin.fileno()
        try:
            for part in (REQUEST.pack(len(data), row_limit, len(options)), data, options):
                self._write(fd, part, self.deadline)
        except OSError as exc:  # it died (broken pipe)
            raise ReaderGone("the reader process is gone") from exc
        if while_waiting is not None:
            while_waiting()
        return self.frame(first=True)

    def frame(self, first: bool = False) -> dict:
        """The next frame of the answer: its object, with its text as ``"text"``."""
        fd = self.process.stdout.fileno()
        head = self._read(fd, ANSWER.size, self.deadline, allow_empty=first)
        if not head:
            raise ReaderGone("the reader process died before answering")
        size, text_size = ANSWER.unpack(head)
        if size + text_size > _MAX_ANSWER_BYTES:
            raise ReaderFailed("answer too large")
        try:
            answer = json.loads(self._read(fd, size, self.deadline))
        except ValueError as exc:
            raise ReaderFailed("answer is not JSON") from exc
        if not isinstance(answer, dict) or type(answer.get("more")) is not bool:
            raise ReaderFailed("answer is not a frame")
        try:
            answer["text"] = self._read(fd, text_size, self.deadline).decode()
        except UnicodeDecodeError as exc:
            raise ReaderFailed("rows are not UTF-8") from exc
        return answer

    @staticmethod
    def _write(fd: int, data: bytes, deadline: float) -> None:
        """All of ``data`` into the reader's (non-blocking) stdin by ``deadline``;
        a file larger than the pipe goes in as the reader takes it."""
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReaderFailed("time limit")
            _r, ready, _x = select.select([], [fd], [], remaining)
            if ready:
                with contextlib.suppress(BlockingIOError):  # taken by nobody meanwhile
                    view = view[os.write(fd, view) :]

    @staticmethod
    def _read(fd: int, size: int, deadline: float, allow_empty: bool = False) -> bytearray:
        buffer = bytearray()
        while len(buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReaderFailed("time limit")
            ready, _w, _x = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, min(size - len(buffer), 1 << 20))
                if not chunk:
                    if not buffer and allow_empty:
                        return buffer
                    raise ReaderFailed("the reader process died")
                buffer += chunk
        return buffer

    def kill(self) -> None:
        """Stop it now (it failed or ran out of time) and reap it."""
        if self.alive():
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """Let it end by closing its input; kill it if it does not."""
        self._close_pipes()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


_lock = threading.Lock()
_idle: list[_Reader] = []


def _take() -> tuple[_Reader, bool]:
    """A reader, and whether it was idle in the pool (else it is new)."""
    with _lock:
        while _idle:
            reader = _idle.pop()
            if reader.alive():
                return reader, True
            reader.kill()  # died while idle: reap it, take another
    return _Reader(), False


def _give_back(reader: _Reader, resident_bytes) -> None:
    if not isinstance(resident_bytes, int) or resident_bytes > RETIRE_RSS_BYTES:
        reader.close()
        return
    with _lock:
        if len(_idle) < MAX_IDLE:
            _idle.append(reader)
            return
    reader.close()


def read_tables(
    data: bytes,
    row_limit: int,
    aliases: dict[str, str],
    search_rows: int,
    seconds: float = SECONDS,
    while_waiting=None,
    stream: bool = False,
) -> list[list]:
    """The visible worksheets of ``data`` as ``[name, row_count, first_row,
    first_col, table]`` (see ``sheet_reader.tables``; ``aliases`` maps normalised
    header texts to column keys), read in a reader process. Raises ``SheetError``
    for a file the reader refused and ``ReaderFailed`` when the reader died, ran
    out of time on it or answered something else. ``while_waiting()`` is called
    while the reader reads (other work that does not need the file).
    ``stream``: the table's ``"rows"`` is an iterator of lists of rows, each list
    as it arrives while the reader makes the next (it raises the same errors),
    not one list read to the end here."""
    options = json.dumps({"aliases": aliases, "search_rows": search_rows}).encode()
    reader, pooled = _take()
    waited = _Once(while_waiting)
    args = (data, row_limit, options, seconds, waited)
    try:
        answer = _ask_or_kill(reader, *args)
    except ReaderGone:
        if not pooled:
            raise
        # Most likely killed while idle, its death not yet seen by poll(); else
        # the file killed it. A new reader gets the file once more: a file that
        # kills that one too is refused.
        reader = _Reader()
        answer = _ask_or_kill(reader, *args)
    try:
        sheets = _sheets_of(answer, set(aliases.values()))
    except SheetError:
        _give_back(reader, answer.get("rss"))
        raise
    except ReaderFailed:
        reader.kill()
        raise
    found = [sheet[4] for sheet in sheets if sheet[4] is not None]
    if not found:
        _give_back(reader, answer.get("rss"))
        return sheets
    frames = RowFrames(reader, len(found[0]["columns"]))
    found[0]["rows"] = (
        frames
        if stream
        else [
            [offset, *cells]
            for offsets, columns in frames
            for offset, *cells in zip(offsets, *columns, strict=True)
        ]
    )
    return sheets


def _sheets_of(answer: dict, keys: set[str]) -> list[list]:
    """The sheets of the reader's first frame, checked; ``SheetError`` for a file
    it refused (its last frame then)."""
    if "error" in answer and not answer["more"]:
        raise SheetError(str(answer["error"]))
    sheets = answer.get("sheets")
    if not isinstance(sheets, list) or not all(_is_sheet(sheet, keys) for sheet in sheets):
        raise ReaderFailed("answer has no sheets")
    tables = [sheet[4] for sheet in sheets if sheet[4] is not None]
    if len(tables) > 1:
        raise ReaderFailed("more than one table")
    if bool(tables) != answer["more"]:  # rows follow exactly when there is a table
        raise ReaderFailed("the table's rows do not follow")
    return sheets


class RowFrames:
    """The rows of the reader's table as they arrive, a frame at a time: the
    rows' offsets below the header and the texts of each column of the table
    (``(offsets, columns)``). The reader goes back to the pool after the last
    frame; it is killed when a frame is wrong or late, and when the rows are not
    read to the end (``close``, or this object dropped)."""

    def __init__(self, reader: _Reader, width: int) -> None:
        self.reader: _Reader | None = reader
        self.width = width
        self.received = 0

    def __iter__(self) -> Iterator[tuple[list[int], list[list[str]]]]:
        return self

    def __next__(self) -> tuple[list[int], list[list[str]]]:
        if self.reader is None:
            raise StopIteration
        try:
            frame = self.reader.frame()
            if frame["more"]:
                rows = _columns_from_text(frame.pop("text"), self.width)
                if rows is None or len(rows[0]) != frame.get("rows"):
                    raise ReaderFailed("rows do not fit the table")
                self.received += len(rows[0])
                return rows
            if "error" not in frame and frame.get("end") != self.received:
                raise ReaderFailed("rows do not fit the table")
        except BaseException:
            self.close()
            raise
        reader, self.reader = self.reader, None
        _give_back(reader, frame.get("rss"))
        if "error" in frame:
            raise SheetError(str(frame["error"]))
        raise StopIteration

    def close(self) -> None:
        """Stop reading: the reader, in the middle of its answer, is killed."""
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.kill()

    def __del__(self) -> None:
        self.close()


def _ask_or_kill(reader: _Reader, *args) -> dict:
    try:
        return reader.ask(*args)
    except BaseException:
        reader.kill()
        raise


class _Once:
    """Calls ``function`` (if any) the first time it is called, never again."""

    def __init__(self, function) -> None:
        self.function = function

    def __call__(self) -> None:
        function, self.function = self.function, None
        if function is not None:
            function()


def _is_sheet(sheet, keys: set[str]) -> bool:
    return (
        isinstance(sheet, list)
        and len(sheet) == 5
        and type(sheet[0]) is str
        and all(type(number) is int for number in sheet[1:4])
        and (sheet[4] is None or _is_table(sheet[4], keys))
    )


def _is_table(table, keys: set[str]) -> bool:
    """The reader's table has the shape ``sheet_reader.tables`` gives, without its
    rows (checked: the reader may have been made to answer anything)."""
    if not (
        isinstance(table, dict)
        and type(table.get("header")) is int
        and type(table.get("body")) is int
        and isinstance(table.get("columns"), list)
    ):
        return False
    return all(
        isinstance(column, list)
        and len(column) == 3
        and column[0] in keys
        and type(column[1]) is int
        and type(column[2]) is str
        for column in table["columns"]
    )


def _columns_from_text(text: str, width: int) -> tuple[list[int], list[list[str]]] | None:
    """The offsets and the ``width`` columns of a frame's rows (see
    ``sheet_reader.CELL_SEPARATOR``), or None when they are not that many
    columns of as many cells as offsets, or an offset is not a number."""
    columns = text.split(COLUMN_SEPARATOR)
    if len(columns) != width + 1:
        return None
    numbers = columns[0]
    if not (numbers.replace(CELL_SEPARATOR, "").isdigit() and numbers.isascii()):
        return None  # also when there is no offset at all
    columns = [column.split(CELL_SEPARATOR) for column in columns]
    offsets = columns[0]
    if any(len(column) != len(offsets) for column in columns):
        return None
    if min(map(len, offsets)) < 1 or max(map(len, offsets)) > 9:
        return None
    return list(map(int, offsets)), columns[1:]


def idle_reader_pids() -> list[int]:
    """Process ids of the readers waiting for the next file (tests, benchmarks)."""
    with _lock:
        return [reader.pid for reader in _idle]


def shutdown() -> None:
    """End every idle reader (at exit)."""
    with _lock:
        readers = list(_idle)
        _idle.clear()
    for reader in readers:
        reader.close()


def _forget_after_fork() -> None:
    """In a forked child: the readers belong to the parent. Close this copy of
    their pipes (so they still see the parent go) and start afresh."""
    global _lock
    _lock = threading.Lock()
    for reader in _idle:
        reader._close_pipes()
    _idle.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(shutdown)
