"""Runs every benchmark (benchmarks/bench_*.py) one after another and prints
their figures. Usage: .venv/bin/python benchmarks/run_all.py [name ...]

Each benchmark sets up its own throwaway database; set DATABASE_URL to a
PostgreSQL database to measure there (benchmarks that need a broker read
REDIS_URL)."""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failed = 0
    for script in scripts:
        print(f"=== {script.stem} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        print(f"--- {script.stem}: exit {result.returncode}, {elapsed:.1f} s\n")
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
