"""End-to-end ingest through a real ``ironwatch serve`` process: listener -> spool -> parse -> events table.

One run, one server (fresh temporary IRONWATCH_HOME, SQLite), lanes one after another:

1. syslog over TCP: a sender process writes octet-counted RFC 5424 sshd auth lines for ``--seconds``;
   reported: messages/s sent, and messages/s stored (sent count / time from the first send until
   ``stored.events`` in ``GET /api/v1/status`` reaches it). Zero loss: stored == sent, exactly.
2. RELP (window 128): acked messages/s and stored messages/s, zero loss.
3. HTTP NDJSON (``POST /api/v1/events``, 1000 events per request): accepted events/s and stored events/s.
4. EVTX: ``ironwatch ingest`` (subprocess, its own fresh home) of ``../shared/corpus/evtx`` against
   the raw ``evtx`` parser (``records_json()``) on the same files in the same run.
5. Server memory: VmRSS sampled every second, VmHWM (peak) at the end.

After the lanes every stored message is read back from the database and checked per lane: each
sequence number present exactly once. Every load loop is bounded in count and time; loopback only.

    PYTHONPATH=src python benchmarks/ingest_end_to_end.py [--seconds 20] [--window 128] [--batch 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx2 as httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

MAX_MESSAGES = 20_000_000  # hard cap per lane, whatever the duration
DRAIN_LIMIT = 300.0  # seconds to wait for the pipeline to store what was sent
SEQ = re.compile(r"\b([tre])(\d{9})\b")
OFFERS = b"relp_version=0\nrelp_software=ironwatch-bench\ncommands=syslog"


def auth_body(lane: str, i: int) -> bytes:
    """An sshd failure; the invalid user name carries the lane letter and sequence number."""
    return b"Failed password for invalid user %s%09d from 203.0.113.%d port %d ssh2" % (
        lane.encode(), i, i % 250 + 1, 1024 + i % 60000,
    )  # fmt: skip


def auth_line(lane: str, i: int) -> bytes:
    """The RFC 5424 syslog line around ``auth_body``."""
    return b"<38>1 2026-03-01T12:00:00.000000Z bastion.example sshd 4242 - - " + auth_body(lane, i)


#: the parse_syslog.py mix (RFC 3164 sshd accepted/failed, sudo, ufw, systemd, RFC 5424 with structured
#: data), each line carrying its lane letter and sequence number where the format has free text, so
#: loss is still checked per message. Weights per 100 lines: failed passwords (the lines that can
#: alert) are 2 in 100, the rest is the everyday traffic of a Linux server.
_MIX_HEAD = b"<%d>Jan  5 10:%02d:%02d %s "
_MIX: tuple[tuple[int, bytes], ...] = (
    (2, b"sshd[%d]: Failed password for invalid user %s from 203.0.113.%d port %d ssh2"),
    (20, b"sshd[%d]: Accepted publickey for alice from 192.0.2.%d port %d ssh2: ED25519 SHA256:%s"),
    (15, b"sudo:    bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/systemctl restart %s"),
    (25, b"kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.%d DST=10.0.0.2 LEN=60 TOS=0x00 "
     b"PREC=0x00 TTL=52 ID=0 DF PROTO=TCP SPT=%d DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0 MARK=%s"),
    (20, b"systemd[1]: Started Session %d of user alice (%s)."),
    (18, b""),  # RFC 5424 with structured data, built below
)  # fmt: skip
_MIX_SLOTS = tuple(index for index, (weight, _) in enumerate(_MIX) for _ in range(weight))


def mixed_line(lane: str, i: int) -> bytes:
    """Line ``i`` of the realistic mix (deterministic: the same ``i`` gives the same line)."""
    seq = b"%s%09d" % (lane.encode(), i)
    kind = _MIX_SLOTS[(i * 37) % len(_MIX_SLOTS)]  # spread the kinds, no RNG state to share
    octet, port, minute, second = i % 250 + 1, 1024 + i % 60000, i // 60 % 60, i % 60
    host = b"web%d" % (i % 9)
    if kind == 5:
        return b'<165>1 2024-01-05T10:%02d:%02d.003Z %s app %d ID47 [meta seq="%s"] served in %dms' % (
            minute, second, host, i % 65535 + 1, seq, octet,
        )  # fmt: skip
    head = _MIX_HEAD % ((38, 86, 4, 30)[i % 4], minute, second, host)
    template = _MIX[kind][1]
    if kind == 0:
        body = template % (i % 65535 + 1, seq, octet, port)
    elif kind == 1:
        body = template % (i % 65535 + 1, octet, port, seq)
    elif kind == 2:
        body = template % seq
    elif kind == 3:
        body = template % (octet, port, seq)
    else:
        body = template % (i % 65535 + 1, seq)
    return head + body


LINES = {"alert-storm": auth_line, "realistic": mixed_line}
SUSTAINED = "syslog TCP sustained"


# --- senders (run as child processes so they do not share a GIL with the poller) -------------------


def send_tcp(port: int, seconds: float, mix: str = "alert-storm", rate: float = 0.0) -> dict[str, float]:
    """Octet-counted frames for ``seconds``; sendall blocks under backpressure.

    As fast as the socket takes them in ~256 KiB writes, or with ``rate`` > 0 that many messages per
    second, sent every 0.1 s (a sustained load the server should keep up with, for the memory lane).
    """
    line = LINES[mix]
    sent = 0
    start = time.perf_counter()
    deadline = start + seconds
    step = 2000 if rate <= 0 else max(1, round(rate / 10))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        while time.perf_counter() < deadline and sent < MAX_MESSAGES:
            if rate > 0:
                due = start + sent / rate  # when this chunk is due: no burst to catch up a late one
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            chunk = []
            for i in range(sent, sent + step):
                m = line("t", i)
                chunk.append(b"%d %s" % (len(m), m))
            sock.sendall(b"".join(chunk))
            sent += step
        elapsed = time.perf_counter() - start
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(DRAIN_LIMIT)
        while sock.recv(65536):  # the server closes after reading everything
            pass
    return {"sent": sent, "seconds": elapsed}


def send_relp(port: int, seconds: float, window: int) -> dict[str, float]:
    from ironwatch.ingest.sources.relp_protocol import RelpFrame, RelpParser, encode_frame

    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    parser = RelpParser()
    sock.sendall(encode_frame(1, "open", OFFERS))
    opened = False
    while not opened:
        opened = any(isinstance(f, RelpFrame) and f.command == "rsp" for f in parser.feed(sock.recv(65536)))
    txnr, sent, acked, bad = 1, 0, 0, 0
    start = time.perf_counter()
    deadline = start + seconds
    hard_deadline = deadline + 60
    while acked + bad < sent or (time.perf_counter() < deadline and sent < MAX_MESSAGES):
        if time.perf_counter() > hard_deadline:
            raise SystemExit(f"RELP: {sent - acked} frames never acknowledged")
        burst = []
        while time.perf_counter() < deadline and sent - acked - bad < window and sent < MAX_MESSAGES:
            txnr += 1
            burst.append(encode_frame(txnr, "syslog", auth_line("r", sent)))
            sent += 1
        if burst:
            sock.sendall(b"".join(burst))
        for frame in parser.feed(sock.recv(1 << 20)):
            if isinstance(frame, RelpFrame) and frame.command == "rsp":
                if frame.data.startswith(b"200"):
                    acked += 1
                else:
                    bad += 1
    elapsed = time.perf_counter() - start
    sock.sendall(encode_frame(txnr + 1, "close"))
    sock.close()
    return {"sent": sent, "acked": acked, "rejected": bad, "seconds": elapsed}


def send_http(base: str, token: str, seconds: float, batch: int) -> dict[str, float]:
    accepted = requests = refused = 0
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        while time.perf_counter() < deadline and n < MAX_MESSAGES:
            body = b"\n".join(b'{"message": "%s"}' % auth_body("e", i) for i in range(n, n + batch))
            while time.perf_counter() < deadline + 30:
                response = api.post(
                    "/api/v1/events", content=body, headers={"content-type": "application/x-ndjson"}
                )
                requests += 1
                if response.status_code == 202:
                    break
                if response.status_code in (429, 503):
                    refused += 1
                    time.sleep(float(response.headers.get("retry-after", "0.2")))
                    continue
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
            else:
                break
            accepted += batch
            n += batch
    return {
        "sent": accepted,
        "seconds": time.perf_counter() - start,
        "requests": requests,
        "refused": refused,
    }


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin_token(home: Path) -> str:
    from ironwatch.access import service as access
    from ironwatch.bootstrap import build_runtime
    from ironwatch.core.principal import system_principal
    from ironwatch.settings import Settings

    runtime = build_runtime(Settings(home=home))
    try:
        with runtime.uow(system_principal("bench"), write=True) as uow:
            access.create_user(uow, username="admin", role="admin", password=os.urandom(16).hex())
            uow.commit()
        with runtime.uow(system_principal("bench"), write=True) as uow:
            secret, _ = access.create_token(uow, username="admin")
            uow.commit()
    finally:
        runtime.close()
    return str(secret)


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONWATCH_")}
    env["IRONWATCH_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


@dataclass
class Memory:
    pid: int
    samples: list[tuple[float, str, int]] = field(default_factory=list)  # (t, lane, VmRSS kB)
    lane: str = "start"
    hwm_kb: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    interval: float = 1.0

    def read(self) -> dict[str, int]:
        values = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0])
        return values

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop.is_set():
            try:
                values = self.read()
            except OSError:
                return
            self.samples.append((time.monotonic() - start, self.lane, values["VmRSS"]))
            self.hwm_kb = max(self.hwm_kb, values["VmHWM"])
            self.stop.wait(self.interval)


@dataclass
class Lane:
    name: str
    unit: str
    sent: int = 0
    send_seconds: float = 0.0
    stored: int = 0
    store_seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    loss_check: str = ""


def stored_events(api: httpx.Client) -> tuple[int, int, int]:
    status = api.get("/api/v1/status").json()
    return (
        int(status["stored"]["events"]),
        int(status["spool"]["depth"]),
        int(status["stored"]["parse_failures"]),
    )


def probe_depth(base: str, token: str, memory: Memory, depths: dict[int, int]) -> None:
    """The spool depth at each memory sample of the sustained lane (backlog growing = not sustained)."""
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
        seen = len(memory.samples)
        while not memory.stop.is_set():
            if len(memory.samples) != seen:
                seen = len(memory.samples)
                with contextlib.suppress(httpx.HTTPError):
                    depths[seen - 1] = stored_events(api)[1]
            time.sleep(0.2)


def count_alerts(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])


def run_lane(name: str, unit: str, sender_args: list[str], api: httpx.Client, memory: Memory) -> Lane:
    memory.lane = name
    before, _, failures_before = stored_events(api)
    start = time.perf_counter()
    sending = float(sender_args[sender_args.index("--seconds") + 1])  # a 10-minute lane outlives DRAIN_LIMIT
    sender = subprocess.run(
        [sys.executable, __file__, *sender_args],
        capture_output=True,
        text=True,
        timeout=sending + DRAIN_LIMIT,
    )
    if sender.returncode != 0:
        raise SystemExit(f"{name} sender failed:\n{sender.stderr[-2000:]}")
    result = json.loads(sender.stdout.strip().splitlines()[-1])
    expected = int(result.get("acked", result["sent"]))
    lane = Lane(name, unit, sent=expected, send_seconds=float(result["seconds"]), extra=result)
    deadline = time.monotonic() + DRAIN_LIMIT
    while True:
        stored, depth, failures = stored_events(api)
        if stored - before >= expected or time.monotonic() > deadline:
            break
        # once a second: every status call counts the events table (COUNT(*)), which on a table of
        # millions of rows costs the server real time; ten polls a second slowed what they measured
        time.sleep(1.0)
    lane.store_seconds = time.perf_counter() - start
    lane.stored = stored - before
    lane.extra["parse_failures"] = failures - failures_before
    lane.extra["spool_depth_after"] = depth
    return lane


def verify_lanes(db: Path, lanes: dict[str, Lane]) -> None:
    """Read every stored message back: each lane's sequence numbers 0..sent-1 exactly once."""
    seen: dict[str, list[int]] = {"t": [], "r": [], "e": []}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for (message,) in conn.execute("SELECT message FROM events"):
            match = SEQ.search(message or "")
            if match:
                seen[match.group(1)].append(int(match.group(2)))
    for letter, lane in lanes.items():
        numbers = seen[letter]
        unique = set(numbers)
        missing = lane.sent - len(unique & set(range(lane.sent)))
        duplicates = len(numbers) - len(unique)
        ok = missing == 0 and duplicates == 0 and len(numbers) == lane.sent
        lane.loss_check = (
            "zero loss, no duplicates" if ok else f"LOSS: {missing} missing, {duplicates} duplicated"
        )


