"""How clients reach a deployment's media relay: the ICE servers `rtc.config` hands
out (TURN with time-limited credentials) and the address a node behind NAT
advertises in the descriptions it sends.

Pure functions: the time is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from typing import Any


def turn_credentials(secret: str, user_id: str, now_s: int, ttl_s: int) -> tuple[str, str]:
    """TURN REST API credentials (coturn's ``use-auth-secret``): the username is
    ``expiry:user`` and the password the base64 HMAC-SHA1 of it under the shared
    secret, so the TURN server checks them without asking us, and they lapse."""
    username = f"{now_s + ttl_s}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def client_ice_servers(
    static: list[dict[str, Any]],
    turn_urls: str | None,
    turn_secret: str | None,
    user_id: str,
    now_s: int,
    ttl_s: int,
) -> list[dict[str, Any]]:
    """The configured servers, then the TURN server (comma-separated URLs) with
    credentials for this user."""
    servers = list(static)
    if turn_urls and turn_secret:
        username, credential = turn_credentials(turn_secret, user_id, now_s, ttl_s)
        urls = [u.strip() for u in turn_urls.split(",") if u.strip()]
        servers.append({"urls": urls, "username": username, "credential": credential})
    return servers


def public_ipv4(value: str | None) -> str | None:
    """The configured public address, checked: an IPv4 address or nothing."""
    if not value:
        return None
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise SystemExit(f"SOCIALSYNC_RTC_PUBLIC_ADDRESS: {value!r} is not an IPv4 address") from None


def advertise(sdp: str, public_ip: str) -> str:
    """``sdp`` with its IPv4 host candidates (and the connection lines that name
    their addresses) on ``public_ip``: a node behind 1:1 NAT, or in a container on
    the host's network, is reachable there, not at its own interface addresses.
    Ports are kept (the NAT maps them unchanged); other candidates are left alone."""
    lines = sdp.split("\r\n")
    rewritten: set[str] = set()
    for i, line in enumerate(lines):
        fields = line.split(" ")
        # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
        if line.startswith("a=candidate:") and len(fields) >= 8 and fields[6:8] == ["typ", "host"]:
            if _is_ipv4(fields[4]):
                rewritten.add(fields[4])
                fields[4] = public_ip
                lines[i] = " ".join(fields)
    for i, line in enumerate(lines):
        if line.startswith("c=IN IP4 ") and line[9:] in rewritten:
            lines[i] = f"c=IN IP4 {public_ip}"
    return "\r\n".join(lines)


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True
