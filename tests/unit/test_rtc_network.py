"""TURN REST credentials and the public address a node advertises."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from socialsync.media.network import advertise, client_ice_servers, public_ipv4, turn_credentials

# A description as aiortc writes it: two interfaces, a server-reflexive candidate, IPv6.
SDP = "\r\n".join(
    [
        "v=0",
        "o=- 3900000000 3900000000 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=video 50123 UDP/TLS/RTP/SAVPF 97",
        "c=IN IP4 172.17.0.2",
        "a=candidate:1a2b 1 udp 2130706431 172.17.0.2 50123 typ host",
        "a=candidate:3c4d 1 udp 2130706431 10.0.0.5 50124 typ host",
        "a=candidate:5e6f 1 udp 2130706431 fd00::5 50125 typ host",
        "a=candidate:7a8b 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 172.17.0.2 rport 50123",
        "a=end-of-candidates",
        "",
    ]
)


def test_turn_credentials_follow_the_turn_rest_convention():
    username, credential = turn_credentials("s3cret", "u42", now_s=1_800_000_000, ttl_s=3600)
    assert username == "1800003600:u42"
    expected = base64.b64encode(hmac.new(b"s3cret", b"1800003600:u42", hashlib.sha1).digest()).decode()
    assert credential == expected
    # Computed apart: printf 86400:ada | openssl dgst -sha1 -hmac north -binary | base64
    assert turn_credentials("north", "ada", 0, 86_400) == ("86400:ada", "M5VjyxhpF54f0bUuCsjP9IYL0tA=")


def test_client_ice_servers_add_the_turn_server_with_this_users_credentials():
    static = [{"urls": "stun:stun.example:3478"}]
    servers = client_ice_servers(
        static, "turn:t.example:3478, turns:t.example:5349", "k", "u1", now_s=100, ttl_s=50
    )
    assert servers[0] == static[0]
    assert servers[1]["urls"] == ["turn:t.example:3478", "turns:t.example:5349"]
    assert servers[1]["username"] == "150:u1"
    assert client_ice_servers(static, "turn:t.example", None, "u1", 0, 1) == static
    assert client_ice_servers([], None, None, "u1", 0, 1) == []


def test_host_candidates_advertise_the_public_address():
    out = advertise(SDP, "203.0.113.7").split("\r\n")
    assert "a=candidate:1a2b 1 udp 2130706431 203.0.113.7 50123 typ host" in out
    assert "a=candidate:3c4d 1 udp 2130706431 203.0.113.7 50124 typ host" in out
    assert "c=IN IP4 203.0.113.7" in out
    # IPv6 and server-reflexive candidates, and the origin line, are left alone.
    assert "a=candidate:5e6f 1 udp 2130706431 fd00::5 50125 typ host" in out
    assert any("198.51.100.9 40000 typ srflx raddr 172.17.0.2" in line for line in out)
    assert "o=- 3900000000 3900000000 IN IP4 0.0.0.0" in out
    assert advertise("v=0\r\n", "203.0.113.7") == "v=0\r\n"


def test_public_address_must_be_ipv4():
    assert public_ipv4(None) is None and public_ipv4("") is None
    assert public_ipv4("203.0.113.7") == "203.0.113.7"
    with pytest.raises(SystemExit):
        public_ipv4("turn.example")
