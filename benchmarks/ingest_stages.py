"""The ceiling of each stage of the syslog ingest pipeline, alone, in CPU-seconds and wall seconds.

What ``serve`` does to every frame, one stage at a time on a prepared spool (fresh temporary home,
SQLite, the sshd RFC 5424 lines of ``ingest_end_to_end.py``), so the slowest stage and the sum are
visible without the listeners, the API or other engineers' load mixing in (CPU time is per process,
so it is what one core sustains whatever the load average):

1. spool append (what the listeners' writer does, batches of 2,000, ``synchronous=FULL``),
2. claim (read frames back), 3. parse (bytes to ``Event``), 4. store (insert + commit into ``events``),
5. ack (delete from the spool). The pipeline does 2-5 for each batch.

    PYTHONPATH=src python benchmarks/ingest_stages.py [--frames 200000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_end_to_end import auth_line  # noqa: E402

from ironwatch.bootstrap import build_runtime  # noqa: E402
from ironwatch.ingest.frames import RawFrame, Transport  # noqa: E402
from ironwatch.ingest.pipeline import EventPipeline  # noqa: E402
from ironwatch.ingest.service import source_zone  # noqa: E402
from ironwatch.ingest.spool import Spool  # noqa: E402
from ironwatch.ingest.store import store_results  # noqa: E402
from ironwatch.settings import Settings  # noqa: E402


class Stage:
    """Accumulated wall and CPU time of one stage."""

    def __init__(self, name: str) -> None:
        self.name, self.wall, self.cpu = name, 0.0, 0.0

    @contextmanager
    def timed(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    stages = {name: Stage(name) for name in ("append", "claim", "parse", "store", "ack")}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="iw-stages-") as tmp:
        home = Path(tmp)
        runtime = build_runtime(Settings(home=home))
        spool = Spool(home / "spool.db", max_rows=args.frames + 10_000, max_bytes=4 << 30)
        now = datetime.now(UTC)
        for start in range(0, args.frames, args.batch):
            frames = [
                RawFrame("syslog-tcp", Transport.TCP, "127.0.0.1:40000", now, auth_line("t", i))
                for i in range(start, min(start + args.batch, args.frames))
            ]
            with stages["append"].timed():
                spool.append_batch(frames)
        pipeline = EventPipeline(spool=spool, db=runtime.db, tz=source_zone(runtime.settings))
        handled = 0
        while handled < args.frames:
            with stages["claim"].timed():
                claimed = spool.claim(args.batch)
            if not claimed:
                break
            with stages["parse"].timed():
                results = [(pipeline._parse(s, s.event_id), s.event_id) for s in claimed]
            with stages["store"].timed(), runtime.db.engine.begin() as conn:
                store_results(conn, results)
            with stages["ack"].timed():
                spool.ack([s.id for s in claimed])
            handled += len(claimed)
        spool.close()
        runtime.close()
    print(f"{handled:,} frames, batches of {args.batch:,}; load average at start {load[0]:.2f}")
    print(f"{'stage':<8} {'wall/s':>12} {'per CPU-s':>12} {'µs CPU/frame':>14}")
    pipeline_cpu = 0.0
    for stage in stages.values():
        if stage.name != "append":
            pipeline_cpu += stage.cpu
        print(
            f"{stage.name:<8} {handled / stage.wall:>12,.0f} {handled / stage.cpu:>12,.0f} "
            f"{stage.cpu / handled * 1e6:>14.1f}"
        )
    print(f"{'pipeline':<8} {'':>12} {handled / pipeline_cpu:>12,.0f} {pipeline_cpu / handled * 1e6:>14.1f}")


if __name__ == "__main__":
    main()
