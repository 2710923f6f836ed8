"""cProfile of ``EventPipeline.process_once`` on a prepared spool: where the parse-and-store time goes.

Fills a fresh spool (temporary home, SQLite) with N octet-less RFC 5424 sshd frames as the TCP
listener would, then drains it with the server's pipeline settings under cProfile and prints the
frames/s and the top functions by cumulative and by own time.

    PYTHONPATH=src python benchmarks/profile_pipeline.py [--frames 100000] [--top 25] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ironwatch.bootstrap import build_runtime  # noqa: E402
from ironwatch.ingest.frames import RawFrame, Transport  # noqa: E402
from ironwatch.ingest.pipeline import EventPipeline  # noqa: E402
from ironwatch.ingest.service import source_zone  # noqa: E402
from ironwatch.ingest.spool import Spool  # noqa: E402
from ironwatch.settings import Settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_end_to_end import LINES  # noqa: E402

from ironwatch.bootstrap import ensure_detection_rules  # noqa: E402
from ironwatch.detect.service import DetectionService  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true", help="time the drain without cProfile")
    parser.add_argument("--mix", choices=sorted(LINES), default="alert-storm", help="the lines spooled")
    parser.add_argument(
        "--detection", action="store_true",
        help="hand each batch to detection with the built-in rules, as serve does (the pipeline's sink)",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iw-profile-") as tmp:
        home = Path(tmp)
        runtime = build_runtime(Settings(home=home))
        spool = Spool(home / "spool.db", max_rows=args.frames + 10_000, max_bytes=4 << 30)
        now = datetime.now(UTC)
        for start in range(0, args.frames, 10_000):
            frames = [
                RawFrame("syslog-tcp", Transport.TCP, "127.0.0.1:40000", now, LINES[args.mix]("t", i))
                for i in range(start, min(start + 10_000, args.frames))
            ]
            spool.append_batch(frames)
        sinks = []
        detection = None
        if args.detection:
            ensure_detection_rules(runtime)
            detection = DetectionService(runtime)
            sinks.append(detection)
        zone = source_zone(runtime.settings)
        pipeline = EventPipeline(spool=spool, db=runtime.db, tz=zone, sinks=sinks)
        profile = cProfile.Profile()
        started = time.perf_counter()
        cpu = time.process_time()
        if not args.no_profile:
            profile.enable()
        handled = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and (done := pipeline.process_once()):
            handled += done
        if not args.no_profile:
            profile.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{handled:,} frames in {wall:.2f}s wall ({handled / wall:,.0f}/s), {cpu:.2f}s CPU "
            f"({handled / cpu:,.0f}/s per core){' under cProfile' if not args.no_profile else ''}; "
            f"stats {pipeline.stats.snapshot()['events']} events"
        )
        if not args.no_profile:
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
        if detection is not None:
            detection.close()
        spool.close()
        runtime.close()


if __name__ == "__main__":
    main()
