"""The path parameters REST endpoints share: a party, a clip, a user of the tenant."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from socialsync.edge.http.endpoint import PathParams
from socialsync.protocol.inbound import ClipId, PartyId

UserId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:@-]+$",
        description="A user id of the tenant: 1 to 128 letters, digits or _.:@-",
    ),
]


class PartyPath(PathParams):
    party: Annotated[PartyId, Field(description="The party's id (its invite secret).")]


class ClipPath(PathParams):
    clip: ClipId


class UserPath(PathParams):
    user: UserId


class MemberPath(PathParams):
    party: PartyId
    user: UserId
