"""The RELP wire codec against frames as librelp writes them."""

from __future__ import annotations

from ironwatch.ingest.sources.relp_protocol import (
    RelpFrame,
    RelpParser,
    encode_frame,
    encode_response,
    next_txnr,
    parse_offers,
)

OPEN = b"relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog"


def test_parses_open_syslog_and_close_split_anywhere() -> None:
    stream = (
        encode_frame(1, "open", OPEN)
        + encode_frame(2, "syslog", b"<13>msg with\nnewline")
        + encode_frame(3, "close")
    )
    for cut in range(1, len(stream)):
        parser = RelpParser()
        frames = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert parser.violation is None
        assert frames == [
            RelpFrame(1, "open", OPEN),
            RelpFrame(2, "syslog", b"<13>msg with\nnewline"),
            RelpFrame(3, "close", b""),
        ], cut


def test_encodes_like_librelp() -> None:
    assert encode_frame(0, "serverclose") == b"0 serverclose 0\n"
    assert encode_response(7, 200, "OK") == b"7 rsp 6 200 OK\n"
    assert encode_response(1, 200, "OK", b"commands=syslog") == b"1 rsp 22 200 OK\ncommands=syslog\n"


def test_offers_are_parsed_with_comma_separated_values() -> None:
    offers = parse_offers(OPEN)
    assert offers["relp_version"] == ["0"]
    assert offers["commands"] == ["syslog"]
    assert offers["relp_software"][0] == "librelp"


def test_malformed_headers_are_violations_with_the_txnr_when_known() -> None:
    cases = [
        (b"x open 0\n", None),
        (b"12 op3n 0\n", 12),
        (b"5 syslog 3 abcX", 5),
        (b"5 syslog 1234567890 ", 5),
    ]
    for bad, txnr in cases:
        parser = RelpParser()
        assert parser.feed(bad) == []
        assert parser.violation is not None, bad
        assert parser.violation.txnr == txnr, bad


def test_datalen_beyond_the_limit_is_a_violation() -> None:
    parser = RelpParser(max_data=10)
    parser.feed(b"1 syslog 11 ")
    assert parser.violation is not None and "exceeds" in parser.violation.reason


def test_txnr_wraps_to_one() -> None:
    assert next_txnr(999_999_999) == 1
    assert next_txnr(41) == 42
