"""Start-up cost of the ``ironwatch`` command: ``ironwatch --help`` and ``ironwatch ingest`` of one small
file, each in a fresh process, wall clock and CPU time (user + system of the child), with the load average.

Run: python benchmarks/cli_startup.py [--src src] [--runs 5] [--file tests/fixtures/logs/auth.log]
``--src`` selects the source tree to import ``ironwatch`` from, so the code of another worktree (say,
``main`` before a change) can be measured back to back with this one. The median of the runs is reported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(src: Path, args: list[str], home: Path) -> tuple[float, float]:
    """Wall seconds and child CPU seconds of one ``python -m ironwatch ARGS`` process."""
    env = {**os.environ, "PYTHONPATH": str(src), "IRONWATCH_HOME": str(home)}
    env.pop("IRONWATCH_DATABASE_URL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ironwatch", *args], env=env, capture_output=True, check=False, timeout=120
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        detail = done.stderr.decode()[-2000:]
        raise SystemExit(f"ironwatch {' '.join(args)} failed ({done.returncode}): {detail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", type=Path, default=ROOT / "tests" / "fixtures" / "logs" / "auth.log")
    args = parser.parse_args()
    src = args.src.resolve()
    cases: list[tuple[str, list[str], bool]] = [
        ("ironwatch --help", ["--help"], False),
        (f"ironwatch ingest {args.file.name} (existing home)", ["ingest", "--json", str(args.file)], False),
        (f"ironwatch ingest {args.file.name} (fresh home)", ["ingest", "--json", str(args.file)], True),
    ]
    print(f"source: {src}  python {sys.version.split()[0]}  runs: {args.runs} (median)")
    print(f"{'command':<48} {'wall s':>8} {'CPU s':>8}  load (1 min) before/after")
    with tempfile.TemporaryDirectory(prefix="iw-startup-") as tmp:
        shared_home = Path(tmp) / "home"
        run_once(src, ["ingest", "--json", str(args.file)], shared_home)  # migrate once
        for label, argv, fresh in cases:
            walls: list[float] = []
            cpus: list[float] = []
            load_before = os.getloadavg()[0]
            for index in range(args.runs):
                home = Path(tmp) / f"fresh-{label[:10]}-{index}" if fresh else shared_home
                wall, cpu = run_once(src, argv, home)
                walls.append(wall)
                cpus.append(cpu)
            load_after = os.getloadavg()[0]
            print(
                f"{label:<48} {statistics.median(walls):>8.2f} {statistics.median(cpus):>8.2f}"
                f"  {load_before:.2f}/{load_after:.2f}"
            )


if __name__ == "__main__":
    main()
