"""What the platform SDK signs and checks locally: ``mint_token`` makes the token the
server's ``issue_token`` makes, and ``verify_webhook`` is the domain's ``verify`` (the
server's own check) with the time read for the caller. A minted token signing a real
socket in: tests/integration/test_platform_sdk.py."""

from __future__ import annotations

import time

import jwt
import pytest

from socialsync.domain.tenant import Tenant
from socialsync.domain.webhooks import headers_for, secret_from_bytes
from socialsync.edge.auth import issue_token
from socialsync.platform import WebhookVerificationError, mint_token, verify_webhook

SECRET = "a-tenant-secret-of-at-least-32-bytes!"


def test_a_minted_token_is_the_servers_token() -> None:
    tenant = Tenant("acme", "Acme", SECRET, False, 0)
    now = 1_700_000_000
    servers = issue_token(tenant, "viewer-42", "Ada", ["viewer", "moderator"], 900, now)
    ours = mint_token("acme", SECRET, "viewer-42", "Ada", ["viewer", "moderator"], 900, now_s=now)
    assert jwt.get_unverified_header(ours) == jwt.get_unverified_header(servers)
    assert jwt.get_unverified_header(ours) == {"alg": "HS256", "kid": "acme", "typ": "JWT"}
    options = {"verify_exp": False, "verify_iat": False}
    theirs_claims = jwt.decode(servers, SECRET, algorithms=["HS256"], options=options)
    our_claims = jwt.decode(ours, SECRET, algorithms=["HS256"], options=options)
    assert set(our_claims) == set(theirs_claims) == {"sub", "name", "roles", "iat", "exp", "jti"}
    assert {k: v for k, v in our_claims.items() if k != "jti"} == {
        k: v for k, v in theirs_claims.items() if k != "jti"
    }
    assert len(our_claims["jti"]) == len(theirs_claims["jti"]) == 24  # hex, like the server's
    # A host token: the party its user joins as host, as the same claim.
    servers = issue_token(tenant, "host-1", "Hana", ["viewer"], 900, now, host_of="Party_1")
    ours = mint_token("acme", SECRET, "host-1", "Hana", ["viewer"], 900, now_s=now, host_of="Party_1")
    theirs_claims = jwt.decode(servers, SECRET, algorithms=["HS256"], options=options)
    our_claims = jwt.decode(ours, SECRET, algorithms=["HS256"], options=options)
    assert our_claims["host_of"] == "Party_1"
    assert {k: v for k, v in our_claims.items() if k != "jti"} == {
        k: v for k, v in theirs_claims.items() if k != "jti"
    }


def test_a_minted_token_has_its_own_jti_unless_given_and_now_by_default() -> None:
    first, second = (mint_token("acme", SECRET, "u1", "U") for _ in range(2))
    claims = [jwt.decode(t, SECRET, algorithms=["HS256"]) for t in (first, second)]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert abs(claims[0]["iat"] - time.time()) < 5 and claims[0]["exp"] - claims[0]["iat"] == 3600
    assert claims[0]["roles"] == ["viewer"]
    chosen = mint_token("acme", SECRET, "u1", "U", jti="order-7")
    assert jwt.decode(chosen, SECRET, algorithms=["HS256"])["jti"] == "order-7"


@pytest.mark.parametrize(
    ("user", "name", "roles", "ttl_s", "says"),
    [
        ("has space", "U", ["viewer"], 60, "user_id"),
        ("u", "  ", ["viewer"], 60, "name"),
        ("u", "U", ["host"], 60, "roles"),
        ("u", "U", [], 60, "roles"),
        ("u", "U", ["viewer"], 0, "ttl_s"),
    ],
)
def test_what_the_server_would_refuse_is_refused_before_signing(
    user: str, name: str, roles: list[str], ttl_s: int, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        mint_token("acme", SECRET, user, name, roles, ttl_s)


def test_a_host_token_names_a_party_by_its_id() -> None:
    with pytest.raises(ValueError, match="host_of"):
        mint_token("acme", SECRET, "u", "U", host_of="not a party/id")


WHSEC = secret_from_bytes(b"0123456789abcdef01234567")
OLD = secret_from_bytes(b"old-secret-old-secret-ol")
BODY = b'{"type":"party.created","timestamp":"2026-01-01T00:00:00Z","data":{"party":"p1"}}'


def test_a_delivery_signed_as_the_server_signs_verifies_now_and_tampering_does_not() -> None:
    now = int(time.time())
    headers = headers_for([WHSEC], "msg_abc", now, BODY)
    assert verify_webhook(WHSEC, headers, BODY)["data"] == {"party": "p1"}
    # Header names in any case (frameworks differ); the body as text too.
    upper = {k.upper(): v for k, v in headers.items()}
    assert verify_webhook(WHSEC, upper, BODY.decode())["type"] == "party.created"
    for bad_body, bad_headers in [
        (BODY.replace(b"p1", b"p2"), headers),
        (BODY, {**headers, "webhook-id": "msg_other"}),
        (BODY, {k: v for k, v in headers.items() if k != "webhook-signature"}),
    ]:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(WHSEC, bad_headers, bad_body)
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(OLD, headers, BODY)


def test_an_old_delivery_is_refused_and_during_a_rotation_either_secret_verifies() -> None:
    signed_at = 1_700_000_000
    both = headers_for([WHSEC, OLD], "msg_abc", signed_at, BODY)
    for secret in (WHSEC, OLD):
        assert verify_webhook(secret, both, BODY, signed_at + 299)["data"]["party"] == "p1"
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(WHSEC, both, BODY, signed_at + 301)
    assert verify_webhook(WHSEC, both, BODY, signed_at + 3000, tolerance_s=3600)["type"] == "party.created"
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(WHSEC, both, BODY)  # now, years later
