"""EVTX import speed beside the raw ``evtx`` parser's own, on the same files in one run.

The corpus (``../shared/corpus/evtx``, 277 files, ~8,300 records) is linked ``--copies`` times into a
temporary directory (symlinks under distinct paths, so each copy is a different file to the importer
and its deterministic ids differ), enough records to dwarf process start-up. Then, on those files:

1. ``raw``: ``evtx.PyEvtxParser(path).records_json()`` alone, every record counted (Rust, threads);
2. ``read_evtx``: our reader (records_json + JSON decode + flatten + ECS + ``Event``), nothing stored;
3. ``import_files``: in-process import into a fresh SQLite home (read + store + commit);
4. ``ironwatch ingest``: the CLI in a subprocess with its own fresh home, start-up included.

Each line gives events/s by wall clock and per CPU-second of the process (``time.process_time``,
which counts every thread, or the child's rusage for the CLI), the ratio to the raw parser, and the
load average. Run: ``python benchmarks/import_evtx.py [--copies 13] [--skip-cli]``; set IRONWATCH_SRC
to measure another source tree (e.g. ``main``'s) with this same script.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from evtx import PyEvtxParser

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(os.environ.get("IRONWATCH_SRC", str(ROOT / "src"))).resolve()
sys.path.insert(0, str(SRC))

from ironwatch.bootstrap import build_runtime  # noqa: E402
from ironwatch.core.clock import SystemClock  # noqa: E402
from ironwatch.ingest.event import Event  # noqa: E402
from ironwatch.ingest.importer import import_files  # noqa: E402
from ironwatch.ingest.parsers import read_evtx  # noqa: E402
from ironwatch.ingest.service import source_zone  # noqa: E402
from ironwatch.settings import Settings  # noqa: E402

Measured = tuple[int, float, float]  # (count, wall s, CPU s)


def timed(work: Callable[[], int]) -> Measured:
    wall, cpu = time.perf_counter(), time.process_time()
    count = work()
    return count, time.perf_counter() - wall, time.process_time() - cpu


def link_copies(corpus: Path, target: Path, copies: int) -> list[Path]:
    originals = sorted(corpus.rglob("*.evtx"))
    if not originals:
        raise SystemExit(f"no .evtx files under {corpus}; pass --corpus")
    files: list[Path] = []
    for copy in range(copies):
        for index, original in enumerate(originals):
            link = target / f"copy{copy:03d}" / f"{index:04d}-{original.name}"
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(original.resolve())
            files.append(link)
    return files


def raw_pass(files: list[Path]) -> int:
    count = 0
    for path in files:
        for _record in PyEvtxParser(str(path)).records_json():
            count += 1
    return count


def read_pass(files: list[Path]) -> int:
    count = 0
    for path in files:
        for item in read_evtx(path):
            count += isinstance(item, Event)
    return count


def import_lane(files: list[Path], home: Path) -> Measured:
    """``import_files`` timed alone: the fresh home's migration happens before the clock starts."""
    runtime = build_runtime(Settings(home=home))
    try:
        zone = source_zone(runtime.settings)
        clock = SystemClock()
        return timed(lambda: import_files(runtime.db, files, tz=zone, clock=clock).events)
    finally:
        runtime.close()


def cli_pass(files: list[Path], home: Path) -> Measured:
    env = {**os.environ, "PYTHONPATH": str(SRC), "IRONWATCH_HOME": str(home)}
    env.pop("IRONWATCH_DATABASE_URL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ironwatch", "ingest", "--json", *map(str, files)],
        env=env,
        capture_output=True,
        check=False,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"ironwatch ingest failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return int(orjson.loads(done.stdout)["events"]), wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "evtx")
    parser.add_argument("--copies", type=int, default=13, help="times the corpus is repeated")
    parser.add_argument("--skip-cli", action="store_true", help="leave out the CLI subprocess lane")
    parser.add_argument("--skip-import", action="store_true", help="leave out the in-process import lane")
    args = parser.parse_args()
    print(f"source: {SRC}  python {sys.version.split()[0]}  cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="iw-evtx-") as tmp:
        files = link_copies(args.corpus, Path(tmp) / "files", args.copies)
        lanes: list[tuple[str, Measured, float]] = []

        def lane(name: str, run: Callable[[], Measured]) -> None:
            load = os.getloadavg()[0]
            lanes.append((name, run(), load))

        lane("raw records_json()", lambda: timed(lambda: raw_pass(files)))
        lane("read_evtx (no store)", lambda: timed(lambda: read_pass(files)))
        if not args.skip_import:
            lane("import_files (in-process)", lambda: import_lane(files, Path(tmp) / "home1"))
        if not args.skip_cli:
            lane("ironwatch ingest (CLI)", lambda: cli_pass(files, Path(tmp) / "home2"))
    _, (raw_count, raw_wall, raw_cpu), _ = lanes[0]
    print(f"files: {len(files)} ({args.copies} copies), raw records: {raw_count}")
    header = f"{'lane':<28} {'events':>8} {'wall s':>7} {'CPU s':>7} {'/s wall':>9} {'/CPU-s':>9}"
    print(f"{header} {'% raw wall':>10} {'% raw CPU':>9}  load")
    for name, (count, wall, cpu), load in lanes:
        wall_rate, cpu_rate = count / wall, count / cpu
        of_raw_wall, of_raw_cpu = wall_rate / (raw_count / raw_wall), cpu_rate / (raw_count / raw_cpu)
        print(
            f"{name:<28} {count:>8} {wall:>7.2f} {cpu:>7.2f} {wall_rate:>9,.0f} {cpu_rate:>9,.0f}"
            f" {of_raw_wall:>10.0%} {of_raw_cpu:>9.0%}  {load:.2f}"
        )


if __name__ == "__main__":
    main()
