"""Runs every benchmark (benchmarks/bench_*.py) one after another, prints their
figures as they come and, at the end, a table of every measured value with its
target and MET/MISSED. Usage: .venv/bin/python benchmarks/run_all.py [name ...]

Each benchmark sets up its own throwaway database; set DATABASE_URL to a
PostgreSQL database to measure there (benchmarks that need a broker read
REDIS_URL)."""

import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICT = re.compile(r"\b(MET|MISSED)\b")


# Before each benchmark the machine must be quiet, so that it does not measure the
# tail of the one before (PostgreSQL writing out and vacuuming what it wrote, the
# processes it started shutting down): at most QUIET_BUSY of all cores busy for
# QUIET_WINDOWS windows of QUIET_WINDOW seconds in a row, waited for QUIET_MAX_WAIT
# seconds at most.
QUIET_BUSY = 0.15
QUIET_WINDOW = 0.5
QUIET_WINDOWS = 3
QUIET_MAX_WAIT = 60.0


def cpu_busy_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of all cores since boot (Linux ``/proc/stat``)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def wait_until_quiet() -> str:
    """Wait until the machine is quiet (see ``QUIET_BUSY``); says how long it took."""
    started = time.monotonic()
    quiet, busy_share = 0, 1.0
    while quiet < QUIET_WINDOWS and time.monotonic() - started < QUIET_MAX_WAIT:
        busy_before, total_before = cpu_busy_ticks()
        time.sleep(QUIET_WINDOW)
        busy_after, total_after = cpu_busy_ticks()
        busy_share = (busy_after - busy_before) / max(total_after - total_before, 1)
        quiet = quiet + 1 if busy_share <= QUIET_BUSY else 0
    waited = time.monotonic() - started
    state = "quiet" if quiet >= QUIET_WINDOWS else "still busy"
    return f"{state} after {waited:.1f} s, {busy_share:.0%} of the cores busy"


def run(script: Path) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; returns its exit status and the
    lines that carry a verdict."""
    verdicts: list[str] = []
    with subprocess.Popen(
        [sys.executable, str(script)],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            if VERDICT.search(line):
                verdicts.append(line.strip())
    return process.returncode, verdicts


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    table: list[tuple[str, str]] = []
    failed = 0
    for script in scripts:
        print(f"=== {script.stem} === (machine {wait_until_quiet()})", flush=True)
        started = time.perf_counter()
        returncode, verdicts = run(script)
        elapsed = time.perf_counter() - started
        print(f"--- {script.stem}: exit {returncode}, {elapsed:.1f} s\n")
        failed += returncode != 0
        table += [(script.stem, line) for line in verdicts] or [
            (script.stem, f"(no verdict printed; exit {returncode})")
        ]
    width = max((len(name) for name, _line in table), default=10)
    print("=== results ===")
    for name, line in table:
        print(f"{name:<{width}}  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
