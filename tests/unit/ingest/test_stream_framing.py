"""RFC 6587 framing: what a TCP sender can throw at us."""

from __future__ import annotations

from ironwatch.ingest.sources.framing import Framing, SyslogStreamFramer


def feed_all(framer: SyslogStreamFramer, *chunks: bytes) -> list[tuple[bytes, str | None]]:
    out = []
    for chunk in chunks:
        out += [(f.payload, f.failure) for f in framer.feed(chunk)]
    out += [(f.payload, f.failure) for f in framer.close()]
    return out


def test_octet_counting_is_detected_from_a_leading_digit_and_survives_any_split() -> None:
    stream = b"11 <13>hello 116 <14>\xffbinary\nline"
    for cut in range(1, len(stream)):
        framer = SyslogStreamFramer()
        got = feed_all(framer, stream[:cut], stream[cut:])
        assert framer.framing is Framing.OCTET_COUNTING
        assert got == [(b"<13>hello 1", None), (b"<14>\xffbinary\nline", None)], cut


def test_line_framing_splits_on_lf_and_nul_and_drops_a_trailing_cr() -> None:
    framer = SyslogStreamFramer()
    got = feed_all(framer, b"<13>a\r\n<13>b\x00<1", b"3>c\n\n<13>last without newline")
    assert framer.framing is Framing.NON_TRANSPARENT
    assert [p for p, _ in got] == [b"<13>a", b"<13>b", b"<13>c", b"<13>last without newline"]


def test_an_oversized_line_is_kept_capped_as_a_failure_and_reading_resyncs() -> None:
    framer = SyslogStreamFramer(max_frame=10, failure_capture=4)
    got = feed_all(framer, b"<1>ok\n<1>" + b"x" * 30, b"yyyy\n<1>next\n")
    assert got[0] == (b"<1>ok", None)
    assert got[1][0] == b"<1>x" and "oversized" in (got[1][1] or "")
    assert got[2] == (b"<1>next", None)


def test_an_oversized_counted_message_is_skipped_exactly() -> None:
    framer = SyslogStreamFramer(max_frame=5, failure_capture=3)
    got = feed_all(framer, b"12 abcdefghijkl3 abc")
    assert got[0][0] == b"abc" and "12 bytes" in (got[0][1] or "")
    assert got[1] == (b"abc", None)


def test_an_absurd_octet_count_is_fatal() -> None:
    framer = SyslogStreamFramer(max_frame=10, max_octet_count=100)
    assert framer.feed(b"99999 x") == []
    assert framer.fatal is not None and "absurd" in framer.fatal


def test_garbage_instead_of_a_length_is_fatal_in_octet_mode() -> None:
    framer = SyslogStreamFramer()
    framer.feed(b"5 hello")
    framer.feed(b"zz garbage")
    assert framer.fatal is not None and "invalid octet count" in framer.fatal


def test_a_connection_closed_mid_message_leaves_a_failure_frame() -> None:
    framer = SyslogStreamFramer()
    got = feed_all(framer, b"20 only ten b")
    assert got == [(b"only ten b", "connection closed 10 bytes short of a counted message")]
