"""Threat-intel matching throughput: events per second through ``IntelMatcher.observe`` with 100k indicators.

Run: python benchmarks/intel_match.py [--indicators 100000] [--events 200000]
(pin it to one core with ``taskset -c 0``). Indicators: addresses, networks of several prefix
lengths, domains, URLs and hashes in the proportions a mix of public feeds has; events: firewall,
DNS, HTTP/TLS and Sysmon-like process events with the fields the matcher reads, about 1% of them
naming an indicator. Reports index build time, events/s, matches and the index's memory.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ironwatch.detect.intel import IndicatorIndex, IndicatorRecord, IntelMatcher
from ironwatch.ingest.event import Event

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORDS = ("secure", "login", "update", "cdn", "mail", "pay", "cloud", "account", "verify", "files")


def _ip(rng: random.Random) -> str:
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _domain(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}-{rng.randrange(10**6)}.{rng.choice(('com', 'net', 'example', 'io'))}"


def indicators(count: int, rng: random.Random) -> list[IndicatorRecord]:
    shares = (
        ("ipv4", 0.40),
        ("cidr", 0.05),
        ("domain", 0.30),
        ("url", 0.10),
        ("sha256", 0.10),
        ("md5", 0.05),
    )
    records: list[IndicatorRecord] = []
    for kind, share in shares:
        for _ in range(int(count * share)):
            if kind == "ipv4":
                value = _ip(rng)
            elif kind == "cidr":
                length = rng.choice((16, 20, 24, 24, 24, 28))
                a, b, c = rng.randrange(1, 224), rng.randrange(256), rng.randrange(256)
                number = (a << 24 | b << 16 | c << 8) >> (32 - length) << (32 - length)
                value = f"{number >> 24}.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}/{length}"
            elif kind == "domain":
                value = _domain(rng)
            elif kind == "url":
                value = f"http://{_domain(rng)}/{rng.choice(WORDS)}/{rng.randrange(10**6)}.php"
            else:
                value = (
                    f"{rng.getrandbits(256 if kind == 'sha256' else 128):0{64 if kind == 'sha256' else 32}x}"
                )
            records.append(
                IndicatorRecord(len(records) + 1, kind, value, "bench", 70, "amber", None, None, "", None)
            )
    return records


def events(count: int, records: list[IndicatorRecord], rng: random.Random) -> list[Event]:
    by_kind: dict[str, list[str]] = {}
    for record in records:
        by_kind.setdefault(record.type, []).append(record.value)
    out: list[Event] = []
    for n in range(count):
        hit = rng.random() < 0.01
        shape = n % 4
        if shape == 0:  # firewall
            fields: dict[str, object] = {
                "source.ip": _ip(rng),
                "destination.ip": rng.choice(by_kind["ipv4"]) if hit else _ip(rng),
                "destination.port": 443,
                "event.action": "deny",
                "host.name": "fw1",
            }
        elif shape == 1:  # DNS
            fields = {
                "source.ip": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
                "dns.question.name": ("www." + rng.choice(by_kind["domain"])) if hit else _domain(rng),
                "host.name": "dns1",
            }
        elif shape == 2:  # HTTP through a proxy
            fields = {
                "source.ip": f"10.1.{rng.randrange(256)}.{rng.randrange(256)}",
                "destination.ip": _ip(rng),
                "url.full": rng.choice(by_kind["url"]) if hit else f"https://{_domain(rng)}/index.html",
                "url.domain": "x",
                "tls.client.server_name": _domain(rng),
            }
        else:  # process start with hashes
            digest = rng.choice(by_kind["sha256"]) if hit else f"{rng.getrandbits(256):064x}"
            fields = {
                "host.name": "ws17",
                "process.executable": r"C:\Users\a\Downloads\x.exe",
                "file.hash.sha256": digest,
                "Hashes": f"SHA256={digest.upper()},MD5={rng.getrandbits(128):032X}",
            }
        out.append(Event(f"e{n}", NOW, NOW, "bench", fields, ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(42)
    tracemalloc.start()  # the records and the index: what a loaded matcher holds
    records = indicators(args.indicators, rng)
    started = time.perf_counter()
    index = IndicatorIndex(records)
    built = time.perf_counter() - started
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    stream = events(args.events, records, rng)
    matcher = IntelMatcher(index)
    started, cpu = time.perf_counter(), time.process_time()
    matches = 0
    for event in stream:
        matches += len(matcher.observe(event, ()))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = len(stream)
    print(f"indicators: {len(index):,} (built in {built:.2f} s, {memory / 2**20:.0f} MiB: records + index)")
    print(f"events: {count:,}; {matches:,} matches; load average {os.getloadavg()[0]:.2f}")
    print(f"wall: {count / elapsed:,.0f} events/s; CPU: {count / cpu:,.0f} events/s")


if __name__ == "__main__":
    main()
