"""The member's address behind reverse proxies (issue 11, item 4): only the trusted proxies'
X-Forwarded-For is believed, and only its right-most entries."""

from ipaddress import ip_network

import pytest

from services.web.clientaddr import client_address
from services.web.settings import WebSettings
from shared.client_address import forwarded_hops, parse_hop

LOCAL = WebSettings().trusted_networks
PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8"), *LOCAL]


def test_default_trusts_loopback_only() -> None:
    assert [str(n) for n in LOCAL] == ["127.0.0.1/32", "::1/128"]


@pytest.mark.parametrize(
    ("remote", "header", "expected"),
    [
        # Straight from the member: the peer, whatever it claims.
        ("203.0.113.7", "6.6.6.6", "203.0.113.7"),
        ("203.0.113.7", None, "203.0.113.7"),
        # Through a trusted proxy: the right-most address the proxy appended.
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        ("10.1.2.3", "6.6.6.6, 203.0.113.7, 10.9.9.9", "203.0.113.7"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "[2001:db8::5]:4711", "2001:db8::5"),
        ("127.0.0.1", "203.0.113.7:4711", "203.0.113.7"),
        # Garbage where the proxy's entry should be: only the proxy is known.
        ("127.0.0.1", "203.0.113.7, not-an-address", "127.0.0.1"),
        # No header, or only proxies in it.
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5"),
        # A peer in a network that is not trusted cannot choose its address.
        ("192.168.1.5", "203.0.113.7", "192.168.1.5"),
        (None, "203.0.113.7", "unknown"),
    ],
)
def test_client_address(remote: str | None, header: str | None, expected: str) -> None:
    hops = forwarded_hops([header] if header else [])
    assert client_address(remote, hops, PROXIES) == expected


def test_several_headers_read_in_order() -> None:
    hops = forwarded_hops(["6.6.6.6", "203.0.113.7, 127.0.0.1"])
    assert client_address("127.0.0.1", hops, LOCAL) == "203.0.113.7"


def test_parse_hop() -> None:
    assert str(parse_hop(" 2001:DB8::1 ")) == "2001:db8::1"
    assert parse_hop("evil.example") is None
    assert parse_hop("") is None


def test_networks_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", '["10.0.0.0/8", "fd00::/8"]')
    assert [str(n) for n in WebSettings().trusted_networks] == ["10.0.0.0/8", "fd00::/8"]
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", '["not-a-network"]')
    with pytest.raises(ValueError):
        WebSettings()
