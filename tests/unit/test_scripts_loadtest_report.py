"""The load tests' report: the table and the PNG people read (loadtests/report.py).

The figure's checks need matplotlib (the `loadtests` extra: scripts/setup.sh
loadtests); without it they skip. The label layout and the table need nothing.
"""

from __future__ import annotations

import itertools
import random
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest

# loadtests/ is no installed package: it runs from the repository's root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from services import unavailable

from loadtests import report
from loadtests.metrics import Merged, percentiles


def test_spread_keeps_labels_apart_in_order_and_inside():
    # The end of a run: four moments within 0.3 % of the axis.
    centers = [0.2, 0.95, 0.951, 0.953, 0.955]
    widths = [0.08, 0.08, 0.1, 0.12, 0.09]
    placed = report.spread(centers, widths, 0.0, 1.0, pad=0.01)
    order = sorted(range(len(centers)), key=lambda i: centers[i])
    assert [placed[i] for i in order] == sorted(placed)
    for a, b in itertools.pairwise(order):
        assert placed[b] - placed[a] >= (widths[a] + widths[b]) / 2 + 0.01 - 1e-9
    assert all(0.0 <= c - w / 2 and c + w / 2 <= 1.0 + 1e-9 for c, w in zip(placed, widths, strict=True))
    assert placed[0] == 0.2  # a label with room stays over its line
    assert report.spread([0.5], [0.1]) == [0.5]


def fanout_summary(ramp: bool) -> tuple[dict[str, Any], Merged]:
    """A fanout run's summary and samples as run.py makes them (5 ramp steps of 3 s, or one rate)."""
    rng = random.Random(7)
    members, start, end = 10, 3.0, 18.0
    steps = [[3.0 * i, 10.0 * 2**i] for i in range(5)] if ramp else [[0.0, 20.0]]
    marks = {"ready": 1.0, "start": start, "traffic_end": end, "stopped": end + 0.02, "done": end + 0.05}
    rate_at = {int(start + o + k): r for o, r in steps for k in range(3 if ramp else 15)}
    sent = [int(rate_at.get(i, 0)) for i in range(19)]
    merged = Merged(0.0)
    merged.per_s = {"sent": sent, "delivered": [n * members for n in sent]}
    times = [start + rng.random() * (end - start) for _ in range(3000)]
    merged.sample_times = {"fanout": array("d", sorted(times))}
    merged.samples = {
        "fanout": array("d", (rng.lognormvariate(2.5 + 0.15 * t, 0.6) for t in sorted(times))),
        "connect": array("d", (rng.lognormvariate(5, 0.3) for _ in range(40))),
        "join": array("d", (rng.lognormvariate(4, 0.3) for _ in range(40))),
        "chat.send": array("d", (rng.lognormvariate(2.7, 0.6) for _ in range(300))),
    }
    judged = [
        {
            "rate": r,
            "expected_delivered_per_s": r * members,
            "delivered_per_s": r * members * (1.0 if r < 100 else 0.7),
            "fanout_ms": {"n": 10, "p50": 12.0, "p95": 40.0, "p99": 80.0, "max": 90.0},
            "ok": r < 100,
        }
        for _, r in steps
    ]
    s = {
        "scenario": "fanout",
        "server": "socialsync",
        "nodes": 1,
        "broker": None,
        "placement": None,
        "workers": 1,
        "connections": 40,
        "run_s": end - start,
        "params": {
            "parties": 4,
            "members": members,
            "rate": 20.0,
            "ramp": ramp,
            "start_rate": 10.0,
            "factor": 2.0,
            "step_duration": 3.0,
            "max_latency_ms": 1000.0,
            "steps": steps,
        },
        "latency_ms": {name: percentiles(v) for name, v in merged.samples.items()},
        "marks_s": marks,
        "samples": [
            {
                "t": float(t),
                "cpu_server": 20.0 + t,
                "cpu_generator": 10.0,
                "cpu_orchestrator": 1.0,
                "cpu_machine": 60.0,
                "rss_kb_server": 140_000 + 100 * t,
            }
            for t in range(1, 19)
        ],
        "steps": judged,
        "max_sustained": judged[-1],
    }
    return s, merged


