"""Viewers as analytics knows them: a keyed hash of the tenant and the user id.

HMAC-SHA256 under a key only the server holds (``SOCIALSYNC_ANALYTICS_KEY``): without
it a pseudonym cannot be turned back into a user id, nor a user id into its pseudonym
(no dictionary attack on guessable ids). The tenant is hashed in, so two tenants' users
who share an id are two viewers. Rotating the key starts new pseudonyms (a viewer is
then counted anew); the previous keys stay configured so that an erasure still finds
the rows made under them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


class Pseudonyms:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty key")
        self.keys = tuple(keys)

    def of(self, tenant_id: str, user_id: str) -> str:
        """The viewer's pseudonym under the current key (22 URL-safe characters)."""
        return _hash(self.keys[0], tenant_id, user_id)

    def every(self, tenant_id: str, user_id: str) -> list[str]:
        """Its pseudonyms under every configured key (the current one first): what an
        erasure looks for."""
        return [_hash(key, tenant_id, user_id) for key in self.keys]


def _hash(key: bytes, tenant_id: str, user_id: str) -> str:
    digest = hmac.new(key, f"{tenant_id}\x00{user_id}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
