"""Events per second of read_evtx (parse + flatten + normalise) against the raw ``evtx`` parser's
``records_json()`` alone, on the same files in one run; read_evtx runs with ironwatch's C EVTX
reader (when built) and with the ``evtx`` package alone, alternately.

Run: python benchmarks/parse_evtx.py [--corpus ../shared/corpus/evtx] [--rounds 3]
Each round times both over every file; the best round of each is reported (least disturbed by other load).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from evtx import PyEvtxParser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ironwatch.ingest import Event  # noqa: E402
from ironwatch.ingest.parsers import evtx_records, read_evtx  # noqa: E402


def raw_pass(files: list[Path]) -> tuple[int, float]:
    start = time.perf_counter()
    count = 0
    for path in files:
        for _record in PyEvtxParser(str(path)).records_json():
            count += 1
    return count, time.perf_counter() - start


def ours_pass(files: list[Path], *, package_only: bool = False) -> tuple[int, int, float]:
    native = evtx_records.native
    if package_only:
        evtx_records.native = None
    try:
        return _read_all(files)
    finally:
        evtx_records.native = native


def _read_all(files: list[Path]) -> tuple[int, int, float]:
    start = time.perf_counter()
    events = failures = 0
    for path in files:
        for item in read_evtx(path):
            if isinstance(item, Event):
                events += 1
            else:
                failures += 1
    return events, failures, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "evtx")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.evtx"))
    if not files:
        raise SystemExit(f"no .evtx files under {args.corpus}; pass --corpus")
    size = sum(path.stat().st_size for path in files)
    raw_best = ours_best = package_best = float("inf")
    raw_count = events = failures = 0
    for _ in range(args.rounds):
        raw_count, seconds = raw_pass(files)
        raw_best = min(raw_best, seconds)
        events, failures, seconds = ours_pass(files)
        ours_best = min(ours_best, seconds)
        package_events, _, seconds = ours_pass(files, package_only=True)
        assert package_events == events, (package_events, events)
        package_best = min(package_best, seconds)
    raw_rate, ours_rate, package_rate = raw_count / raw_best, events / ours_best, events / package_best
    print(f"files: {len(files)} ({size / 1e6:.1f} MB), records: {raw_count}, events: {events}")
    print(f"failures: {failures}; EVTX reader: {evtx_records.implementation}")
    print(f"evtx records_json(): {raw_rate:,.0f} records/s ({raw_best:.2f} s)")
    print(f"read_evtx:           {ours_rate:,.0f} events/s ({ours_best:.2f} s)")
    print(f"read_evtx, evtx package only: {package_rate:,.0f} events/s ({package_best:.2f} s)")
    print(
        f"ratio: {ours_rate / raw_rate:.0%} of the raw parser's rate (target >= 50%); "
        f"package only {package_rate / raw_rate:.0%}"
    )


if __name__ == "__main__":
    main()
