"""Sync health on the outside: the per-party drift metrics (no party named) and REST's `sync`."""

from __future__ import annotations

from dataclasses import replace

from test_party import build

from socialsync.adapters.prometheus import Metrics
from socialsync.domain.party.health import DriftSummary
from socialsync.protocol.outbound import member_out, sync_health_out


def test_parties_are_counted_by_their_drift_p95_without_naming_them() -> None:
    summaries = [
        DriftSummary("secret-party-a", 3.0, 12.0, 40),
        DriftSummary("secret-party-b", 30.0, 150.0, 40),
    ]
    page = Metrics(lambda: 0, lambda: 0, lambda: 0, party_drift=lambda: summaries).render().decode()
    assert "secret-party" not in page
    assert 'socialsync_party_drift_p95_seconds_bucket{le="0.02"} 1.0' in page
    assert 'socialsync_party_drift_p95_seconds_bucket{le="0.16"} 2.0' in page
    assert 'socialsync_party_drift_p50_seconds_bucket{le="0.005"} 1.0' in page
    assert "socialsync_parties_out_of_sync 1.0" in page


def test_rest_sync_health_and_the_members_words() -> None:
    room = build("bob", "cleo")
    members = dict(room.party.members)
    members["bob"] = replace(members["bob"], in_ad=True)
    members["cleo"] = replace(members["cleo"], in_sync=False)
    party = replace(room.party, members=members)
    out = sync_health_out(party, DriftSummary(party.id, 4.04, 21.96, 12))
    assert out == {
        "members": {"in_sync": 1, "catching_up": 1, "loading": 0, "in_ad": 1, "away": 0},
        "drift": {"p50_ms": 4.0, "p95_ms": 22.0, "reports": 12},
    }
    assert sync_health_out(party, None)["drift"] is None
    assert member_out(members["bob"])["sync"] == "in_ad" and member_out(members["bob"])["in_ad"] is True
