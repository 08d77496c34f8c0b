"""Moderation, as the panel does it (scope ``moderation:write``; docs/moderation.md): the
tenant's terms, bans, timeouts and shadow mutes, a room's review queue, the audit log.
An API key acts as a staff user named after it (the audit log says ``key:<id>``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from socialsync.platform._models import AuditEntry, HeldMessage, Page, Sanction, Terms, page_of, reader
from socialsync.platform._request import M, Resource, Spec, call, compact, ok, pages

Kind = Literal["ban", "timeout", "shadow_mute"]
TERMS = "/api/v1/moderation/terms"
SANCTIONS = "/api/v1/moderation/sanctions"
HELD = "/api/v1/parties/{party}/held"


def _terms(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [*values]


class Moderation(Resource[M]):
    """``client.moderation``."""

    @call("GET", TERMS)
    def terms(self) -> Spec[Terms]:
        """The tenant's blocked and allowed terms (beside each room's own)."""
        return Spec(reader(Terms))

    @call("PUT", TERMS)
    def set_terms(
        self, *, blocked_terms: Sequence[str] | None = None, allowed_terms: Sequence[str] | None = None
    ) -> Spec[Terms]:
        """Replace either list of the tenant's terms (``*`` wildcards); left out: unchanged."""
        body = compact(blocked_terms=_terms(blocked_terms), allowed_terms=_terms(allowed_terms))
        return Spec(reader(Terms), body=body)

    @call("POST", SANCTIONS)
    def sanction(
        self,
        user: str,
        kind: Kind,
        *,
        party: str | None = None,
        seconds: int | None = None,
        reason: str | None = None,
    ) -> Spec[Sanction]:
        """Ban, time out or shadow-mute ``user`` in ``party``, or in every room of the
        tenant (no ``party``). A timeout lasts 1 to 86 400 s; a ban or shadow mute without
        ``seconds`` lasts until lifted. A ban removes the user at once."""
        body = compact(user=user, kind=kind, party=party, seconds=seconds, reason=reason)
        return Spec(reader(Sanction, "sanction"), body=body)

    @call("DELETE", SANCTIONS + "/{sanction}")
    def lift(self, sanction: int, *, reason: str | None = None) -> Spec[None]:
        """Lift a sanction (the user's sanctions of that kind in that scope end)."""
        return Spec(ok, path={"sanction": str(sanction)}, query={"reason": reason})

    @call("POST", HELD + "/{held}/approve")
    def approve(self, party: str, held: int, *, reason: str | None = None) -> Spec[None]:
        """Deliver a held message to the room (with its original time); decided already: ``Conflict``."""
        return Spec(ok, path={"party": party, "held": str(held)}, body=compact(reason=reason))

    @call("POST", HELD + "/{held}/reject")
    def reject(self, party: str, held: int, *, reason: str | None = None) -> Spec[None]:
        """Reject a held message: nobody sees it; decided already: ``Conflict``."""
        return Spec(ok, path={"party": party, "held": str(held)}, body=compact(reason=reason))

    @call("GET", SANCTIONS)
    def sanctions(
        self,
        *,
        kind: Kind | None = None,
        user: str | None = None,
        party: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Spec[Page[Sanction]]:
        """One page of the sanctions in force, by id (each filter given must match)."""
        query = {"kind": kind, "user": user, "party": party, "limit": limit, "cursor": cursor}
        return Spec(page_of(Sanction), query=query)

    @call("GET", HELD)
    def held(
        self, party: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[HeldMessage]]:
        """One page of a room's review queue, oldest first."""
        return Spec(page_of(HeldMessage), path={"party": party}, query={"limit": limit, "cursor": cursor})

    @call("GET", "/api/v1/moderation/audit")
    def audit(
        self,
        *,
        party: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Spec[Page[AuditEntry]]:
        """One page of the audit log, newest first (of one room with ``party``; ``since``
        and ``until`` in server ms; each filter given must match)."""
        query = {
            "party": party,
            "actor": actor,
            "action": action,
            "since": since,
            "until": until,
            "limit": limit,
            "cursor": cursor,
        }
        return Spec(page_of(AuditEntry), query=query)

    iter_sanctions = pages(sanctions)
    iter_held = pages(held)
    iter_audit = pages(audit)