# --- EVTX ----------------------------------------------------------------------------------------


def evtx_lane(corpus: Path, tmp: Path) -> dict[str, float] | str:
    files = sorted(corpus.rglob("*.evtx")) if corpus.is_dir() else []
    if not files:
        return f"skipped: no .evtx files under {corpus}"
    from evtx import PyEvtxParser

    start = time.perf_counter()
    raw = 0
    for path in files:
        for _record in PyEvtxParser(str(path)).records_json():
            raw += 1
    raw_seconds = time.perf_counter() - start
    home = tmp / "evtx-home"
    home.mkdir()
    command = [sys.executable, "-m", "ironwatch", "ingest", "--json", *map(str, files)]
    start = time.perf_counter()
    baseline = subprocess.run(
        [sys.executable, "-c", "import ironwatch.cli.main"],
        env=clean_env(home),
        capture_output=True,
        timeout=120,
    )
    startup = time.perf_counter() - start
    if baseline.returncode != 0:
        startup = 0.0
    start = time.perf_counter()
    done = subprocess.run(command, env=clean_env(home), capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ironwatch ingest failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return {
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "raw_records": raw,
        "raw_seconds": raw_seconds,
        "events": int(result["events"]),
        "failures": int(result["failures"]),
        "seconds": seconds,
        "startup": startup,
    }


# --- report --------------------------------------------------------------------------------------


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return f"{platform.processor() or 'unknown'}, {os.cpu_count()} CPUs"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    model = fields.get("Model name", "unknown").strip()
    cpus = fields.get("CPU(s)", str(os.cpu_count())).strip()
    threads = fields.get("Thread(s) per core", "?").strip()
    return f"{model}, {cpus} CPUs ({threads} thread(s) per core), Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def flat_verdict(samples: list[tuple[float, int]], window: float = 300.0) -> tuple[bool, str]:
    """The rule for "flat": over the last ``window`` seconds of load (5 minutes; the second half of a
    shorter run) every VmRSS sample is within +-10% of their mean, and the least-squares trend over
    that window adds less than 5% of the mean across it. Returns (flat, the figures behind it)."""
    if len(samples) < 4:
        return False, "too few samples"
    end = samples[-1][0]
    span = window if end - samples[0][0] >= 2 * window else (end - samples[0][0]) / 2
    tail = [(t, kb) for t, kb in samples if t >= end - span]
    mean = sum(kb for _, kb in tail) / len(tail)
    spread = max(abs(kb - mean) for _, kb in tail) / mean
    t_mean = sum(t for t, _ in tail) / len(tail)
    var = sum((t - t_mean) ** 2 for t, _ in tail) or 1e-9
    slope = sum((t - t_mean) * (kb - mean) for t, kb in tail) / var  # kB per second
    trend = slope * span / mean
    flat = spread <= 0.10 and trend < 0.05
    return flat, (
        f"last {span / 60:.1f} min: mean {mean / 1024:.0f} MiB, max deviation {spread:.1%} (rule <= 10%), "
        f"trend {trend:+.1%} over the window (rule < +5%)"
    )


def memory_curve(console: Console, memory: Memory, depths: dict[int, int]) -> None:
    """The sustained lane's VmRSS samples as a table with a bar per sample (and the spool depth)."""
    indexed = [(i, t, kb) for i, (t, lane, kb) in enumerate(memory.samples) if lane == SUSTAINED]
    if not indexed:
        return
    samples = [(t, kb) for _, t, kb in indexed]
    t0 = samples[0][0]
    peak = max(kb for _, kb in samples)
    chart = Table(title=f"server VmRSS every {memory.interval:g} s under sustained load", show_lines=False)
    for column in ("t (s)", "RSS MiB", "spool depth", ""):
        chart.add_column(column, justify="right" if column else "left")
    for index, t, kb in indexed:
        bar = "█" * max(1, round(60 * kb / peak))
        depth = depths.get(index)
        chart.add_row(f"{t - t0:.0f}", f"{kb / 1024:.1f}", "" if depth is None else f"{depth:,}", bar)
    console.print(chart)
    flat, detail = flat_verdict([(t - t0, kb) for t, kb in samples])
    console.print(f"memory {'FLAT' if flat else 'NOT FLAT'}: {detail}; VmHWM {memory.hwm_kb / 1024:.0f} MiB")


def report(console: Console, lanes: dict[str, Lane], evtx: dict[str, float] | str, memory: Memory) -> None:
    table = Table(title="ironwatch ingest end to end (one serve process, SQLite)")
    for column in ("lane", "count", "sent/acked per s", "stored per s", "stored == sent", "target", "met"):
        table.add_column(column, justify="right" if column not in ("lane", "stored == sent") else "left")
    for letter, lane in lanes.items():
        send_rate = lane.sent / lane.send_seconds if lane.send_seconds else 0.0
        store_rate = lane.stored / lane.store_seconds if lane.store_seconds else 0.0
        target, met = "-", "-"
        if letter == "t":
            target = ">= 50,000 stored/s, 0 loss"
            met = "yes" if store_rate >= 50_000 and lane.loss_check.startswith("zero") else "NO"
        table.add_row(
            lane.name,
            f"{lane.sent:,}",
            f"{send_rate:,.0f} {lane.unit}",
            f"{store_rate:,.0f}",
            f"{lane.stored:,} / {lane.sent:,}: {lane.loss_check}",
            target,
            met,
        )
    if isinstance(evtx, str):
        table.add_row("EVTX", "-", "-", "-", evtx, ">= 50% of raw", "-")
    else:
        raw_rate = evtx["raw_records"] / evtx["raw_seconds"]
        rate = evtx["events"] / evtx["seconds"]
        net = evtx["events"] / max(evtx["seconds"] - evtx["startup"], 1e-9)
        table.add_row(
            "EVTX raw evtx records_json()",
            f"{evtx['raw_records']:,.0f}",
            f"{raw_rate:,.0f} rec",
            "-",
            "-",
            "-",
            "-",
        )
        table.add_row(
            "EVTX `ironwatch ingest`",
            f"{evtx['events']:,.0f}",
            f"{rate:,.0f} ev (excl. startup {net:,.0f})",
            f"{rate:,.0f}",
            f"failures {evtx['failures']:,.0f}",
            ">= 50% of raw",
            f"{'yes' if rate >= raw_rate / 2 else 'NO'} ({rate / raw_rate:.0%};"
            f" excl. startup {net / raw_rate:.0%})",
        )
    rss = [kb for _, _, kb in memory.samples]
    if rss:
        first, last, peak = rss[0] / 1024, rss[-1] / 1024, max(rss) / 1024
        per_lane = {}
        for _, lane_name, kb in memory.samples:
            per_lane[lane_name] = max(per_lane.get(lane_name, 0), kb)
        lane_peaks = ", ".join(f"{k} {v / 1024:.0f}" for k, v in per_lane.items())
        flat = last <= first * 1.5 and peak <= first * 2
        table.add_row(
            "server RSS (MiB)",
            f"{len(rss)} samples",
            f"first {first:.0f} / last {last:.0f}",
            f"max {peak:.0f}, VmHWM {memory.hwm_kb / 1024:.0f}",
            f"lane peaks: {lane_peaks}",
            "flat",
            "yes" if flat else "NO",
        )
    console.print(table)
    details = {name: lane.extra for name, lane in ((ln.name, ln) for ln in lanes.values())}
    console.print("sender details:", details)
    if not isinstance(evtx, str):
        console.print("evtx details:", evtx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="sending time per network lane")
    parser.add_argument(
        "--tcp-seconds", type=float, help="sending time of the TCP lane (default --seconds); shorten it when"
        " the pipeline stores far slower than TCP delivers, or the drain takes minutes"
    )  # fmt: skip
    parser.add_argument("--window", type=int, default=128, help="RELP frames in flight")
    parser.add_argument("--batch", type=int, default=1000, help="events per HTTP request")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "evtx")
    parser.add_argument("--lanes", default="tcp,relp,http,evtx", help="comma-separated subset")
    parser.add_argument(
        "--mix", choices=sorted(LINES), default="realistic",
        help="syslog TCP lines: 'realistic' (the parse_syslog.py mix, 2%% failed passwords) or 'alert-storm'"
        " (every line a failed password for a new invalid user: each one raises an alert, the old lane)",
    )  # fmt: skip
    parser.add_argument(
        "--minutes", type=float,
        help="instead of the lanes: TCP at --rate msg/s for this long, VmRSS sampled every 10 s"
        " (the memory lane)",
    )  # fmt: skip
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s for the sustained lane")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sample-serve", type=Path, help="run serve under benchmarks/sample_serve.py, stacks to this file"
    )
    parser.add_argument(
        "--trace-allocations", type=float, metavar="SECONDS",
        help="with --sample-serve: Python allocation growth from SECONDS in to the end instead of stacks",
    )  # fmt: skip
    parser.add_argument("--send", choices=["tcp", "relp", "http"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        if args.send == "tcp":
            result = send_tcp(args.port, args.seconds, args.mix, args.rate)
        elif args.send == "relp":
            result = send_relp(args.port, args.seconds, args.window)
        else:
            result = send_http(f"http://127.0.0.1:{args.port}", args.token, args.seconds, args.batch)
        print(json.dumps(result))
        return

    console = Console(width=max(160, Console().width))
    wanted = set(args.lanes.split(","))
    if args.minutes:
        if args.rate <= 0:
            raise SystemExit(
                "--minutes needs --rate (messages/s the server sustains, e.g. 80% of its capacity)"
            )
        wanted = {"sustained"}
    console.print(f"machine: {machine()}")
    console.print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, load average at start: {load()}")
    with tempfile.TemporaryDirectory(prefix="iw-bench-") as tmpdir:
        tmp = Path(tmpdir)
        home = tmp / "home"
        home.mkdir()
        token = admin_token(home)
        api_port, tcp_port, relp_port = free_port(), free_port(), free_port()
        runner = [sys.executable, "-m", "ironwatch"]
        if args.sample_serve:
            sampler = str(Path(__file__).with_name("sample_serve.py"))
            runner = [sys.executable, sampler, "--out", str(args.sample_serve.resolve())]
            if args.trace_allocations:
                runner += ["--tracemalloc", str(args.trace_allocations)]
            runner.append("--")
        command = [
            *runner, "serve", "--host", "127.0.0.1", "--port", str(api_port),
            "--syslog-tcp", f"127.0.0.1:{tcp_port}", "--relp", f"127.0.0.1:{relp_port}",
        ]  # fmt: skip
        log = (tmp / "serve.log").open("wb")
        server = subprocess.Popen(command, env=clean_env(home), stdout=log, stderr=subprocess.STDOUT)
        memory = Memory(server.pid)
        sampler = threading.Thread(target=memory.run, daemon=True)
        lanes: dict[str, Lane] = {}
        depths: dict[int, int] = {}
        try:
            base = f"http://127.0.0.1:{api_port}"
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start:\n{(tmp / 'serve.log').read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            sampler.start()
            seconds = ["--seconds", str(args.seconds)]
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as api:
                if "sustained" in wanted:
                    memory.interval = args.sample_seconds
                    console.print(
                        f"sustained TCP lane: {args.rate:,.0f} msg/s ({args.mix}) for {args.minutes:g} min"
                    )
                    sustained_args = [
                        "--send", "tcp", "--port", str(tcp_port), "--seconds", str(args.minutes * 60),
                        "--mix", args.mix, "--rate", str(args.rate),
                    ]  # fmt: skip
                    depth_probe = threading.Thread(
                        target=probe_depth, args=(base, token, memory, depths), daemon=True
                    )
                    depth_probe.start()
                    lanes["t"] = run_lane(SUSTAINED, "msg", sustained_args, api, memory)
                if "tcp" in wanted:
                    tcp_seconds = args.tcp_seconds or args.seconds
                    console.print(f"TCP lane ({tcp_seconds:g} s), load {load()}")
                    tcp_args = ["--send", "tcp", "--port", str(tcp_port), "--seconds", str(tcp_seconds)]
                    tcp_args += ["--mix", args.mix]
                    lanes["t"] = run_lane(f"syslog TCP ({args.mix})", "msg", tcp_args, api, memory)
                if "relp" in wanted:
                    console.print(f"RELP lane ({args.seconds:g} s, window {args.window}), load {load()}")
                    relp_args = ["--send", "relp", "--port", str(relp_port), "--window", str(args.window)]
                    lanes["r"] = run_lane(
                        f"RELP (window {args.window})", "acked", [*relp_args, *seconds], api, memory
                    )
                if "http" in wanted:
                    console.print(f"HTTP lane ({args.seconds:g} s, batches of {args.batch}), load {load()}")
                    http_args = ["--send", "http", "--port", str(api_port), "--token", token]
                    lanes["e"] = run_lane(
                        f"HTTP NDJSON ({args.batch}/req)", "accepted",
                        [*http_args, "--batch", str(args.batch), *seconds], api, memory,
                    )  # fmt: skip
            memory.lane = "evtx (server idle)"
            evtx: dict[str, float] | str = "not requested"
            if "evtx" in wanted:
                console.print(f"EVTX lane, load {load()}")
                evtx = evtx_lane(args.corpus, tmp)
            time.sleep(1.0)
        finally:
            memory.stop.set()
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(10)
            log.close()
        verify_lanes(home / "ironwatch.db", lanes)
        alerts = count_alerts(home / "ironwatch.db")
        console.print(f"load average at end: {load()}; alerts raised during the run: {alerts:,}")
        report(console, lanes, evtx, memory)
        memory_curve(console, memory, depths)


if __name__ == "__main__":
    main()
