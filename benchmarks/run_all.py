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
        print(f"=== {script.stem} ===", flush=True)
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
