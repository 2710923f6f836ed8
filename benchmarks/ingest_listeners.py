"""Sustained syslog TCP and RELP throughput into the durable spool, on loopback.

A sender process writes N RFC 5424 messages (about 120 bytes each) to the listener; the
server process counts a message once it is committed to the spool (SQLite WAL, FULL sync).
TCP: time from connect to the last message spooled. RELP: the sender keeps a window of
frames in flight and the time is until the last ``rsp 200 OK`` arrives (acked = durable).
Zero loss is checked by reading every spooled frame back and checking the sequence numbers.

    python benchmarks/ingest_listeners.py --tcp-messages 300000 --relp-messages 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ironwatch.ingest.counters import IngestCounters
from ironwatch.ingest.sources.relp_protocol import RelpParser, encode_frame
from ironwatch.ingest.sources.server import ListenerConfig, start_listeners
from ironwatch.ingest.spool import Spool
from ironwatch.ingest.spool_writer import SpoolWriter

TIME_LIMIT = 120.0


def message(i: int) -> bytes:
    return (
        b"<134>1 2026-03-01T12:00:00.000000Z bench.example app 4242 ID7 - benchmark message number %09d" % i
    )


def send_tcp(port: int, count: int) -> None:
    """Octet-counted messages in 256 KiB writes."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        chunk: list[bytes] = []
        size = 0
        for i in range(count):
            m = message(i)
            chunk.append(b"%d %s" % (len(m), m))
            size += len(m) + 4
            if size > 1 << 18:
                sock.sendall(b"".join(chunk))
                chunk, size = [], 0
        sock.sendall(b"".join(chunk))


def send_relp(port: int, count: int, window: int) -> None:
    """A RELP client with up to ``window`` unacknowledged frames, as omrelp does (default 128)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        parser = RelpParser()
        sock.sendall(encode_frame(1, "open", b"relp_version=0\nrelp_software=bench\ncommands=syslog"))
        acked = -1  # the open
        sent = 0
        txnr = 1
        deadline = time.monotonic() + TIME_LIMIT
        while acked < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"RELP sender timed out with {acked} of {count} acked")
            burst = []
            while sent < count and sent - acked < window:
                txnr += 1
                burst.append(encode_frame(txnr, "syslog", message(sent)))
                sent += 1
            if burst:
                sock.sendall(b"".join(burst))
            for frame in parser.feed(sock.recv(1 << 20)):
                if frame.command != "rsp" or not frame.data.startswith(b"200"):
                    raise SystemExit(f"unexpected response {frame}")
                acked += 1
        sock.sendall(encode_frame(txnr + 1, "close"))


def check_no_loss(spool: Spool, count: int) -> None:
    spool.release_claims()
    seen = 0
    expected = 0
    while batch := spool.claim(50_000):
        for item in batch:
            number = int(item.frame.payload.rsplit(b" ", 1)[1])
            if number != expected:
                raise SystemExit(f"loss or reordering: expected message {expected}, found {number}")
            expected += 1
            seen += 1
    if seen != count:
        raise SystemExit(f"spooled {seen} of {count} messages")


async def run(kind: str, count: int, window: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        spool = Spool(Path(tmp) / "spool.db", max_rows=count + 20_000, max_bytes=4 << 30)
        writer = SpoolWriter(spool, batch_size=10_000, max_delay=0.005, queue_frames=200_000)
        config = (
            ListenerConfig(syslog_tcp="127.0.0.1:0") if kind == "tcp" else ListenerConfig(relp="127.0.0.1:0")
        )
        group = await start_listeners(config, writer, counters=IngestCounters())
        port = next(iter(group.addresses.values()))[1]
        args = [sys.executable, __file__, "--send", kind, "--port", str(port), "--count", str(count)]
        started = time.perf_counter()
        sender = await asyncio.create_subprocess_exec(*args, "--window", str(window))
        deadline = time.monotonic() + TIME_LIMIT
        if kind == "tcp":
            while spool.stats().rows < count:
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out: {spool.stats().rows} of {count} spooled")
                await asyncio.sleep(0.002)
            elapsed = time.perf_counter() - started
            await asyncio.wait_for(sender.wait(), TIME_LIMIT)
        else:
            await asyncio.wait_for(sender.wait(), TIME_LIMIT)
            elapsed = time.perf_counter() - started
        if sender.returncode != 0:
            raise SystemExit(f"sender failed with exit code {sender.returncode}")
        await group.aclose()
        await writer.aclose()
        counts = group.counters.snapshot()
        check_no_loss(spool, count)
        print(
            f"{kind}: {count} messages in {elapsed:.2f}s = {count / elapsed:,.0f} msg/s "
            f"({writer.batches_written} commits, counters {counts})"
        )
        spool.close()
        return count / elapsed


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--tcp-messages", type=int, default=300_000)
    parser.add_argument("--relp-messages", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=1024, help="RELP frames in flight")
    parser.add_argument("--send", choices=["tcp", "relp"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send == "tcp":
        send_tcp(args.port, args.count)
        return
    if args.send == "relp":
        send_relp(args.port, args.count, args.window)
        return
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    asyncio.run(run("tcp", args.tcp_messages, args.window))
    asyncio.run(run("relp", args.relp_messages, args.window))


if __name__ == "__main__":
    main()
