"""Detection benchmark: the SigmaHQ Windows rules over the EVTX attack corpus, on one core.

Measures, in one run: rule load time (cold and from the compile cache), end-to-end events/s
(EVTX parsing + flattening + detection, corpus repeated to >= 200,000 events), the same rules
through pySigma's SQLite backend (events inserted into SQLite, one query per rule), the ratio,
candidates evaluated per event, peak memory, and throughput for 100/500/1000/all rules.

Run: ``python benchmarks/detect_sigma.py`` (re-execs itself under ``taskset -c 0``).
"""

from __future__ import annotations

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


def main() -> None:
    _pin()
    if not RULES.is_dir() or not EVTX.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    files = sorted(EVTX.rglob("*.evtx"))
    cache = Path(tempfile.mkdtemp(prefix="ironwatch-sigma-cache-"))
    try:
        started = time.perf_counter()
        ruleset = load_rules(paths=[RULES], cache_dir=cache)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        ruleset = load_rules(paths=[RULES], cache_dir=cache)
        warm = time.perf_counter() - started
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"cpu: {_cpu_model()}; python {platform.python_version()}")
    print(f"rules: {ruleset.report.summary()}")
    print(f"rule load: cold {cold:.2f}s, from compile cache {warm:.2f}s")

    # End to end: parse EVTX, flatten, detect; the corpus repeated until >= TARGET_EVENTS.
    started = time.perf_counter()
    engine = Engine(ruleset)
    events = matches = passes = 0
    while events < TARGET_EVENTS:
        for path in files:
            for event in iter_evtx_events(path):
                matches += len(engine.evaluate(event))
                events += 1
        passes += 1
    elapsed = time.perf_counter() - started
    ours = events / elapsed
    print(
        f"ironwatch end to end: {events} events ({passes} passes) in {elapsed:.2f}s = "
        f"{ours:,.0f} events/s/core; "
        f"{matches} matches; {engine.stats.candidates / events:.2f} candidates/event; "
        f"budget overruns {engine.stats.budget_overruns}"
    )

    # SQLite baseline on one pass (its cost is linear in events): parse + insert + one query per rule.
    started = time.perf_counter()
    reference = SqliteReference(sorted(RULES.rglob("*.yml")), ruleset.rules)
    compile_sql = time.perf_counter() - started
    started = time.perf_counter()
    loaded = reference.load(event for path in files for event in iter_evtx_events(path))
    sql_matches = sum(len(rows) for rows in reference.matches().values())
    sql_elapsed = time.perf_counter() - started
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
        for event in parsed:  # warm the route plans
            lane.evaluate(event)
        started = time.perf_counter()
        for _ in range(3):
            for event in parsed:
                lane.evaluate(event)
        rate = 3 * len(parsed) / (time.perf_counter() - started)
        print(
            f"scaling: {len(subset):5d} rules: {rate:,.0f} events/s/core (detection only), "
            f"{lane.stats.candidates / lane.stats.events:.2f} candidates/event"
        )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()
