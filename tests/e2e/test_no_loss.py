"""SIGKILL the server under sustained HTTP and RELP load: every acknowledged event survives, once."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx2 as httpx

from ironwatch.ingest.sources.relp_protocol import RelpFrame, RelpParser, encode_frame
from tests.support.server import Server, free_port

OFFERS = b"relp_version=0\nrelp_software=ironwatch-test\ncommands=syslog"
MARKER = re.compile(rb"nolossmarker-([hr]-\d+)")
LOAD_SECONDS = 3.0


class HttpSender(threading.Thread):
    def __init__(self, srv: Server, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.srv, self.stop, self.acked = srv, stop, set[str]()

    def run(self) -> None:
        batch = 0
        with httpx.Client(
            base_url=self.srv.base, headers={"authorization": f"Bearer {self.srv.token}"}
        ) as api:
            while not self.stop.is_set():
                ids = [f"h-{batch * 200 + i}" for i in range(200)]
                body = b"\n".join(b'{"message": "nolossmarker-%s"}' % i.encode() for i in ids)
                try:
                    response = api.post("/api/v1/events", content=body, timeout=5)
                except httpx.TransportError:
                    return  # the server died: whatever was not acknowledged may be lost
                if response.status_code == 202:
                    self.acked.update(ids)
                batch += 1


class RelpSender(threading.Thread):
    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.acked = port, stop, set[str]()

    def run(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        parser = RelpParser()
        pending: dict[int, str] = {}
        txnr, n = 1, 0
        try:
            sock.sendall(encode_frame(txnr, "open", OFFERS))
            self._read(sock, parser, 1)
            while not self.stop.is_set():
                while len(pending) < 128:
                    txnr += 1
                    marker = f"r-{n}"
                    n += 1
                    pending[txnr] = marker
                    msg = f"<13>1 2026-03-02T09:00:00Z host app - - - nolossmarker-{marker}".encode()
                    sock.sendall(encode_frame(txnr, "syslog", msg))
                for frame in self._read(sock, parser, 1):
                    if frame.command == "rsp" and frame.data.startswith(b"200"):
                        self.acked.add(pending.pop(frame.txnr))
        except (OSError, ConnectionError):
            return
        finally:
            sock.close()

    @staticmethod
    def _read(sock: socket.socket, parser: RelpParser, at_least: int) -> list[RelpFrame]:
        frames: list[RelpFrame] = []
        while len(frames) < at_least:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed")
            frames += [f for f in parser.feed(chunk) if isinstance(f, RelpFrame)]
        return frames


def _stored_markers(home: Path) -> list[str]:
    with sqlite3.connect(home / "ironwatch.db") as db:
        rows = db.execute("SELECT message FROM events WHERE message LIKE '%nolossmarker-%'").fetchall()
    found = []
    for (message,) in rows:
        match = MARKER.search(message.encode())
        assert match, message
        found.append(match.group(1).decode())
    return found


def test_sigkill_under_http_and_relp_load_loses_no_acknowledged_event_and_duplicates_none(
    tmp_path: Path,
) -> None:
    relp = free_port()
    srv = Server(home=tmp_path / "home", args=["--relp", f"127.0.0.1:{relp}"])
    srv.home.mkdir()
    srv.prepare()
    srv.start()
    stop = threading.Event()
    senders = [HttpSender(srv, stop), RelpSender(relp, stop)]
    for sender in senders:
        sender.start()
    time.sleep(LOAD_SECONDS)
    srv.kill()  # SIGKILL mid-load: no shutdown, no flush
    stop.set()
    for sender in senders:
        sender.join(10)
    http_acked, relp_acked = senders[0].acked, senders[1].acked
    assert len(http_acked) >= 1000 and len(relp_acked) >= 1000, (len(http_acked), len(relp_acked))

    srv.start()  # the restarted server drains what the spool kept
    with srv.api() as api:
        srv.wait_for(
            lambda: api.get("/api/v1/status").json()["spool"]["depth"] == 0, within=60, what="spool drained"
        )
    srv.stop()

    stored = _stored_markers(srv.home)
    duplicates = len(stored) - len(set(stored))
    missing = (http_acked | relp_acked) - set(stored)
    assert duplicates == 0, f"{duplicates} events stored twice"
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