def table_of(s: dict[str, Any]) -> str:
    s = {
        **s,
        "throughput": {
            "sent_per_s": 20,
            "delivered_per_s": 200,
            "peak_delivered_per_s": 240,
            "chat_messages_stored": 300,
            "reactions_sent_ok": 0,
            "bursts_received_per_s": 0,
        },
        "cpu_pct_during_run": {"server": 20, "generator": 10, "orchestrator": 1},
        "cpu_pct_peak": {"server": 30, "generator": 12},
        "cpu_pct_other_processes": 0,
        "rss": {},
        "server_rss_kb_per_connection": None,
        "generator_rss_kb": 0,
        "setup_s": 1.0,
        "checks": {
            "viewers_checked": 40,
            "lost": 0,
            "viewers_with_loss": 0,
            "duplicates": 0,
            "reaction_mismatch_viewers": 0,
            "reaction_viewers_checked": 0,
            "reaction_out_of_bounds_viewers": 0,
        },
        "errors": {},
        "counters": {},
        "failed": [],
    }
    return report.table(s)


def test_a_run_without_ramp_prints_no_ramp_table():
    s, _ = fanout_summary(ramp=False)
    text = table_of(s)
    assert "ramp rate/s" not in text and "max sustained" not in text
    assert "fan-out at 20 msgs/s sent: 200.0 delivered/s of 200.0 wanted" in text


def test_a_ramp_prints_every_step():
    s, _ = fanout_summary(ramp=True)
    text = table_of(s)
    assert "ramp rate/s" in text
    assert len([line for line in text.splitlines() if line.endswith(("  yes", "  NO"))]) == 5
    assert "max sustained" in text


def test_ramp_steps_in_generator_time():
    s, _ = fanout_summary(ramp=True)
    steps = report.ramp_steps(s)
    assert [(st["start"], st["end"], st["rate"]) for st in steps][:2] == [(3.0, 6.0, 10.0), (6.0, 9.0, 20.0)]
    assert steps[-1]["end"] == 18.0 and steps[-1]["ok"] is False
    assert report.ramp_steps(fanout_summary(ramp=False)[0]) == []


def boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("ramp", [False, True])
def test_the_figure_is_legible(ramp, tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        unavailable("matplotlib, the loadtests extra (scripts/test.sh installs it)")
    import matplotlib.pyplot as plt
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    s, merged = fanout_summary(ramp)
    fig = report.figure(s, merged)
    try:
        fig.savefig(tmp_path / "run.png", dpi=90)
        renderer = fig.canvas.get_renderer()
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        # The moments of the run: one label each, none over another.
        labels = [t for ax in axes for t in ax.texts if t.get_text() in report.MARK_LABELS.values()]
        assert sorted(t.get_text() for t in labels) == sorted(report.MARK_LABELS.values())
        extents = [t.get_window_extent(renderer) for t in labels]
        for i, a in enumerate(extents):
            for b in extents[i + 1 :]:
                assert not boxes_overlap(a, b)
        # Legends beside the plots, over none of them, and inside the picture.
        legends = [c for ax in axes for c in ax.get_children() if isinstance(c, Legend)]
        assert len(legends) >= 3
        picture = fig.bbox
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert box.x1 <= picture.x1 and box.y0 >= picture.y0
            for ax in axes:
                assert not boxes_overlap(box, ax.get_window_extent(renderer))
        # A ramp's steps are shaded and their rates written.
        rates = {t.get_text() for ax in axes for t in ax.texts if isinstance(t, Text)}
        assert {"10/s", "160/s"} <= rates if ramp else not {"10/s", "160/s"} & rates
    finally:
        plt.close(fig)
