"""Listeners on real sockets (127.0.0.1, ephemeral ports) feeding a real spool."""

from __future__ import annotations

import asyncio
import socket
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
from listener_harness import Certificates, RelpClient, eventually, make_certificates, running

from ironwatch.core.errors import ConfigurationError
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.sources.relp_protocol import encode_frame
from ironwatch.ingest.sources.server import ListenerConfig
from ironwatch.ingest.spool import Spool

LOCAL = "127.0.0.1:0"
RFC3164 = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
RFC5424 = (
    b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] msg'
)
INVALID_UTF8 = b"<13>Jan  1 00:00:00 host app: \xff\xfe\xc3\x28 bytes"


def test_udp_datagrams_are_spooled_as_sent_including_invalid_utf8(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, syslog_udp=LOCAL) as srv:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for payload in (RFC3164, RFC5424 + b"\n", INVALID_UTF8, b"\n"):
                    sock.sendto(payload, srv.address("syslog-udp"))
            await eventually(lambda: srv.spool.depth() == 3, what="3 datagrams spooled")
            frames = srv.frames()
            assert [f.frame.payload for f in frames] == [RFC3164, RFC5424, INVALID_UTF8]
            assert {f.frame.transport for f in frames} == {Transport.UDP}
            assert frames[0].frame.peer.startswith("127.0.0.1:")
            counts = srv.group.counters.snapshot()["syslog-udp"]
            assert (counts.received, counts.failed, counts.dropped) == (3, 1, 0)
            assert counts.bytes == len(RFC3164) + len(RFC5424) + len(INVALID_UTF8)

    asyncio.run(scenario())


def test_udp_counts_drops_when_the_writer_queue_is_full(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db", max_rows=5)
        options = {"batch_size": 5, "queue_frames": 5, "max_delay": 0, "retry_interval": 0.01}
        async with running(tmp_path, spool=spool, writer_options=options, syslog_udp=LOCAL) as srv:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for i in range(40):
                    sock.sendto(b"<13>msg %d" % i, srv.address("syslog-udp"))
                    await asyncio.sleep(0.002)
            counts = srv.group.counters.source("syslog-udp")
            await eventually(lambda: sum(_received_or_dropped(counts)) == 40, what="all counted")
            assert counts.snapshot().dropped > 0
            # the writer stores what it accepted a moment after counting it: wait for the spool
            await eventually(lambda: srv.spool.depth() == 5, what="the spool to fill to its bound")

    asyncio.run(scenario())


def _received_or_dropped(counts: SourceCounters) -> tuple[int, int]:
    snap = counts.snapshot()
    return snap.received, snap.dropped


async def _send_in_pieces(host: str, port: int, data: bytes, piece: int) -> None:
    _reader, writer = await asyncio.open_connection(host, port)
    for start in range(0, len(data), piece):
        writer.write(data[start : start + piece])
        await writer.drain()
        await asyncio.sleep(0.001)
    writer.close()
    await writer.wait_closed()


def test_tcp_octet_counted_messages_split_across_writes(tmp_path: Path) -> None:
    messages = [RFC3164, RFC5424, INVALID_UTF8, b"<13>multi\nline message"]
    stream = b"".join(b"%d %s" % (len(m), m) for m in messages)

    async def scenario() -> None:
        async with running(tmp_path, syslog_tcp=LOCAL) as srv:
            await _send_in_pieces(*srv.address("syslog-tcp"), stream, piece=7)
            await eventually(lambda: srv.spool.depth() == 4, what="4 messages")
            assert srv.payloads() == messages
            counts = srv.group.counters.snapshot()["syslog-tcp"]
            assert (counts.received, counts.connections, counts.open_connections) == (4, 1, 0)

    asyncio.run(scenario())


def test_tcp_lf_framed_messages_split_across_writes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, syslog_tcp=LOCAL) as srv:
            stream = RFC3164 + b"\n" + RFC5424 + b"\r\n" + INVALID_UTF8 + b"\x00<13>last"
            await _send_in_pieces(*srv.address("syslog-tcp"), stream, piece=5)
            await eventually(lambda: srv.spool.depth() == 4, what="4 messages")
            assert srv.payloads() == [RFC3164, RFC5424, INVALID_UTF8, b"<13>last"]

    asyncio.run(scenario())


