"""Alert storm: the cost per alert of the detection-and-triage path as alerts accumulate.

Drives the server's ``EventPipeline`` with the real detection sink (``DetectionService``: Sigma,
detectors, ``record_alerts``) and triage's handlers on a fresh temporary home (SQLite, starter plan
and rule pack as ``serve`` applies them), with RFC 5424 sshd "Failed password for invalid user
uNNN" lines where every user is new, so every line raises a new alert (one source host: an attack).
It first fills the store with ``--warm`` alerts, then times ``--measure`` more lines at each warm
level: with constant-cost triage the per-alert time stays flat from 1k to 10k existing alerts.

    PYTHONPATH=src python benchmarks/alert_storm.py [--levels 1000,10000] [--measure 1000]
        [--batch 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_end_to_end import auth_line  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ironwatch.bootstrap import Runtime, build_runtime, ensure_detection_rules, ensure_starter_plan  # noqa: E402
from ironwatch.detect.service import DetectionService  # noqa: E402
from ironwatch.ingest.frames import RawFrame, Transport  # noqa: E402
from ironwatch.ingest.pipeline import EventPipeline  # noqa: E402
from ironwatch.ingest.service import source_zone  # noqa: E402
from ironwatch.ingest.spool import Spool  # noqa: E402
from ironwatch.settings import Settings  # noqa: E402
from ironwatch.store.tables import AlertRow  # noqa: E402

#: a rule raising one alert per failed login (the shipped one only feeds correlations), at the plan's
#: auto-open level so the storm also opens an incident and links every alert to it
STORM_RULE = """\
title: SSH login failed (alert storm benchmark)
id: 7f3c2a9e-5b1d-4e8a-9c6f-0d2e4b8a1c37
status: test
logsource:
    product: linux
    service: sshd
detection:
    selection:
        event.action: ssh_login
        event.outcome: failure
    condition: selection
level: high
tags:
    - attack.credential_access
    - attack.t1110
"""


def feed(spool: Spool, start: int, count: int) -> None:
    now = datetime.now(UTC)
    frames = [
        RawFrame("syslog-tcp", Transport.TCP, "127.0.0.1:40000", now, auth_line("u", i))
        for i in range(start, start + count)
    ]
    spool.append_batch(frames)


def drain(pipeline: EventPipeline) -> int:
    handled = 0
    while done := pipeline.process_once():
        handled += done
    return handled


def alerts(runtime: Runtime) -> int:
    with runtime.db.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(AlertRow)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--levels", default="1000,10000", help="existing alerts before each measurement")
    parser.add_argument("--measure", type=int, default=1000, help="alerting lines timed at each level")
    parser.add_argument("--batch", type=int, default=500, help="pipeline batch size")
    parser.add_argument("--profile", action="store_true", help="cProfile the last measurement")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="iw-storm-") as tmp:
        home = Path(tmp)
        rules = home / "storm_rule.yml"
        rules.write_text(STORM_RULE, encoding="utf-8")
        runtime = build_runtime(Settings(home=home, rule_paths=[rules]))
        ensure_starter_plan(runtime)
        ensure_detection_rules(runtime)
        spool = Spool(home / "spool.db", max_rows=1_000_000, max_bytes=4 << 30)
        detection = DetectionService(runtime)
        pipeline = EventPipeline(
            spool=spool,
            db=runtime.db,
            tz=source_zone(runtime.settings),
            batch_size=args.batch,
            sinks=[detection],
        )
        sent = 0
        for n, level in enumerate(levels):
            while sent < level:  # warm up to the level, untimed
                step = min(5000, level - sent)
                feed(spool, sent, step)
                drain(pipeline)
                sent += step
            before = alerts(runtime)
            feed(spool, sent, args.measure)
            profile = cProfile.Profile() if args.profile and n == len(levels) - 1 else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            drain(pipeline)
            if profile:
                profile.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            sent += args.measure
            made = alerts(runtime) - before
            print(
                f"{before:>7,} existing alerts: {made:,} new alerts from {args.measure:,} lines in "
                f"{wall:.2f}s wall ({made / wall:,.0f} alerts/s), {cpu:.2f}s CPU, "
                f"{1000 * cpu / max(made, 1):.2f} ms CPU per alert"
            )
            if profile:
                stats = pstats.Stats(profile)
                stats.sort_stats("cumulative").print_stats(30)
                stats.sort_stats("tottime").print_stats(20)
        spool.close()
        runtime.close()


if __name__ == "__main__":
    main()
