import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.core.observables import normalise_observable


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        ("ipv4", " 192.0.2.10 ", "192.0.2.10"),
        ("ipv6", "2001:0DB8:0000::0001", "2001:db8::1"),
        ("cidr", "192.0.2.77/24", "192.0.2.0/24"),
        ("domain", "WWW.Example.COM.", "www.example.com"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("hostname", "WS-0042", "ws-0042"),
        ("url", "HTTPS://Example.COM/Login?A=1", "https://example.com/Login?A=1"),
        ("url", "http://user@Evil.example:8080", "http://user@evil.example:8080/"),
        ("email", "Alice@Example.COM", "Alice@example.com"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (
            "sha256",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("account", " CORP\\alice ", "CORP\\alice"),
        ("file_path", "C:\\Windows\\Temp\\x.exe", "C:\\Windows\\Temp\\x.exe"),
        ("registry_key", "HKLM/Software/Run", "HKLM\\Software\\Run"),
    ],
)
def test_valid_observables_are_normalised(kind: str, raw: str, normal: str) -> None:
    assert normalise_observable(kind, raw).value == normal


@pytest.mark.parametrize(
    ("kind", "raw", "hint"),
    [
        ("ipv4", "10.0.0.300", "192.0.2.10"),
        ("ipv4", "2001:db8::1", "use type 'ipv6'"),
        ("cidr", "10.0.0.0/33", "192.0.2.0/24"),
        ("domain", "localhost", "two labels"),
        ("domain", "exa mple.com", "example.com"),
        ("url", "example.com/path", "scheme"),
        ("email", "no-at-sign", "analyst@example.com"),
        ("md5", "abc", "32 hexadecimal"),
        ("sha256", "z" * 64, "64 hexadecimal"),
        ("registry_key", "Software\\Run", "hive"),
        ("account", "\x00", "control"),
    ],
)
def test_invalid_observables_say_what_to_give(kind: str, raw: str, hint: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_observable(kind, raw)
    assert hint in (err.value.hint or "")


def test_unknown_type_lists_the_types() -> None:
    with pytest.raises(ValidationError) as err:
        normalise_observable("mac", "00:11:22:33:44:55")
    assert "registry_key" in (err.value.hint or "")


def test_oversized_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="characters long"):
        normalise_observable("file_path", "a" * 5000)