def test_oversized_frames_and_garbage_do_not_stop_the_listener(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, syslog_tcp=LOCAL, max_frame=1024, failure_capture=100) as srv:
            host, port = srv.address("syslog-tcp")
            # LF framing: an oversized line is kept capped, and the next line still arrives.
            await _send_in_pieces(host, port, b"<13>" + b"A" * 5000 + b"\n<13>after big line\n", piece=999)
            # Octet counting with an absurd length: that connection is closed ...
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"99999999999 \x00\xff\xfe garbage")
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()
            # ... and the listener still serves the next one, binary garbage included.
            await _send_in_pieces(host, port, b"\xde\xad\xbe\xef\x00<13>still here\n", piece=3)
            await eventually(lambda: srv.spool.depth() == 5, what="5 frames")
            frames = [f.frame for f in srv.frames()]
            assert frames[0].failure is not None and "oversized" in frames[0].failure
            assert len(frames[0].payload) == 100
            assert frames[1].payload == b"<13>after big line"
            assert frames[2].failure is not None and "octet count" in frames[2].failure
            assert [f.payload for f in frames[3:]] == [b"\xde\xad\xbe\xef", b"<13>still here"]
            counts = srv.group.counters.snapshot()["syslog-tcp"]
            assert (counts.failed, counts.oversized, counts.received) == (2, 1, 3)

    asyncio.run(scenario())


def test_tcp_pauses_reading_instead_of_dropping_when_the_spool_is_full(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db", max_rows=100)
        options = {"batch_size": 100, "queue_frames": 100, "max_delay": 0, "retry_interval": 0.01}
        async with running(tmp_path, spool=spool, writer_options=options, syslog_tcp=LOCAL) as srv:
            stream = b"".join(b"<13>message %05d\n" % i for i in range(1000))
            sender = asyncio.create_task(_send_in_pieces(*srv.address("syslog-tcp"), stream, piece=4096))
            await eventually(lambda: srv.writer.spool_blocked, what="spool full")
            received: list[bytes] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while len(received) < 1000 and loop.time() < deadline:  # a consumer catching up
                batch = srv.spool.claim(50)
                received += [c.frame.payload for c in batch]
                srv.spool.ack(c.id for c in batch)
                await asyncio.sleep(0.005)
            await asyncio.wait_for(sender, 10)
            assert received == [b"<13>message %05d" % i for i in range(1000)]
            assert srv.group.counters.snapshot()["syslog-tcp"].dropped == 0

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def _client_context(certs: Certificates, *, cert: Path | None, key: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs.ca))
    if cert is not None and key is not None:
        context.load_cert_chain(str(cert), str(key))
    return context


def test_tls_with_a_client_certificate_is_spooled(tmp_path: Path, certs: Certificates) -> None:
    async def scenario() -> None:
        tls = {"tls_cert": certs.server_cert, "tls_key": certs.server_key, "tls_ca": certs.ca}
        async with running(tmp_path, syslog_tls=LOCAL, tls_require_client_cert=True, **tls) as srv:
            host, port = srv.address("syslog-tls")
            context = _client_context(certs, cert=certs.client_cert, key=certs.client_key)
            _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname="127.0.0.1")
            writer.write(b"%d %s" % (len(RFC5424), RFC5424))
            await writer.drain()
            await eventually(lambda: srv.spool.depth() == 1, what="TLS message")
            writer.close()
            frame = srv.frames()[0].frame
            assert (frame.payload, frame.transport, frame.source) == (RFC5424, Transport.TLS, "syslog-tls")

    asyncio.run(scenario())


@pytest.mark.parametrize("client", ["none", "rogue"])
def test_tls_refuses_clients_without_a_trusted_certificate(
    tmp_path: Path, certs: Certificates, client: str
) -> None:
    async def scenario() -> None:
        tls = {"tls_cert": certs.server_cert, "tls_key": certs.server_key, "tls_ca": certs.ca}
        async with running(tmp_path, syslog_tls=LOCAL, tls_require_client_cert=True, **tls) as srv:
            host, port = srv.address("syslog-tls")
            cert, key = (certs.rogue_cert, certs.rogue_key) if client == "rogue" else (None, None)
            context = _client_context(certs, cert=cert, key=key)
            with pytest.raises((ssl.SSLError, ConnectionError)):  # TLS 1.3 reports it on first read
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname="127.0.0.1"
                )
                writer.write(b"<13>should not arrive\n")
                await writer.drain()
                if not await asyncio.wait_for(reader.read(1), 5):
                    raise ConnectionError("closed by server")
            await asyncio.sleep(0.1)
            assert srv.spool.depth() == 0

    asyncio.run(scenario())


