"""The platform SDK's result types against the server's answer shapes: the SDK declares
them again (so that it imports nothing of the server), and this keeps the two the same,
field for field; and how answers are read into them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import pytest
from typing_extensions import is_typeddict

from socialsync.edge.http import (
    analytics,
    api_keys,
    chat,
    discovery,
    feedback,
    invites,
    moderation,
    pagination,
    parties,
    privacy,
    revocations,
    tenant,
    tokens,
    webhooks,
)
from socialsync.platform import _models as m
from socialsync.protocol import shapes

# Each SDK type, and the server's TypedDict it reads (its "ok" is not kept).
PAIRS: list[tuple[type, Any]] = [
    (m.Media, shapes.Media),
    (m.PartySettings, shapes.PartySettings),
    (m.Party, shapes.PartyInfo),
    (m.Playback, shapes.PlaybackState),
    (m.Camera, shapes.CameraState),
    (m.Member, shapes.Member),
    (m.UserRef, shapes.UserRef),
    (m.Clip, shapes.ClipInfo),
    (m.Drift, parties.Drift),
    (m.SyncHealth, parties.SyncHealth),
    (m.PartyState, parties.PartyState),
    (m.Token, tokens.TokenAnswer),
    (m.Revocation, revocations.Revoked),
    (m.ApiKey, api_keys.KeyOut),
    (m.NewApiKey, api_keys.KeyCreated),
    (m.TenantAccess, api_keys.AccessOut),
    (m.Limits, tenant.Limits),
    (m.TenantSettings, tenant.TenantSettings),
    (m.ChatHook, tenant.ChatHook),
    (m.WebhookEndpoint, webhooks.EndpointOut),
    (m.NewWebhookSecret, webhooks.EndpointWithSecret),
    (m.Delivery, webhooks.DeliveryOut),
    (m.Attempt, webhooks.AttemptOut),
    (m.DeliveryLog, webhooks.DeliveryLog),
    (m.Retention, privacy.Retention),
    (m.Erasure, privacy.Erased),
    (m.Consent, privacy.ConsentRecord),
    (m.Invite, invites.InviteInfo),
    (m.Message, chat.ModeratedMessage),
    (m.Terms, moderation.TermsAnswer),
    (m.Sanction, moderation.SanctionInfo),
    (m.HeldMessage, moderation.HeldInfo),
    (m.AuditEntry, moderation.AuditInfo),
    (m.Window, analytics.Window),
    (m.Metrics, analytics.SummaryBody),
    (m.AnalyticsSummary, analytics.SummaryAnswer),
    (m.ConcurrencyPoint, analytics.PointBody),
    (m.Concurrency, analytics.ConcurrencyAnswer),
    (m.RetentionPoint, analytics.RetentionPoint),
    (m.RetentionCurve, analytics.RetentionAnswer),
    (m.Moment, analytics.MomentBody),
    (m.Moments, analytics.MomentsAnswer),
    (m.FunnelStep, analytics.StepBody),
    (m.Funnels, analytics.FunnelsAnswer),
    (m.ViewerStats, analytics.ViewerBody),
    (m.Viewers, analytics.ViewersAnswer),
    (m.Ranked, analytics.RankedBody),
    (m.Top, analytics.TopAnswer),
    (m.Page, pagination.Page),
    (m.Badge, shapes.Badge),
    (m.Engagement, tenant.Engagement),
    (m.ScoreCount, feedback.ScoreCount),
    (m.Csat, feedback.CsatBody),
    (m.Nps, feedback.NpsBody),
    (m.FeedbackComment, feedback.CommentBody),
    (m.Feedback, feedback.FeedbackAnswer),
    (m.DiscoveryActivity, discovery.Activity),
    (m.DiscoveryHistory, discovery.History),
    (m.Discovered, discovery.Discovered),
    (m.Discovery, discovery.DiscoveryAnswer),
]


@pytest.mark.parametrize(("ours", "servers"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_each_result_type_has_the_fields_of_the_servers_answer(ours: type, servers: Any) -> None:
    assert is_typeddict(servers)
    wire = (servers.__required_keys__ | servers.__optional_keys__) - {"ok"}
    fields = {f.name: f for f in dataclasses.fields(ours)}
    assert set(fields) == wire, f"{ours.__name__} drifted from the server's {servers.__name__}"
    for name in servers.__optional_keys__:  # a key the server may leave out has a default here
        assert fields[name].default is not dataclasses.MISSING, f"{ours.__name__}.{name}"


def test_every_exported_result_type_is_checked_against_the_server() -> None:
    checked = {ours for ours, _ in PAIRS}
    exported = {v for v in vars(m).values() if dataclasses.is_dataclass(v) and isinstance(v, type)}
    assert exported == checked


def test_answers_are_read_into_nested_types_and_a_newer_servers_extras_pass() -> None:
    media = {"url": "https://cdn.example/a.mp4", "kind": "vod", "duration": 600}
    party = {
        "id": "p1",
        "title": "T",
        "created_at": 1,
        "created_by": "key:1",
        "host": None,
        "media": media,
        "settings": {
            "type": "watch_party",
            "control": "hosts",
            "wait_for_buffering": True,
            "max_members": 50,
            "cameras": True,
        },
        "member_count": 0,
        "added_in_v2": {"anything": 1},  # unknown: ignored
    }
    read = m.reader(m.Party, "party")({"ok": True, "party": party})
    assert read.media == m.Media("https://cdn.example/a.mp4", "vod", None, 600.0)
    assert isinstance(read.media.duration, float) and read.invite_url is None  # absent: its default
    assert read.settings.control == "hosts"
    page = m.page_of(m.Party)({"ok": True, "items": [party, party], "next_cursor": "abc"})
    assert page.items == (read, read) and page.next_cursor == "abc"
    # A value a newer server adds to a closed set passes rather than break the reader.
    assert m.decode(m.Media, {**media, "kind": "ondemand"}).kind == "ondemand"


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [
        (m.Media, {"kind": "vod"}, "Media: no url"),
        (m.Media, {"url": 3}, "Media.url: expected str, got int"),
        (m.Drift, {"p50_ms": 1.0, "p95_ms": 2.0, "reports": True}, "Drift.reports: expected int, got bool"),
        (tuple[m.UserRef, ...], {"id": "x"}, "expected list, got dict"),
    ],
)
def test_an_answer_of_another_shape_is_refused_naming_the_field(kind: Any, value: Any, says: str) -> None:
    with pytest.raises(ValueError, match=f"^{says}$"):
        m.decode(kind, value)


def test_secrets_stay_out_of_reprs() -> None:
    key = m.ApiKey("k", "n", ("parties:write",), 1, None, None, None, None, None, "ssk_k_")
    endpoint = m.WebhookEndpoint("ep", "https://x", "", (), True, None, None, None, 1, 1)
    shown = repr(
        [
            m.NewApiKey(key, "ssk_k_SECRET"),
            m.NewWebhookSecret(endpoint, "whsec_SECRET"),
            m.Token("eyJSECRET", "u", ("viewer",), 1),
        ]
    )
    assert "SECRET" not in shown and "ssk_k_" in shown


def test_importing_the_sdk_loads_nothing_of_the_server() -> None:
    """What a backend's process gets: the domain, httpx and PyJWT; no web server, no
    pydantic, no database or Socket.IO library (import-linter checks the imports too)."""
    code = "import sys, socialsync.platform; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert {"httpx", "jwt", "socialsync.domain.webhooks"} <= loaded
    heavy = {"aiohttp", "pydantic", "socketio", "engineio", "sqlalchemy", "redis", "aiortc", "msgpack"}
    assert not heavy & loaded
    assert not {name for name in loaded if name.startswith(("socialsync.edge", "socialsync.services"))}
