"""The authorisation matrix: one source for the tests that prove it against a real
server (tests/integration/test_authorization.py) and for docs/authorization.md.

    python tests/authorization_matrix.py     # writes docs/authorization.md

Each cell is what the server answers that role: ``ok``, or the refusal's code.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "authorization.md"

# Who calls, and how each is set up on every cell's fresh party (tenant "demo").
ROLES: dict[str, str] = {
    "guest": "a guest (no token) of the party's tenant, not in the party",
    "viewer": "a signed-in viewer of the tenant, not in the party",
    "member": "a viewer who joined the party",
    "host": "the party's host (created it and joined first)",
    "cohost": "a member the host made cohost",
    "moderator": "the tenant's moderator (token role), not in the party",
    "admin": "the tenant's admin (token role), not in the party",
    "other_admin": "an admin of another tenant (same user id as the admin), not in the party",
}

# (row, what it targets): Socket.IO events, in the protocol's order.
EVENT_ROWS: list[tuple[str, str]] = [
    ("time.sync", "clock sample"),
    ("party.create", "a new party"),
    ("party.join", "the party"),
    ("party.leave", "the party"),
    ("party.update", "the party's title"),
    ("party.end", "the party"),
    ("member.role", "make another member cohost"),
    ("playback.control", "pause"),
    ("playback.status", "a status report"),
    ("chat.send", "a message"),
    ("chat.history", "the party's chat"),
    ("chat.report", "another member's message"),
    ("reaction.send", "an emoji"),
    ("poll.open", "open a poll"),
    ("poll.vote", "vote in the host's open poll"),
    ("poll.get", "the party's current poll"),
    ("poll.close", "end the host's open poll early"),
    ("poll.cancel", "cancel the host's open poll"),
    ("prediction.resolve", "resolve the host's open prediction"),
    ("analytics.moments", "the top moments of the party's media item"),
    ("analytics.watching", "how many members are present"),
    ("mod.rooms", "the caller's tenant's rooms"),
    ("mod.watch", "the party's moderation view"),
    ("mod.unwatch", "stop one's own moderation view (no effect if none)"),
    ("mod.delete", "another member's message"),
    ("mod.purge", "another member's messages"),
    ("mod.timeout", "another member"),
    ("mod.ban", "another member, from the room"),
    ("mod.unban", "another member (not banned)"),
    ("mod.shadow_mute", "another member"),
    ("mod.rules", "slow mode"),
    ("mod.review", "a held message (none held: `not_found` when allowed)"),
    ("mod.audit", "the party's audit log"),
    ("mod.tenant_terms", "the caller's tenant's blocked terms"),
    ("rtc.config", "ICE servers"),
    ("rtc.publish", "one's own camera"),
    ("rtc.unpublish", "one's own camera"),
    ("rtc.mute", "one's own camera (none on: `bad_request` when allowed)"),
    ("rtc.subscribe", "another member's camera"),
    ("rtc.answer", "another member's camera (no offer pending: `conflict` when allowed)"),
    ("rtc.unsubscribe", "another member's camera"),
    ("rtc.stage", "put another member on stage"),
    ("clip.start", "record one's own clip (no camera on: `bad_request` when allowed)"),
    ("clip.stop", "one's own recording (none: `not_found` when allowed)"),
    ("clip.list", "the party's clips"),
    ("clip.delete", "another member's clip"),
    ("clip.report", "another member's clip"),
    ("mod.clip_review", "another member's held clip"),
    ("feedback.send", "an answer to a feedback prompt (none put to the role: `not_found` when allowed)"),
]

# REST endpoints, called with ``Authorization: Bearer <the role's token>`` (a guest's
# is the token its session gave it).
REST_ROWS: list[tuple[str, str]] = [
    ("POST /api/v1/parties", "create a party"),
    ("GET /api/v1/parties", "list parties (non-staff: live rooms and public parties only)"),
    ("GET /api/v1/parties/{party}", "the party"),
    ("PATCH /api/v1/parties/{party}", "the party's title"),
    ("POST /api/v1/parties/{party}/end", "the party"),
    ("GET /api/v1/parties/{party}/members", "the party's members"),
    ("POST /api/v1/parties/{party}/members/{user}/kick", "another member"),
    ("POST /api/v1/parties/{party}/invites", "an invite link to the party"),
    ("GET /api/v1/parties/{party}/invites", "the party's invite links"),
    ("DELETE /api/v1/parties/{party}/invites/{invite}", "an invite link of the party (made by the admin)"),
    ("GET /api/v1/parties/{party}/messages", "export the party's chat"),
    ("DELETE /api/v1/parties/{party}/messages/{message}", "another member's message"),
    ("GET /api/v1/parties/{party}/held", "the party's review queue"),
    ("POST /api/v1/parties/{party}/held/{held}/approve", "a held message (none: `not_found` when allowed)"),
    ("POST /api/v1/parties/{party}/held/{held}/reject", "a held message (none: `not_found` when allowed)"),
    ("GET /api/v1/moderation/terms", "the caller's tenant's blocked and allowed terms"),
    ("PUT /api/v1/moderation/terms", "the caller's tenant's blocked terms"),
    ("GET /api/v1/moderation/sanctions", "the caller's tenant's sanctions in force"),
    ("POST /api/v1/moderation/sanctions", "time another member out in the party"),
    ("DELETE /api/v1/moderation/sanctions/{sanction}", "another member's timeout in the party (the admin's)"),
    ("GET /api/v1/moderation/audit", "the caller's tenant's audit log"),
    ("GET /api/v1/parties/{party}/clips", "the party's clips"),
    ("GET /api/v1/parties/{party}/consents", "the party's consent records (one camera consent)"),
    ("GET /api/v1/clips", "the caller's tenant's clips"),
    ("DELETE /api/v1/clips/{clip}", "another member's clip"),
    ("GET /api/v1/clips/{clip}/media", "a clip's file, by bearer (no signed URL)"),
    ("POST /api/v1/clips/{clip}/keep", "keep a clip beyond retention"),
    ("GET /api/v1/users/{user}/export", "a member's data (GDPR Art. 15; by id, within the caller's tenant)"),
    ("POST /api/v1/users/{user}/erase", "a member's data (GDPR Art. 17; by id, within the caller's tenant)"),
    ("GET /api/v1/retention", "the caller's tenant's retention"),
    ("PUT /api/v1/retention", "the caller's tenant's retention"),
    ("GET /api/v1/tenant/settings", "the caller's tenant's embedders and own limits"),
    ("PUT /api/v1/tenant/settings", "the caller's tenant's embedders and own limits"),
    ("POST /api/v1/revocations", "revoke a token by jti, within the caller's tenant"),
    ("POST /api/v1/tokens", "mint a viewer token for a user of the caller's tenant"),
    ("POST /api/v1/api-keys", "an API key of the caller's tenant"),
    ("GET /api/v1/api-keys", "the caller's tenant's API keys (one made by the admin)"),
    ("DELETE /api/v1/api-keys/{key}", "revoke an API key (made by the admin)"),
    ("GET /api/v1/tenant/access", "the caller's tenant's JWKS and allowed origins"),
    ("PUT /api/v1/tenant/access", "the caller's tenant's allowed origins"),
    ("POST /api/v1/webhooks/endpoints", "a webhook endpoint of the caller's tenant"),
    ("GET /api/v1/webhooks/endpoints", "the caller's tenant's webhook endpoints (one made by the admin)"),
    ("GET /api/v1/webhooks/endpoints/{endpoint}", "a webhook endpoint (made by the admin)"),
    ("PATCH /api/v1/webhooks/endpoints/{endpoint}", "a webhook endpoint's description (made by the admin)"),
    ("DELETE /api/v1/webhooks/endpoints/{endpoint}", "a webhook endpoint (made by the admin)"),
    ("POST /api/v1/webhooks/endpoints/{endpoint}/rotate", "a webhook endpoint's secret (made by the admin)"),
    ("POST /api/v1/webhooks/endpoints/{endpoint}/test", "ping a webhook endpoint (made by the admin)"),
    ("GET /api/v1/webhooks/deliveries", "the caller's tenant's delivery log (one ping by the admin)"),
    ("GET /api/v1/webhooks/deliveries/{delivery}", "a delivery and its attempts (the admin's ping)"),
    ("POST /api/v1/webhooks/deliveries/{delivery}/redeliver", "send a delivery again (the admin's ping)"),
    ("GET /api/v1/analytics/summary", "the party's analytics summary (`?party=`)"),
    ("GET /api/v1/analytics/concurrency", "the party's viewers over time"),
    ("GET /api/v1/analytics/retention", "the party's retention by media position"),
    ("GET /api/v1/analytics/moments", "the party's key moments"),
    ("GET /api/v1/analytics/funnels", "the party's invite and share funnels"),
    ("GET /api/v1/analytics/viewers", "the party's engagement per (pseudonymous) viewer"),
    ("GET /api/v1/analytics/top", "the caller's tenant's top parties"),
    ("GET /api/v1/analytics/feedback", "the party's end-of-party feedback (`?party=`)"),
    ("GET /api/v1/discovery", "live rooms and public parties, ranked for the caller"),
    ("GET /api/v1/openapi.json", "the API's OpenAPI document (public)"),
    ("GET /api/docs", "the API's rendered docs page (public)"),
]

# Each row: the event or endpoint, then what each role (columns in ROLES' order) is
# answered: ok; ok0: ok, and nothing of the other tenant's in it; F forbidden,
# N not_found, U unauthorized, B bad_request, C conflict.
# Edit this table when a rule changes on purpose; the tests then hold the server to it.
_TABLE = """
                                     | gst  vwr  mbr  hst  coh  mod  adm  oth