def test_tls_config_errors_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tls_cert and tls_key"):
        ListenerConfig(syslog_tls="127.0.0.1:0")
    with pytest.raises(ValueError, match="HOST:PORT"):
        ListenerConfig(syslog_tcp="localhost")
    bad = tmp_path / "missing.pem"

    async def scenario() -> None:
        with pytest.raises(ConfigurationError, match="cannot load TLS certificate"):
            async with running(tmp_path, syslog_tls=LOCAL, tls_cert=bad, tls_key=bad):
                pass

    asyncio.run(scenario())


def test_relp_acks_only_after_the_frame_is_durable(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db", max_rows=1)
        spool.append_batch([RawFrame("x", Transport.HTTP, "p", _now(), b"fills the spool")])
        options = {"batch_size": 1, "queue_frames": 10, "max_delay": 0, "retry_interval": 0.01}
        async with running(tmp_path, spool=spool, writer_options=options, relp=LOCAL) as srv:
            client = await RelpClient.connect(*srv.address("relp"))
            opened = await client.open()
            assert (opened.txnr, opened.command) == (1, "rsp")
            assert opened.data.startswith(b"200 OK\n") and b"commands=syslog" in opened.data
            txnr = client.send("syslog", RFC5424)
            with pytest.raises(TimeoutError):  # spool full: no ack may come
                await client.response(within=0.3)
            first = srv.spool.claim(1)
            srv.spool.ack(f.id for f in first)
            ack = await client.response()
            assert (ack.txnr, ack.command, ack.data) == (txnr, "rsp", b"200 OK")
            # The ack came, so the frame must be in the file, visible to any reader.
            assert [f.frame.payload for f in srv.frames()] == [RFC5424]
            client.send("close")
            closed = await client.response()
            assert (closed.command, closed.data) == ("rsp", b"")
            await client.close()

    asyncio.run(scenario())


def test_relp_pipelined_frames_are_acked_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, relp=LOCAL) as srv:
            client = await RelpClient.connect(*srv.address("relp"))
            await client.open()
            sent = [client.send("syslog", b"<13>msg %d" % i) for i in range(200)]
            acks = [await client.response() for _ in sent]
            assert [a.txnr for a in acks] == sent
            assert {a.data for a in acks} == {b"200 OK"}
            assert len(srv.frames()) == 200
            await client.close()

    asyncio.run(scenario())


def test_relp_refusals_are_answered_500_and_counted(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, relp=LOCAL) as srv:
            client = await RelpClient.connect(*srv.address("relp"))
            client.send("syslog", b"<13>before open")
            assert (await client.response()).data.startswith(b"500 session not open")
            await client.open()
            client.send("frobnicate", b"x")
            assert (await client.response()).data.startswith(b"500 command 'frobnicate' not supported")
            client.send("syslog", b"<13>ok")
            assert (await client.response()).data == b"200 OK"
            client.send("syslog", b"<13>skipped a number", txnr=client.txnr + 5)
            refused = await client.response()
            assert refused.data.startswith(b"500 txnr") and b"out of sequence" in refused.data
            assert await asyncio.wait_for(client.reader.read(), 5) == b""  # session closed
            # A malformed frame on a new session: 500 with the txnr, then closed.
            other = await RelpClient.connect(*srv.address("relp"))
            await other.open()
            other.writer.write(b"2 syslog 5 abcdefgh\n")
            bad = await other.response()
            assert (bad.txnr, bad.data[:20]) == (2, b"500 malformed frame:")
            assert await asyncio.wait_for(other.reader.read(), 5) == b""
            assert srv.payloads() == [b"<13>ok"]
            counts = srv.group.counters.snapshot()["relp"]
            assert (counts.received, counts.failed, counts.connections) == (1, 4, 2)

    asyncio.run(scenario())


def test_relp_sends_serverclose_on_shutdown(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, relp=LOCAL) as srv:
            client = await RelpClient.connect(*srv.address("relp"))
            await client.open()
            client.send("syslog", b"<13>in flight")
            assert (await client.response()).data == b"200 OK"
            await srv.group.aclose()
            notice = await client.response()
            assert (notice.txnr, notice.command, notice.data) == (0, "serverclose", b"")
            await client.close()

    asyncio.run(scenario())


def test_relp_frame_bytes_match_librelp_layout(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, relp=LOCAL) as srv:
            reader, writer = await asyncio.open_connection(*srv.address("relp"))
            writer.write(encode_frame(1, "open", b"relp_version=0\ncommands=syslog") + b"2 syslog 4 <1>x\n")
            data = b""
            async with asyncio.timeout(5):
                while not data.endswith(b"2 rsp 6 200 OK\n"):
                    data += await reader.read(4096)
            assert data.startswith(b"1 rsp ")
            writer.close()

    asyncio.run(scenario())


def _now() -> datetime:
    return datetime.now(UTC)
