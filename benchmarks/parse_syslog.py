"""Lines per second for syslog + auth parsing, end to end from bytes, on 200k generated lines.

Run: python benchmarks/parse_syslog.py [--lines N]
Measures parse_stream (file/stream path) and parse_frame (network path, one call per frame).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ironwatch.ingest import Event
from ironwatch.ingest.parsers import parse_frame, parse_stream

HEAD = "<{pri}>Jan  5 10:{m:02d}:{s:02d} {host}{h} "
TEMPLATES = (
    HEAD + "sshd[{pid}]: Failed password for invalid user {user} from 203.0.113.{o} port {port} ssh2",
    HEAD
    + "sshd[{pid}]: Accepted publickey for {user} from 192.0.2.{o} port {port} ssh2: ED25519 SHA256:Zm9v",
    HEAD
    + "sudo:    {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart x",
    HEAD + "kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.{o} DST=10.0.0.2 LEN=60 TOS=0x00 "
    "PREC=0x00 TTL=52 ID=0 DF PROTO=TCP SPT={port} DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0",
    HEAD + "systemd[1]: Started Session {pid} of user {user}.",
    '<165>1 2024-01-05T10:{m:02d}:{s:02d}.003Z {host}{h} app {pid} ID47 [meta seq="{pid}"] served in {o}ms',
)
USERS = ("alice", "bob", "root", "admin", "deploy", "oracle")


def generate(count: int) -> list[bytes]:
    rng = random.Random(42)
    return [
        rng.choice(TEMPLATES)
        .format(
            pri=rng.choice((38, 86, 4, 30)),
            host=rng.choice(("web", "fw")),
            m=rng.randrange(60),
            s=rng.randrange(60),
            h=rng.randrange(9),
            pid=rng.randrange(1, 65535),
            user=rng.choice(USERS),
            o=rng.randrange(1, 255),
            port=rng.randrange(1024, 65535),
        )
        .encode()
        + b"\n"
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    lines = generate(args.lines)

    start, cpu = time.perf_counter(), time.process_time()
    results = list(parse_stream(lines, format="syslog", source="bench"))
    stream_seconds, stream_cpu = time.perf_counter() - start, time.process_time() - cpu
    events = sum(isinstance(item, Event) for item in results)
    auth = sum(isinstance(item, Event) and item.dataset == "linux.auth" for item in results)
    assert events == len(lines), f"{len(lines) - events} lines failed"

    received = datetime.now(UTC)
    start, cpu = time.perf_counter(), time.process_time()
    for line in lines:
        parse_frame(line, source="10.0.0.1:514", transport="udp", received_at=received)
    frame_seconds, frame_cpu = time.perf_counter() - start, time.process_time() - cpu

    print(f"lines: {len(lines)} (linux.auth: {auth}, all parsed: {events == len(lines)})")
    # CPU-time rates are what one core sustains; wall-clock rates drop when the machine is shared.
    for name, wall, cpu_seconds in (
        ("parse_stream", stream_seconds, stream_cpu),
        ("parse_frame", frame_seconds, frame_cpu),
    ):
        print(f"{name:13} {len(lines) / wall:,.0f} lines/s wall, {len(lines) / cpu_seconds:,.0f} lines/s CPU")


if __name__ == "__main__":
    main()
