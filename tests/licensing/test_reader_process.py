"""The spreadsheet reader processes (licensing/reader_process.py): reused across
uploads, replaced when one dies or hangs, one per concurrent upload, never shared
with a forked child; a reader that fails on a file is a German message and
nothing written."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from licensing import reader_process
from licensing.anmeldeliste import _ALIASES, ListFileError, read_list
from licensing.models import RegistrationUpload
from licensing.reader_process import ReaderFailed
from tests.licensing.listfiles import contact, make_xlsx

DAMAGED = (
    "Die Datei ist beschädigt oder unvollständig und kann nicht gelesen werden. Bitte öffnen "
    "Sie sie in Excel oder LibreOffice, speichern Sie sie als Excel-Arbeitsmappe (.xlsx) und "
    "laden Sie sie erneut hoch."
)
NUMBERS = ["100001", "100002", "100003", "200001", "200002"]


def valid_list() -> bytes:
    return make_xlsx([contact(n) for n in NUMBERS])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped is a zombie: not alive either.
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def fresh_pool():
    reader_process.shutdown()
    yield
    reader_process.shutdown()


@pytest.fixture
def fake_reader(tmp_path, monkeypatch, fresh_pool):
    """Replace the reader script by ``code`` (a Python program) for one test."""

    def install(code: str):
        script = tmp_path / "fake_reader.py"
        script.write_text(code)
        monkeypatch.setattr(reader_process, "READER_SCRIPT", script)

    return install


def test_the_reader_is_reused_across_uploads(fresh_pool):
    read_list(valid_list(), "liste.xlsx")
    [pid] = reader_process.idle_reader_pids()
    for _ in range(3):
        parsed = read_list(valid_list(), "liste.xlsx")
        assert [row.values["school_number"] for row in parsed.rows] == NUMBERS
    assert reader_process.idle_reader_pids() == [pid]
    assert alive(pid)


def test_the_reader_runs_without_django():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import sheet_reader; "
        "import python_calamine; assert 'django' not in sys.modules, 'django imported'"
    )
    folder = str(reader_process.READER_SCRIPT.parent)
    subprocess.run([sys.executable, "-I", "-c", code, folder], check=True)


def test_a_reader_killed_while_idle_is_replaced(fresh_pool):
    read_list(valid_list(), "liste.xlsx")
    [pid] = reader_process.idle_reader_pids()
    os.kill(pid, signal.SIGKILL)

    parsed = read_list(valid_list(), "liste.xlsx")

    assert len(parsed.rows) == len(NUMBERS)
    [new_pid] = reader_process.idle_reader_pids()
    assert new_pid != pid


def test_a_reader_whose_death_poll_has_not_seen_yet_is_replaced(fresh_pool, monkeypatch):
    # Right after a SIGKILL poll() may still call the reader alive: it is taken,
    # its pipe is closed, and the upload goes to a new reader instead of failing.
    read_list(valid_list(), "liste.xlsx")
    [pid] = reader_process.idle_reader_pids()
    os.kill(pid, signal.SIGKILL)
    while alive(pid):
        time.sleep(0.01)
    monkeypatch.setattr(reader_process._Reader, "alive", lambda self: True)
    calls = []

    parsed = read_list(valid_list(), "liste.xlsx", while_reading=lambda: calls.append(1))

    assert [row.values["school_number"] for row in parsed.rows] == NUMBERS
    assert calls == [1]
    [new_pid] = reader_process.idle_reader_pids()
    assert new_pid != pid


def test_a_new_reader_that_dies_on_the_file_is_not_asked_again(fake_reader):
    fake_reader("import sys, os; sys.stdin.buffer.read(1); os._exit(3)")
    started = []
    real_init = reader_process._Reader.__init__

    def counting_init(self):
        started.append(1)
        real_init(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader_process._Reader, "__init__", counting_init)
        with pytest.raises(ListFileError) as exc:
            read_list(valid_list(), "liste.xlsx")

    assert exc.value.message == DAMAGED
    assert started == [1]


def test_a_hostile_file_kills_the_reader_not_the_server(fresh_pool):
    # A cell at XFD1048576 makes calamine allocate the whole 17-billion-cell grid:
    # the reader hits its memory limit and dies; the next upload gets a new one.
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"], sheet["XFD1048576"] = "Schulnummer", "E-Mail", "x"
    buffer = BytesIO()
    workbook.save(buffer)
    read_list(valid_list(), "liste.xlsx")
    [pid] = reader_process.idle_reader_pids()

    with pytest.raises(ListFileError) as exc:
        read_list(buffer.getvalue(), "liste.xlsx")

    assert exc.value.message == DAMAGED
    assert not alive(pid)
    assert reader_process.idle_reader_pids() == []
    assert len(read_list(valid_list(), "liste.xlsx").rows) == len(NUMBERS)


@pytest.mark.django_db
def test_reader_dying_mid_read_is_a_german_message_and_nothing_is_written(
    fake_reader, upload_list, directory
):
    # Reads the request, then dies the way calamine does on a failed allocation.
    fake_reader("import os, sys\nsys.stdin.buffer.read(16)\nos.abort()\n")

    response = upload_list(valid_list())

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [DAMAGED]
    assert RegistrationUpload.objects.count() == 0
    assert reader_process.idle_reader_pids() == []


def test_a_reader_that_hangs_is_killed_after_the_time_limit(fake_reader):
    fake_reader("import time\ntime.sleep(60)\n")
    started = []
    original = reader_process._Reader.__init__

    def remember(self):
        original(self)
        started.append(self.pid)

    reader = reader_process._Reader
    reader.__init__ = remember
    try:
        with pytest.raises(ReaderFailed):
            reader_process.read_tables(valid_list(), 100, {}, 30, seconds=0.5)
    finally:
        reader.__init__ = original
    assert not alive(started[0])


def test_a_reader_that_does_not_take_its_request_is_killed_after_the_time_limit(fake_reader):
    """A file larger than the pipe (1 MiB) goes in only as the reader takes it: a
    reader that hangs before reading must not block the web process."""
    fake_reader("import time\ntime.sleep(60)\n")
    outcome = []

    def upload() -> None:
        try:
            reader_process.read_tables(os.urandom(3 << 20), 100, {}, 30, seconds=0.5)
        except ReaderFailed as exc:
            outcome.append(exc)

    started = time.monotonic()
    sender = threading.Thread(target=upload, daemon=True)  # a blocked write would stay
    sender.start()
    sender.join(timeout=10)
    assert outcome and "time limit" in str(outcome[0]), "the write blocked"
    assert time.monotonic() - started < 5
    assert reader_process.idle_reader_pids() == []  # the hung reader is killed


def test_the_file_is_sent_without_waiting_for_the_reader_to_take_it(fake_reader):
    """A list of 10,000 rows (~700 KB) fits into the pipe: the web process goes on
    to its own work (the queries) at once, even while the reader is busy."""
    fake_reader("import sys, time\ntime.sleep(1.5)\nsys.stdin.buffer.read()\n")
    data = os.urandom(700 * 1024)
    started = time.monotonic()
    waited = []
    with pytest.raises(ReaderFailed):
        reader_process.read_tables(
            data, 100, {}, 30, seconds=3, while_waiting=lambda: waited.append(time.monotonic())
        )
    assert waited and waited[0] - started < 1.0


def test_a_reader_answering_nonsense_is_a_failure(fake_reader):
    fake_reader(
        "import struct, sys\nsys.stdin.buffer.read(16)\n"
        "sys.stdout.buffer.write(struct.pack('<QQ', 5, 0) + b'<xml>')\nsys.stdout.flush()\n"
        "import time\ntime.sleep(60)\n"
    )
    with pytest.raises(ListFileError) as exc:
        read_list(valid_list(), "liste.xlsx")
    assert exc.value.message == DAMAGED
    assert reader_process.idle_reader_pids() == []


def test_concurrent_uploads_each_get_their_own_reader(fresh_pool):
    files = {thread: make_xlsx([contact(n) for n in NUMBERS[: thread + 1]]) for thread in range(4)}
    barrier = threading.Barrier(len(files))
    results, errors = {}, []

    def read(thread):
        try:
            barrier.wait()
            for _ in range(3):
                parsed = read_list(files[thread], "liste.xlsx")
                results.setdefault(thread, []).append(
                    [row.values["school_number"] for row in parsed.rows]
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(t,)) for t in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for thread in files:
        assert results[thread] == [NUMBERS[: thread + 1]] * 3
    assert 1 <= len(reader_process.idle_reader_pids()) <= reader_process.MAX_IDLE


def test_a_forked_child_starts_its_own_reader(fresh_pool):
    read_list(valid_list(), "liste.xlsx")
    [parent_reader] = reader_process.idle_reader_pids()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: must not talk to the parent's reader
        status = 1
        try:
            os.close(read_fd)
            own_before = reader_process.idle_reader_pids()
            rows = len(read_list(valid_list(), "liste.xlsx").rows)
            own_after = reader_process.idle_reader_pids()
            ok = own_before == [] and rows == len(NUMBERS) and parent_reader not in own_after
            os.write(write_fd, b"ok" if ok else b"no")
            reader_process.shutdown()
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    answer = os.read(read_fd, 2)
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert reader_process.idle_reader_pids() == [parent_reader]
    assert len(read_list(valid_list(), "liste.xlsx").rows) == len(NUMBERS)


@pytest.mark.parametrize("name", ["libreoffice.xlsx", "libreoffice.ods", "libreoffice.xls"])
def test_the_reader_answers_what_the_tables_of_calamine_rows_are(fresh_pool, name):
    """What arrives from the reader process is what ``tables`` makes in process."""
    from pathlib import Path

    from licensing.anmeldeliste import _ALIASES
    from licensing.sheet_reader import read_sheets as read_in_process
    from licensing.sheet_reader import tables

    data = (Path(__file__).parent / "fixtures" / name).read_bytes()
    expected = tables(read_in_process(data, 1000), _ALIASES, 30)

    assert expected[0][4]["rows"]
    assert reader_process.read_tables(data, 1000, _ALIASES, 30) == expected


def test_the_reader_answers_the_list_columns_as_text(fresh_pool):
    """A used area from C5 on two sheets: offsets, the header row, only the list's
    columns (not F), numbers, booleans and dates as text, rows without text left out."""
    import datetime
    from io import BytesIO

    from openpyxl import Workbook

    from licensing.anmeldeliste import _ALIASES

    workbook = Workbook()
    sheet = workbook.active
    sheet["C5"], sheet["D5"], sheet["F5"] = "Schulnr.", "E-Mail", "Bemerkung"
    sheet["C6"], sheet["D6"], sheet["F6"] = 1.5, True, "nicht gelesen"
    sheet["C7"] = 100001.0
    sheet["D9"], sheet["F10"] = datetime.date(2026, 8, 1), "x"
    workbook.create_sheet("Zweites")["A1"] = "Schulnummer"
    buffer = BytesIO()
    workbook.save(buffer)

    sheets = reader_process.read_tables(buffer.getvalue(), 1000, _ALIASES, 30)

    assert sheets == [
        [
            "Sheet",
            6,
            4,
            2,
            {
                "header": 0,
                "columns": [["school_number", 0, "Schulnr."], ["email", 1, "E-Mail"]],
                "body": 5,
                "rows": [[0, "1.5", "WAHR"], [1, "100001", ""], [3, "", "01.08.2026"]],
            },
        ],
        ["Zweites", 1, 0, 0, None],
    ]


# --- the rows arrive frame by frame ------------------------------------------------

HEADER_FRAME = {
    "sheets": [
        [
            "Anmeldeliste",
            4,
            0,
            0,
            {
                "header": 0,
                "columns": [
                    ["school_number", 0, "Schulnummer"],
                    ["first_name", 1, "Vorname"],
                    ["last_name", 2, "Nachname"],
                    ["email", 3, "E-Mail"],
                ],
                "body": 3,
            },
        ]
    ],
    "more": True,
}
ROWS_1 = "0\x1f1\x1e100001\x1f100002\x1eA\x1fA\x1eB\x1fB\x1ea@b.de\x1fb@b.de"  # by column
ROWS_2 = "2\x1e100003\x1eA\x1eB\x1ec@b.de"


def frames_reader(*steps) -> str:
    """A reader program that reads one request, then per step writes a frame
    (an object and its text, see ``sheet_reader``), sleeps (a number) or aborts
    ("abort"); then waits for the next request."""
    lines = [
        "import json, os, struct, sys, time",
        "head = sys.stdin.buffer.read(24)",
        "size, _limit, options = struct.unpack('<QQQ', head)",
        "sys.stdin.buffer.read(size + options)",
        "def frame(answer, text=''):",
        "    answer, text = json.dumps(answer).encode(), text.encode()",
        "    sys.stdout.buffer.write(struct.pack('<QQ', len(answer), len(text)) + answer + text)",
        "    sys.stdout.flush()",
    ]
    for step in steps:
        if step == "abort":
            lines.append("os.abort()")
        elif isinstance(step, int | float):
            lines.append(f"time.sleep({step})")
        else:
            lines.append(f"frame({step[0]!r}, {step[1]!r})")
    lines.append("sys.stdin.buffer.read(24)")
    return "\n".join(lines) + "\n"


def test_the_first_rows_arrive_while_the_reader_makes_the_next(fake_reader):
    fake_reader(
        frames_reader(
            (HEADER_FRAME, ""),
            ({"rows": 2, "more": True}, ROWS_1),
            1.5,
            ({"rows": 1, "more": True}, ROWS_2),
            ({"end": 3, "more": False, "rss": 1}, ""),
        )
    )
    started = time.monotonic()
    sheets = reader_process.read_tables(valid_list(), 100, _ALIASES, 30, stream=True)
    rows = sheets[0][4]["rows"]

    first = next(rows)
    first_at = time.monotonic() - started
    rest = list(rows)

    assert first == ([0, 1], [["100001", "100002"], ["A", "A"], ["B", "B"], ["a@b.de", "b@b.de"]])
    assert first_at < 1.0
    assert rest == [([2], [["100003"], ["A"], ["B"], ["c@b.de"]])]
    assert time.monotonic() - started >= 1.5
    assert len(reader_process.idle_reader_pids()) == 1  # back in the pool after the end


@pytest.mark.parametrize(
    "last",
    [
        ("abort",),
        (({"end": 5, "more": False, "rss": 1}, ""),),
        (({"rows": 2, "more": True}, ROWS_2),),
        (({"rows": 1, "more": True}, "x\x1e100003\x1eA\x1eB\x1ec@b.de"), 60),
        (({"rows": 1, "more": True}, "2\x1e100003\x1eA\x1eB"), 60),
    ],
    ids=[
        "dies",
        "wrong count at the end",
        "fewer rows than said",
        "offset not a number",
        "a column missing",
    ],
)
def test_a_reader_failing_after_its_first_rows_is_killed_and_the_list_damaged(fake_reader, last):
    fake_reader(frames_reader((HEADER_FRAME, ""), ({"rows": 2, "more": True}, ROWS_1), *last))
    parsed = read_list(valid_list(), "liste.xlsx", stream=True)
    [pid] = _reader_pids(zombies=True)  # the one that dies may be dead already
    arriving = parsed.arriving()

    assert len(next(arriving)) == 2
    with pytest.raises(ListFileError) as exc:
        next(arriving)

    assert exc.value.message == DAMAGED
    assert not alive(pid)
    assert reader_process.idle_reader_pids() == []


def test_a_file_refused_after_the_first_rows_keeps_the_reader(fake_reader):
    # The reader ends its answer properly (a cell it cannot send): it can go on.
    fake_reader(
        frames_reader(
            (HEADER_FRAME, ""),
            ({"rows": 2, "more": True}, ROWS_1),
            ({"error": "damaged", "more": False, "rss": 1}, ""),
        )
    )
    parsed = read_list(valid_list(), "liste.xlsx", stream=True)

    with pytest.raises(ListFileError) as exc:
        for _rows in parsed.arriving():
            pass

    assert exc.value.message == DAMAGED
    assert len(reader_process.idle_reader_pids()) == 1


def test_rows_not_read_to_the_end_kill_the_reader(fresh_pool):
    data = make_xlsx([contact(f"{100000 + i}") for i in range(700)])  # three frames
    parsed = read_list(data, "liste.xlsx", stream=True)
    arriving = parsed.arriving()
    first = next(arriving)
    [pid] = _reader_pids()

    arriving.close()  # e.g. the check failed on a row

    assert len(first) == 256
    assert not alive(pid)
    assert reader_process.idle_reader_pids() == []
    assert len(read_list(data, "liste.xlsx").rows) == 700


def test_a_streamed_list_reads_as_the_whole_list(fresh_pool):
    data = make_xlsx([contact(f"{100000 + i}") for i in range(700)])
    whole = read_list(data, "liste.xlsx")
    parsed = read_list(data, "liste.xlsx", stream=True)

    sizes = [len(rows) for rows in parsed.arriving()]

    assert sizes == [256, 256, 188]
    assert parsed.rows == whole.rows
    assert parsed.pending is None


def test_a_streamed_list_without_rows_is_a_german_message(fresh_pool):
    parsed = read_list(make_xlsx([]), "liste.xlsx", stream=True)
    with pytest.raises(ListFileError) as exc:
        list(parsed.arriving())
    assert "enthält unter der Kopfzeile (Zeile 1) keine Schulen" in exc.value.message
    assert len(reader_process.idle_reader_pids()) == 1


def _reader_pids(zombies: bool = False) -> list[int]:
    """The reader processes that are children of this process (``zombies``: also
    those that ended and are not reaped yet)."""
    me = str(os.getpid())
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and (zombies or fields[0] != "Z"):
                pids.append(int(entry))
    return pids
