"""Detection benchmark: the SigmaHQ Windows rules over the EVTX attack corpus, on one core.

Measures, in one run: rule load time (cold and from the compile cache), end-to-end events/s
(EVTX parsing + flattening + detection, corpus repeated to >= 200,000 events), the same rules
through pySigma's SQLite backend (events inserted into SQLite, one query per rule), the ratio,
candidates evaluated per event, peak memory, and throughput for 100/500/1000/all rules.

Run: ``python benchmarks/detect_sigma.py`` (re-execs itself under ``taskset -c 0``).

Rates are events per CPU-second of this (pinned) process (``time.process_time``), so other work
on a shared machine slows the wall clock but not the figure; wall-clock rates and the load
average are printed beside them.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RULES = CORPUS / "sigma" / "rules" / "windows"
EVTX = CORPUS / "evtx"
TARGET_EVENTS = 200_000

sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "integration")]

from sigma_sqlite_reference import SqliteReference  # noqa: E402

from ironwatch.detect.evtx_fields import iter_evtx_events  # noqa: E402
from ironwatch.detect.sigma import Engine, load_rules  # noqa: E402


def _pin() -> None:
    if os.environ.get("IRONWATCH_BENCH_PINNED") or not shutil.which("taskset"):
        return
    env = {**os.environ, "IRONWATCH_BENCH_PINNED": "1"}
    sys.exit(subprocess.call(["taskset", "-c", "0", sys.executable, *sys.argv], env=env))


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor()
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


class Timer:
    """CPU seconds of this process and wall seconds since creation."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def stop(self) -> tuple[float, float]:
        return time.process_time() - self.cpu, time.perf_counter() - self.wall


def _freeze() -> None:
    """What ``serve`` does after building an engine (DetectionService(freeze_gc=True))."""
    gc.collect()
    gc.freeze()


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    _pin()
    if not RULES.is_dir() or not EVTX.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    files = sorted(EVTX.rglob("*.evtx"))
    print(f"cpu: {_cpu_model()}; python {platform.python_version()}; load average at start {_load()}")
    cache = Path(tempfile.mkdtemp(prefix="ironwatch-sigma-cache-"))
    try:
        timer = Timer()
        ruleset = load_rules(paths=[RULES], cache_dir=cache)
        cold = timer.stop()
        timer = Timer()
        ruleset = load_rules(paths=[RULES], cache_dir=cache)
        warm = timer.stop()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    timer = Timer()
    engine = Engine(ruleset)
    build = timer.stop()
    _freeze()
    print(f"rules: {ruleset.report.summary()}")
    print(
        f"rule load: cold (YAML + pySigma + compile) {cold[0]:.2f}s CPU / {cold[1]:.2f}s wall; "
        f"from compile cache {warm[0]:.2f}s CPU / {warm[1]:.2f}s wall; "
        f"engine build (matchers + literal clauses) {build[0]:.2f}s CPU / {build[1]:.2f}s wall"
    )

    # End to end: parse EVTX, flatten, detect; the corpus repeated until >= TARGET_EVENTS.
    timer = Timer()
    events = matches = passes = 0
    while events < TARGET_EVENTS:
        for path in files:
            for event in iter_evtx_events(path):
                matches += len(engine.evaluate(event))
                events += 1
        passes += 1
    cpu, wall = timer.stop()
    ours = events / cpu
    print(
        f"ironwatch end to end: {events} events ({passes} passes) in {cpu:.2f}s CPU "
        f"({wall:.2f}s wall) = {ours:,.0f} events/s/core ({events / wall:,.0f}/s wall); "
        f"{matches} matches; {engine.stats.candidates / events:.2f} candidates/event; "
        f"budget overruns {engine.stats.budget_overruns}"
    )

    # SQLite baseline on one pass (its cost is linear in events): parse + insert + one query per rule.
    timer = Timer()
    reference = SqliteReference(sorted(RULES.rglob("*.yml")), ruleset.rules)
    compile_sql = timer.stop()[0]
    timer = Timer()
    loaded = reference.load(event for path in files for event in iter_evtx_events(path))
    sql_matches = sum(len(rows) for rows in reference.matches().values())
    sql_elapsed = timer.stop()[0]
    theirs = loaded / sql_elapsed
    print(
        f"sqlite baseline: {len(reference.queries)} queries (compiled in {compile_sql:.1f}s); "
        f"{loaded} events in "
        f"{sql_elapsed:.2f}s = {theirs:,.0f} events/s/core; {sql_matches} matches"
    )
    print(f"ratio ironwatch / sqlite: {ours / theirs:.1f}x")

    # Scaling lane: detection only (events parsed beforehand), random rule subsets.
    parsed = [event for path in files for event in iter_evtx_events(path)]
    rng = random.Random(1)
    for size in (100, 500, 1000, len(ruleset.rules)):
        subset = rng.sample(list(ruleset.rules), min(size, len(ruleset.rules)))
        lane = Engine(subset)
        _freeze()
        for event in parsed:  # warm the route plans
            lane.evaluate(event)
        timer = Timer()
        for _ in range(3):
            for event in parsed:
                lane.evaluate(event)
        rate = 3 * len(parsed) / timer.stop()[0]
        print(
            f"scaling: {len(subset):5d} rules: {rate:,.0f} events/s/core (detection only), "
            f"{lane.stats.candidates / lane.stats.events:.2f} candidates/event"
        )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MB; load average at end {_load()}")


if __name__ == "__main__":
    main()
