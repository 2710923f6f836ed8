"""Receipt-to-alert latency of detection in a real ``ironwatch serve`` process.

One run, one server (fresh temporary IRONWATCH_HOME, SQLite). Before the start, ``ironwatch rules
load`` stores the rule set: the test rule for failed SSH passwords (tests/fixtures/rules) and, with
``--corpus``, every Sigma rule in ../shared/corpus/sigma (so the engine routes among ~3,000 rules).
Then a sender writes RFC 5424 sshd lines over TCP (or UDP) at a steady ``--rate`` for ``--seconds``;
every ``--match-every``-th line is a failed password for a user name of its own, so each
opens an alert of its own. A poller reads the alerts table every 10 ms.

Reported for the matching lines: server-side latency (``alerts.created_at - events.received_at``,
both stamped by the server) and client-side latency (first poll that sees the alert minus the send
time, so it includes the poll interval and the commit), p50/p95/p99/max, and how many alerts
arrived (all of them must). Loopback only; every loop is bounded in count and time.

    PYTHONPATH=src python benchmarks/detect_latency.py [--rate 500] [--seconds 20] [--corpus]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx2 as httpx  # noqa: E402

RULE = ROOT / "tests" / "fixtures" / "rules" / "sshd_failed_password.yml"
CORPUS = ROOT.parent / "shared" / "corpus" / "sigma" / "rules"
MAX_LINES = 1_000_000
DRAIN_LIMIT = 60.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONWATCH_")}
    env["IRONWATCH_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def user(n: int) -> str:
    """A user name of its own per matching line, so each opens an alert of its own."""
    return f"bench{n:09d}"


def line(n: int, matching: bool) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    if matching:
        body = f"Failed password for {user(n)} from 203.0.113.9 port 4242 ssh2"
    else:
        body = f"Accepted publickey for deploy from 192.0.2.11 port {1024 + n % 60000} ssh2"
    return f"<38>1 {now} bench1 sshd 4242 - - {body}\n".encode()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def send(transport: str, port: int, rate: float, seconds: float, every: int, sent: dict[str, float]) -> int:
    """Send lines at ``rate`` per second; record the wall time each matching line left."""
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    sock = socket.socket(socket.AF_INET, kind)
    sock.connect(("127.0.0.1", port))
    start = time.monotonic()
    count = 0
    try:
        while count < MAX_LINES:
            due = start + count / rate
            now = time.monotonic()
            if now - start >= seconds:
                break
            if due > now:
                time.sleep(due - now)
            matching = count % every == 0
            data = line(count, matching)
            sock.send(data)
            if matching:
                sent[user(count)] = time.time()
            count += 1
    finally:
        sock.close()
    return count


def poll(db: Path, seen: dict[str, float], server_ms: list[float], stop: threading.Event) -> None:
    """Note when each alert first becomes visible, and its server-side latency."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    known: set[str] = set()
    query = (
        "SELECT a.id, json_extract(a.entities, '$.user'), a.created_at, e.received_at "
        "FROM alerts a JOIN events e ON e.id = json_extract(a.event_ids, '$[0]')"
    )
    deadline = time.monotonic() + 3600
    while not stop.is_set() and time.monotonic() < deadline:
        now = time.time()
        for alert_id, name, created, received in conn.execute(query):
            if alert_id in known:
                continue
            known.add(alert_id)
            seen[name] = now
            delta = datetime.fromisoformat(created) - datetime.fromisoformat(received)
            server_ms.append(delta.total_seconds() * 1000)
        time.sleep(0.01)
    conn.close()


def machine() -> str:
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0, help="lines per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--match-every", type=int, default=10, help="every Nth line matches the rule")
    parser.add_argument("--transport", choices=("tcp", "udp"), default="tcp")
    parser.add_argument("--corpus", action="store_true", help="also load every Sigma rule of the corpus")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="iw-detect-latency-"))
    env = env_for(home)
    rules = [str(RULE)] + ([str(CORPUS)] if args.corpus and CORPUS.is_dir() else [])
    began = time.monotonic()
    loaded = subprocess.run(
        [sys.executable, "-m", "ironwatch", "rules", "load", *rules], env=env, capture_output=True, text=True
    )
    print(f"rules load ({time.monotonic() - began:.1f}s): {' '.join(loaded.stdout.split())[-200:]}")
    port, api = free_port(socket.SOCK_DGRAM if args.transport == "udp" else socket.SOCK_STREAM), free_port()
    flag = "--syslog-udp" if args.transport == "udp" else "--syslog-tcp"
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "ironwatch", "serve", "--port", str(api), flag, f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{api}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("server did not start; see " + str(home / "serve.log"))
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        server_ms: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(
            target=poll, args=(home / "ironwatch.db", seen, server_ms, stop), daemon=True
        )
        poller.start()
        lines = send(args.transport, port, args.rate, args.seconds, args.match_every, sent)
        drain = time.monotonic() + DRAIN_LIMIT
        while len(seen) < len(sent) and time.monotonic() < drain:
            time.sleep(0.05)
        stop.set()
        poller.join(5)
        client_ms = [(seen[key] - sent[key]) * 1000 for key in sent if key in seen]
        print(f"machine: {machine()}")
        print(
            f"{lines} lines over {args.transport} at {args.rate:.0f}/s for {args.seconds:.0f}s; "
            f"{len(sent)} matching, {len(seen)} alerts seen ({len(sent) - len(seen)} missing)"
        )
        for name, values in (("server receipt->alert", server_ms), ("client send->visible", client_ms)):
            print(
                f"{name:24s} ms: p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}  "
                f"p99 {percentile(values, 99):7.1f}  max {max(values, default=float('nan')):7.1f}"
            )
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    main()
