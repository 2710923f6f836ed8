"""A poor man's sampling profiler (or allocation tracer) for ``ironwatch serve`` (no py-spy on this
machine): runs ``serve`` in this process with a thread that records every thread's Python stack every
few milliseconds, and on exit (SIGTERM/SIGINT) writes the functions seen most, by own time and by
inclusive time, per thread.

    PYTHONPATH=src python benchmarks/sample_serve.py --out /tmp/serve-samples.txt -- serve --port ...

``ingest_end_to_end.py --sample-serve FILE`` starts the server this way. The sampler costs a few
per cent of one core (it takes the GIL to walk the stacks).
"""

from __future__ import annotations

import argparse
import atexit
import signal
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_firstlineno}({code.co_name})"


class Sampler:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.own: dict[str, Counter[str]] = {}
        self.inclusive: dict[str, Counter[str]] = {}
        self.samples: Counter[str] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(self.interval):
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                thread = names.get(ident, str(ident))
                self.samples[thread] += 1
                self.own.setdefault(thread, Counter())[_where(frame)] += 1
                seen: set[str] = set()
                walk: FrameType | None = frame
                while walk is not None:
                    where = _where(walk)
                    if where not in seen:
                        seen.add(where)
                        self.inclusive.setdefault(thread, Counter())[where] += 1
                    walk = walk.f_back

    def write(self, out: Path, top: int = 30) -> None:
        lines = [f"sampling every {self.interval * 1000:.0f} ms; samples per thread: {dict(self.samples)}"]
        for thread, total in self.samples.most_common():
            lines.append(f"\n=== thread {thread}: {total} samples; own (leaf) time")
            for where, count in self.own[thread].most_common(top):
                lines.append(f"{count / total:7.1%}  {where}")
            lines.append(f"--- thread {thread}: inclusive")
            for where, count in self.inclusive[thread].most_common(top):
                lines.append(f"{count / total:7.1%}  {where}")
        out.write_text("\n".join(lines) + "\n")


class AllocationGrowth:
    """Python allocations alive at exit minus those alive ``after`` seconds in, by source line."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.first: tracemalloc.Snapshot | None = None
        tracemalloc.start(1)

    def first_snapshot(self) -> None:
        time.sleep(self.after)
        self.first = tracemalloc.take_snapshot()

    def write(self, out: Path, top: int = 25) -> None:
        last = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        lines = [f"traced Python memory at exit {current / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB"]
        if self.first is not None:
            lines.append(f"growth from {self.after:g} s to exit, by line:")
            for stat in last.compare_to(self.first, "lineno")[:top]:
                size, count = stat.size_diff / 2**20, stat.count_diff
                lines.append(f"{size:+8.2f} MiB {count:+9d} blocks  {stat.traceback}")
        lines.append("largest at exit, by line:")
        for stat in last.statistics("lineno")[:top]:
            lines.append(f"{stat.size / 2**20:8.2f} MiB {stat.count:9d} blocks  {stat.traceback}")
        out.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument(
        "--tracemalloc", type=float, metavar="SECONDS",
        help="instead of stacks: trace Python allocations, snapshot after SECONDS and at exit, write the"
        " growth between them by line (what Python objects the server keeps accumulating)",
    )  # fmt: skip
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    started = time.monotonic()
    if args.tracemalloc:
        watch = AllocationGrowth(args.tracemalloc)
        threading.Thread(target=watch.first_snapshot, name="tracemalloc", daemon=True).start()
        atexit.register(lambda: watch.write(args.out))
    else:
        sampler = Sampler(args.interval)
        threading.Thread(target=sampler.run, name="sampler", daemon=True).start()

        def finish() -> None:
            sampler.stop.set()
            sampler.write(args.out)
            print(f"samples of {time.monotonic() - started:.0f} s written to {args.out}", file=sys.stderr)

        atexit.register(finish)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds like Ctrl-C: atexit runs

    from ironwatch.cli.main import app  # imported after the sampler starts, to see start-up too

    app(argv, prog_name="ironwatch")


if __name__ == "__main__":
    main()