time.sync                            | ok   ok   ok   ok   ok   ok   ok   ok
party.create                         | ok   ok   ok   ok   ok   ok   ok   ok
party.join                           | ok   ok   ok   ok   ok   ok   ok   N
party.leave                          | F    F    ok   ok   ok   F    F    F
party.update                         | F    F    F    ok   F    F    F    F
party.end                            | F    F    F    ok   F    F    F    F
member.role                          | F    F    F    ok   F    F    F    F
playback.control                     | F    F    ok   ok   ok   F    F    F
playback.status                      | F    F    ok   ok   ok   F    F    F
chat.send                            | F    F    ok   ok   ok   F    F    F
chat.history                         | F    F    ok   ok   ok   F    F    F
chat.report                          | F    F    ok   ok   ok   F    F    F
reaction.send                        | F    F    ok   ok   ok   F    F    F
poll.open                            | F    F    F    ok   ok   F    F    F
poll.vote                            | F    F    ok   ok   ok   F    F    F
poll.get                             | F    F    ok   ok   ok   F    F    F
poll.close                           | F    F    F    ok   ok   F    F    F
poll.cancel                          | F    F    F    ok   ok   F    F    F
prediction.resolve                   | F    F    F    ok   ok   F    F    F
analytics.moments                    | F    F    ok   ok   ok   F    F    F
analytics.watching                   | F    F    ok   ok   ok   F    F    F
mod.rooms                            | F    F    F    F    F    ok   ok   ok
mod.watch                            | F    F    F    ok   F    ok   ok   N
mod.unwatch                          | ok   ok   ok   ok   ok   ok   ok   ok
mod.delete                           | F    F    F    ok   F    ok   ok   N
mod.purge                            | F    F    F    ok   F    ok   ok   N
mod.timeout                          | F    F    F    ok   F    ok   ok   N
mod.ban                              | F    F    F    ok   F    ok   ok   N
mod.unban                            | F    F    F    ok   F    ok   ok   N
mod.shadow_mute                      | F    F    F    ok   F    ok   ok   N
mod.rules                            | F    F    F    ok   F    ok   ok   N
mod.review                           | F    F    F    N    F    N    N    N
mod.audit                            | F    F    F    ok   F    ok   ok   N
mod.tenant_terms                     | F    F    F    F    F    ok   ok   ok
rtc.config                           | F    F    ok   ok   ok   F    F    F
rtc.publish                          | F    F    ok   ok   ok   F    F    F
rtc.unpublish                        | F    F    ok   ok   ok   F    F    F
rtc.mute                             | F    F    B    B    B    F    F    F
rtc.subscribe                        | F    F    ok   ok   ok   F    F    F
rtc.answer                           | F    F    C    C    C    F    F    F
rtc.unsubscribe                      | F    F    ok   ok   ok   F    F    F
rtc.stage                            | F    F    F    ok   ok   F    F    F
clip.start                           | F    F    B    B    B    F    F    F
clip.stop                            | F    F    N    N    N    F    F    F
clip.list                            | F    F    ok   ok   ok   F    F    F
clip.delete                          | F    F    F    ok   F    ok   ok   N
clip.report                          | F    F    ok   ok   ok   F    F    F
mod.clip_review                      | F    F    F    ok   F    ok   ok   N
feedback.send                        | F    N    N    N    N    N    N    N
POST /api/v1/parties                 | F    ok   ok   ok   ok   ok   ok   ok
GET /api/v1/parties                  | F    ok   ok   ok   ok   ok   ok   ok
GET /api/v1/parties/{party}          | F    ok   ok   ok   ok   ok   ok   N
PATCH /api/v1/parties/{party}        | F    F    F    ok   F    ok   ok   N
POST /api/v1/parties/{party}/end     | F    F    F    ok   F    ok   ok   N
GET /api/v1/parties/{party}/members  | F    F    ok   ok   ok   ok   ok   N
POST /api/v1/parties/{party}/members/{user}/kick | F    F    F    ok   F    ok   ok   N
POST /api/v1/parties/{party}/invites | F    F    F    ok   ok   ok   ok   N
GET /api/v1/parties/{party}/invites  | F    F    F    ok   ok   ok   ok   N
DELETE /api/v1/parties/{party}/invites/{invite} | F    F    F    ok   ok   ok   ok   N
GET /api/v1/parties/{party}/messages | F    F    F    F    F    ok   ok   N
DELETE /api/v1/parties/{party}/messages/{message} | F    F    F    ok   F    ok   ok   N
GET /api/v1/parties/{party}/held     | F    F    F    ok   F    ok   ok   N
POST /api/v1/parties/{party}/held/{held}/approve | F    F    F    N    F    N    N    N
POST /api/v1/parties/{party}/held/{held}/reject | F    F    F    N    F    N    N    N
GET /api/v1/moderation/terms         | F    F    F    F    F    ok   ok   ok
PUT /api/v1/moderation/terms         | F    F    F    F    F    ok   ok   ok
GET /api/v1/moderation/sanctions     | F    F    F    F    F    ok   ok   ok
POST /api/v1/moderation/sanctions    | F    F    F    ok   F    ok   ok   N
DELETE /api/v1/moderation/sanctions/{sanction} | F    F    F    ok   F    ok   ok   N
GET /api/v1/moderation/audit         | F    F    F    F    F    ok   ok   ok
GET /api/v1/parties/{party}/clips    | F    F    F    F    F    ok   ok   N
GET /api/v1/parties/{party}/consents | F    F    F    F    F    ok   ok   N
GET /api/v1/clips                    | F    F    F    F    F    ok   ok   ok
DELETE /api/v1/clips/{clip}          | F    F    F    ok   F    ok   ok   N
GET /api/v1/clips/{clip}/media       | N    N    N    N    N    ok   ok   N
POST /api/v1/clips/{clip}/keep       | F    F    F    F    F    ok   ok   N
GET /api/v1/users/{user}/export      | F    F    F    F    F    F    ok   ok
POST /api/v1/users/{user}/erase      | F    F    F    F    F    F    ok   ok
GET /api/v1/retention                | F    F    F    F    F    F    ok   ok
PUT /api/v1/retention                | F    F    F    F    F    F    ok   ok
GET /api/v1/tenant/settings          | F    F    F    F    F    F    ok   ok
PUT /api/v1/tenant/settings          | F    F    F    F    F    F    ok   ok
POST /api/v1/revocations             | F    F    F    F    F    F    ok   ok
POST /api/v1/tokens                  | F    F    F    F    F    F    ok   ok
POST /api/v1/api-keys                | F    F    F    F    F    F    ok   ok
GET /api/v1/api-keys                 | F    F    F    F    F    F    ok   ok
DELETE /api/v1/api-keys/{key}        | F    F    F    F    F    F    ok   N
GET /api/v1/tenant/access            | F    F    F    F    F    F    ok   ok
PUT /api/v1/tenant/access            | F    F    F    F    F    F    ok   ok
POST /api/v1/webhooks/endpoints      | F    F    F    F    F    F    ok   ok
GET /api/v1/webhooks/endpoints       | F    F    F    F    F    F    ok   ok
GET /api/v1/webhooks/endpoints/{endpoint} | F    F    F    F    F    F    ok   N
PATCH /api/v1/webhooks/endpoints/{endpoint} | F    F    F    F    F    F    ok   N
DELETE /api/v1/webhooks/endpoints/{endpoint} | F    F    F    F    F    F    ok   N
POST /api/v1/webhooks/endpoints/{endpoint}/rotate | F    F    F    F    F    F    ok   N
POST /api/v1/webhooks/endpoints/{endpoint}/test | F    F    F    F    F    F    ok   N
GET /api/v1/webhooks/deliveries      | F    F    F    F    F    F    ok   ok
GET /api/v1/webhooks/deliveries/{delivery} | F    F    F    F    F    F    ok   N
POST /api/v1/webhooks/deliveries/{delivery}/redeliver | F    F    F    F    F    F    ok   N
GET /api/v1/analytics/summary        | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/concurrency    | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/retention      | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/moments        | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/funnels        | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/viewers        | F    F    F    F    F    ok   ok   N
GET /api/v1/analytics/top            | F    F    F    F    F    ok   ok   ok
GET /api/v1/analytics/feedback       | F    F    F    F    F    ok   ok   N
GET /api/v1/discovery                | F    ok   ok   ok   ok   ok   ok   ok
GET /api/v1/openapi.json             | ok   ok   ok   ok   ok   ok   ok   ok
GET /api/docs                        | ok   ok   ok   ok   ok   ok   ok   ok
"""


_CODES = {
    "ok": "ok",
    "ok0": "ok, none",
    "F": "forbidden",
    "N": "not_found",
    "U": "unauthorized",
    "B": "bad_request",
    "C": "conflict",
}


def _parse(table: str) -> dict[str, dict[str, str]]:
    lines = [line for line in table.splitlines() if line.strip()]
    rows: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        name, _, cells = line.partition("|")
        outcomes = [_CODES[c] for c in cells.split()]
        assert len(outcomes) == len(ROLES), line
        rows[name.strip()] = dict(zip(ROLES, outcomes, strict=True))
    return rows


EXPECTED = _parse(_TABLE)


def _cell(outcome: str) -> str:
    return f"✅ {outcome}" if outcome.startswith("ok") else f"`{outcome}`"


def _table(rows: list[tuple[str, str]]) -> list[str]:
    roles = list(ROLES)
    lines = ["| | target | " + " | ".join(roles) + " |", "|---|---|" + "---|" * len(roles)]
    for name, target in rows:
        cells = EXPECTED.get(name, {})
        lines.append(f"| `{name}` | {target} | " + " | ".join(_cell(cells.get(r, "?")) for r in roles) + " |")
    return lines


def render() -> str:
    lines = [
        "# Authorisation matrix",
        "",
        "<!-- Generated by `python tests/authorization_matrix.py` from its EXPECTED table;",
        "     tests/integration/test_authorization.py calls every cell against a real server",
        "     and fails when the server or this file disagrees with it. Do not edit by hand. -->",
        "",
        "Every Socket.IO event and REST endpoint, called by each role on a fresh party of",
        "tenant `demo` (host, cohost, member and a second member, `other`, who is the target",
        "of roles and sanctions and the author of a message, a clip and a held clip). A cell",
        "is the server's answer: ✅ ok, or the refusal's code. `not_found` where a role may",
        "not know the party exists (another tenant, or not a member of a private party);",
        "`forbidden` where it may know but not act; `unauthorized` for a missing or",
        "refused token. `bad_request`, `conflict` and `not_found` in an otherwise allowed",
        "row mean the role passed the authorisation and the target's state decided.",
        "",
        "Roles:",
        "",
    ]
    lines += [f"- **{role}**: {what}" for role, what in ROLES.items()]
    lines += ["", "## Socket.IO events", "", *_table(EVENT_ROWS)]
    lines += ["", "## REST endpoints", "", *_table(REST_ROWS)]
    lines += [
        "",
        "Not in the table: `/healthz` and `/readyz` (public, no data), `/metrics` (only with",
        "`Authorization: Bearer <metrics_token>`, else 404), and a clip's media by its signed",
        "URL (the signature is the authorisation; tests/integration/test_clip_recording.py).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    DOC.write_text(render())
    sys.stdout.write(f"wrote {DOC}\n")
