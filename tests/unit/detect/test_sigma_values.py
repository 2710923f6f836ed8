"""Every Sigma value modifier and value form, on hand-written rules and events."""

from __future__ import annotations

import base64

import pytest

CASES = [
    # (name, detection, event fields, expected)
    (
        "equality is case-insensitive",
        "sel:\n  Image: 'C:\\Windows\\cmd.exe'\ncondition: sel",
        {"Image": "c:\\windows\\CMD.EXE"},
        True,
    ),
    ("equality is whole-value", "sel:\n  Image: 'cmd.exe'\ncondition: sel", {"Image": "xcmd.exe"}, False),
    (
        "contains",
        "sel:\n  CommandLine|contains: 'whoami'\ncondition: sel",
        {"CommandLine": "cmd /c WhoAmI /all"},
        True,
    ),
    ("startswith", "sel:\n  CommandLine|startswith: 'cmd'\ncondition: sel", {"CommandLine": "xcmd"}, False),
    (
        "endswith",
        "sel:\n  Image|endswith: '\\psexec.exe'\ncondition: sel",
        {"Image": "C:\\t\\PsExec.exe"},
        True,
    ),
    (
        "star wildcard inside",
        "sel:\n  CommandLine: 'net * user'\ncondition: sel",
        {"CommandLine": "NET localgroup user"},
        True,
    ),
    ("question mark is one character", "sel:\n  Image: 'a?c'\ncondition: sel", {"Image": "abbc"}, False),
    ("question mark matches one", "sel:\n  Image: 'a?c'\ncondition: sel", {"Image": "abc"}, True),
    (
        "escaped star is literal",
        "sel:\n  CommandLine: 'a\\*b'\ncondition: sel",
        {"CommandLine": "axxb"},
        False,
    ),
    (
        "escaped star matches star",
        "sel:\n  CommandLine: 'a\\*b'\ncondition: sel",
        {"CommandLine": "a*b"},
        True,
    ),
    (
        "list is OR",
        "sel:\n  Image|endswith:\n    - '\\a.exe'\n    - '\\b.exe'\ncondition: sel",
        {"Image": "c:\\b.exe"},
        True,
    ),
    (
        "all modifier is AND",
        "sel:\n  CommandLine|contains|all:\n    - '-enc'\n    - 'hidden'\ncondition: sel",
        {"CommandLine": "powershell -enc AAAA"},
        False,
    ),
    (
        "all modifier matches when all present",
        "sel:\n  CommandLine|contains|all:\n    - '-enc'\n    - 'hidden'\ncondition: sel",
        {"CommandLine": "powershell -w hidden -enc AAAA"},
        True,
    ),
    (
        "map is AND",
        "sel:\n  Image|endswith: '\\cmd.exe'\n  User: 'SYSTEM'\ncondition: sel",
        {"Image": "c:\\cmd.exe", "User": "alice"},
        False,
    ),
    (
        "list of maps is OR",
        "sel:\n  - Image: 'a'\n  - User: 'bob'\ncondition: sel",
        {"Image": "z", "User": "BOB"},
        True,
    ),
    (
        "windash matches slash form",
        "sel:\n  CommandLine|windash|contains: ' -decode '\ncondition: sel",
        {"CommandLine": "certutil /decode a b"},
        True,
    ),
    (
        "windash matches en dash",
        "sel:\n  CommandLine|windash|contains: ' -decode '\ncondition: sel",
        {"CommandLine": "certutil \u2013decode a b"},
        True,
    ),
    (
        "base64",
        "sel:\n  CommandLine|base64: 'whoami'\ncondition: sel",
        {"CommandLine": base64.b64encode(b"whoami").decode()},
        True,
    ),
    (
        "base64offset any alignment",
        "sel:\n  CommandLine|base64offset|contains: 'IEX'\ncondition: sel",
        {"CommandLine": "powershell -e " + base64.b64encode(b"xyIEX(New-Object)").decode()},
        True,
    ),
    (
        "wide base64offset",
        "sel:\n  CommandLine|wide|base64offset|contains: 'ping'\ncondition: sel",
        {"CommandLine": base64.b64encode("a ping".encode("utf-16-le")).decode()},
        True,
    ),
    (
        "utf16le",
        "sel:\n  CommandLine|utf16le|base64offset|contains: 'ping'\ncondition: sel",
        {"CommandLine": base64.b64encode("ping".encode("utf-16-le")).decode()},
        True,
    ),
    (
        "utf16be",
        "sel:\n  CommandLine|utf16be|base64offset|contains: 'ping'\ncondition: sel",
        {"CommandLine": base64.b64encode("xping".encode("utf-16-be")).decode()},
        True,
    ),
    (
        "utf16 with BOM",
        "sel:\n  CommandLine|utf16|base64: 'ping'\ncondition: sel",
        {"CommandLine": base64.b64encode("ping".encode("utf-16")).decode()},
        True,
    ),
    (
        "regex searches unanchored",
        "sel:\n  CommandLine|re: 'net\\s+user'\ncondition: sel",
        {"CommandLine": "c:\\> net   user x"},
        True,
    ),
    (
        "regex is case-sensitive",
        "sel:\n  CommandLine|re: 'NET USER'\ncondition: sel",
        {"CommandLine": "net user"},
        False,
    ),
    (
        "regex i flag",
        "sel:\n  CommandLine|re|i: 'NET USER'\ncondition: sel",
        {"CommandLine": "net user"},
        True,
    ),
    (
        "regex m flag",
        "sel:\n  CommandLine|re|m: '^user$'\ncondition: sel",
        {"CommandLine": "net\nuser\nx"},
        True,
    ),
    (
        "regex without m is whole text",
        "sel:\n  CommandLine|re: '^user$'\ncondition: sel",
        {"CommandLine": "net\nuser"},
        False,
    ),
    ("regex s flag", "sel:\n  CommandLine|re|s: 'a.b'\ncondition: sel", {"CommandLine": "a\nb"}, True),
    (
        "regex dot stops at newline",
        "sel:\n  CommandLine|re: 'a.b'\ncondition: sel",
        {"CommandLine": "a\nb"},
        False,
    ),
    (
        "cidr v4",
        "sel:\n  DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel",
        {"DestinationIp": "10.20.30.40"},
        True,
    ),
    (
        "cidr v4 outside",
        "sel:\n  DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel",
        {"DestinationIp": "11.0.0.1"},
        False,
    ),
    (
        "cidr v6",
        "sel:\n  DestinationIp|cidr: 'fe80::/10'\ncondition: sel",
        {"DestinationIp": "fe80::1"},
        True,
    ),
    (
        "cidr ignores non addresses",
        "sel:\n  DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel",
        {"DestinationIp": "x"},
        False,
    ),
    ("lt", "sel:\n  LogonType|lt: 3\ncondition: sel", {"LogonType": 2}, True),
    ("lt strict", "sel:\n  LogonType|lt: 3\ncondition: sel", {"LogonType": 3}, False),
    ("lte", "sel:\n  LogonType|lte: 3\ncondition: sel", {"LogonType": "3"}, True),
    ("gt", "sel:\n  Size|gt: 100\ncondition: sel", {"Size": 101}, True),
    ("gte", "sel:\n  Size|gte: 100\ncondition: sel", {"Size": 99}, False),
    ("compare ignores text", "sel:\n  Size|gt: 1\ncondition: sel", {"Size": "big"}, False),
    ("number equals int and text", "sel:\n  LogonType: 10\ncondition: sel", {"LogonType": "10"}, True),
    ("exists true", "sel:\n  ParentImage|exists: true\ncondition: sel", {"ParentImage": "x"}, True),
    ("exists true absent", "sel:\n  ParentImage|exists: true\ncondition: sel", {}, False),
    ("exists false", "sel:\n  ParentImage|exists: false\ncondition: sel", {}, True),
    (
        "fieldref equal",
        "sel:\n  Image|fieldref: ParentImage\ncondition: sel",
        {"Image": "C:\\a.exe", "ParentImage": "c:\\A.exe"},
        True,
    ),
    (
        "fieldref differs",
        "sel:\n  Image|fieldref: ParentImage\ncondition: sel",
        {"Image": "a", "ParentImage": "b"},
        False,
    ),
    (
        "fieldref startswith",
        "sel:\n  CommandLine|fieldref|startswith: Image\ncondition: sel",
        {"CommandLine": "c:\\a.exe -x", "Image": "C:\\A.EXE"},
        True,
    ),
    ("null matches absent", "sel:\n  OriginalFileName: null\ncondition: sel", {}, True),
    ("null matches None", "sel:\n  OriginalFileName: null\ncondition: sel", {"OriginalFileName": None}, True),
    (
        "null rejects value",
        "sel:\n  OriginalFileName: null\ncondition: sel",
        {"OriginalFileName": "x"},
        False,
    ),
    (
        "empty string is a value",
        "sel:\n  OriginalFileName: ''\ncondition: sel",
        {"OriginalFileName": ""},
        True,
    ),
    ("missing field does not match", "sel:\n  Image|contains: 'x'\ncondition: sel", {}, False),
    (
        "keyword anywhere",
        "keywords:\n  - 'mimikatz'\ncondition: keywords",
        {"CommandLine": "run MIMIKATZ.exe"},
        True,
    ),
    (
        "keyword list is OR",
        "keywords:\n  - 'aaa'\n  - 'sekurlsa'\ncondition: keywords",
        {"Image": "x sekurlsa::"},
        True,
    ),
    ("keyword absent", "keywords:\n  - 'mimikatz'\ncondition: keywords", {"CommandLine": "notepad"}, False),
    (
        "keyword wildcard",
        "keywords:\n  - 'invoke-*shell'\ncondition: keywords",
        {"CommandLine": "x Invoke-PowerShell"},
        True,
    ),
    ("keyword skips enrichment fields", "keywords:\n  - 'windows.evtx'\ncondition: keywords", {}, False),
    (
        "list value in event",
        "sel:\n  Data|contains: 'evil'\ncondition: sel",
        {"Data": ["ok", "an EVIL one"]},
        True,
    ),
    ("neq", "sel:\n  User|neq: 'SYSTEM'\ncondition: sel", {"User": "alice"}, True),
    ("neq rejects", "sel:\n  User|neq: 'SYSTEM'\ncondition: sel", {"User": "system"}, False),
    ("cased", "sel:\n  CommandLine|cased|contains: 'IEX'\ncondition: sel", {"CommandLine": "iex (x)"}, False),
    (
        "cased matches exact case",
        "sel:\n  CommandLine|cased|contains: 'IEX'\ncondition: sel",
        {"CommandLine": "IEX (x)"},
        True,
    ),
    (
        "hour of timestamp",
        "sel:\n  '@timestamp|hour': 3\ncondition: sel",
        {"@timestamp": "2024-05-01T03:15:00Z"},
        True,
    ),
    ("boolean", "sel:\n  Signed: false\ncondition: sel", {"Signed": "false"}, True),
    (
        "integer field compared as text",
        "sel:\n  ProcessId|endswith: '42'\ncondition: sel",
        {"ProcessId": 1042},
        True,
    ),
]


@pytest.mark.parametrize(
    ("detection", "fields", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_value_forms(matches, detection: str, fields: dict[str, object], expected: bool) -> None:
    assert matches(detection, fields) is expected
