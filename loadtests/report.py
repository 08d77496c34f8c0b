"""The summary of a run: a dict (written as JSON), a text table, and a PNG."""

from __future__ import annotations

import argparse
import math
from typing import Any

from .metrics import Merged, percentiles

# Series shown first in the table, in this order; the rest follow alphabetically.
ORDER = [
    "connect",
    "join",
    "connect+join",
    "fanout",
    "sync_fanout",
    "chat.send",
    "playback.control",
    "playback.control.calm",
    "playback.control.storm",
    "playback.status",
    "time.sync.calm",
    "time.sync.storm",
    "reaction.send.storm",
    "leave",
    "disconnect",
    "rejoin",
    "reconnect+rejoin",
]

DESCRIBE = {
    "connect": "WebSocket + Socket.IO connect (session received)",
    "join": "party.join answer",
    "fanout": "chat.message receipt - message ts (all receivers)",
    "sync_fanout": "playback.control sent -> playback.state at each member",
    "rejoin": "party.join with since= after churn",
}


def summarise(
    *,
    args: argparse.Namespace,
    params: dict[str, Any],
    duration: float,
    run_s: float,
    merged: Merged,
    totals: dict[str, int],
    reaction_examples: list[Any],
    extra: dict[str, Any],
    cpu_run: dict[str, float],
    marks: dict[str, float],
    rss_base: dict[str, Any],
    rss_ready: dict[str, Any],
    rss_end: dict[str, Any],
    connections: int,
    samples: list[dict[str, Any]],
    ramp_stop: dict[str, Any] | None,
    reactions_sent: int,
    messages: int,
    first_errors: dict[str, str],
    server_logs: dict[str, str],
    urls: list[str],
) -> dict[str, Any]:
    latency = {}
    names = [n for n in ORDER if n in merged.samples] + sorted(n for n in merged.samples if n not in ORDER)
    for n in names:
        latency[n] = percentiles(merged.samples[n])
    delivered = merged.per_s.get("delivered", [])
    sent = merged.per_s.get("sent", [])
    start = int(marks.get("start", 0))
    stop = int(marks.get("traffic_end", marks.get("stopped", len(delivered))))
    run_delivered = sum(delivered[start:stop])
    run_sent = sum(sent[start:stop])
    window = max(1, stop - start)
    errors = dict(sorted(merged.errors.items()))
    rss = {}
    for node, base in rss_base.items():
        ready = rss_ready.get(node)
        rss[node] = {"base_kb": base, "ready_kb": ready, "end_kb": rss_end.get(node)}
    total_base = sum(v or 0 for v in rss_base.values())
    total_ready = sum(v or 0 for v in rss_ready.values())
    per_conn_kb = round((total_ready - total_base) / connections, 2) if connections else None
    run_rows = [r for r in samples if r.get("phase") == "run"]
    gen_rss = max((r.get("rss_kb_generator", 0) for r in run_rows), default=0)
    peak_gen = max((r.get("cpu_generator", 0) for r in run_rows), default=0)
    peak_srv = max((r.get("cpu_server", 0) for r in run_rows), default=0)
    failed_reasons = []
    if totals["lost"]:
        failed_reasons.append(f"{totals['lost']} chat messages lost")
    if totals["duplicates"]:
        failed_reasons.append(f"{totals['duplicates']} duplicate chat messages")
    if totals["reaction_mismatch_viewers"]:
        failed_reasons.append(
            f"{totals['reaction_mismatch_viewers']} viewers whose reaction counts do not add up "
            f"({totals['reaction_out_of_bounds_viewers']} even allowing for unanswered ones)"
        )
    hard_errors = {k: v for k, v in errors.items() if k != "chat.send:held"}
    if hard_errors:
        failed_reasons.append(f"{sum(hard_errors.values())} request/connection errors")
    result: dict[str, Any] = {
        "scenario": args.scenario,
        "server": args.server,
        "nodes": args.nodes,
        "broker": args.broker if args.nodes > 1 else None,
        "placement": args.placement if args.nodes > 1 else None,
        "client": args.client,
        "workers": args.workers,
        "params": params,
        "duration_s": duration,
        "run_s": round(run_s, 2),
        "connections": connections,
        "latency_ms": latency,
        "throughput": {
            "sent_per_s": round(run_sent / window, 1),
            "delivered_per_s": round(run_delivered / window, 1),
            "peak_delivered_per_s": max(delivered[start:stop], default=0),
            "chat_messages_stored": messages,
            "reactions_sent_ok": reactions_sent,
            "bursts_received_per_s": round(sum(merged.per_s.get("bursts", [])[start:stop]) / window, 1),
        },
        "cpu_pct_during_run": cpu_run,
        "cpu_pct_peak": {"server": peak_srv, "generator": peak_gen},
        # Whatever else ran on the machine meanwhile (other people's tests...): it skews the numbers.
        "cpu_pct_other_processes": round(
            sum(
                max(0.0, r["cpu_machine"] - r["cpu_server"] - r["cpu_generator"] - r["cpu_orchestrator"])
                for r in run_rows
            )
            / max(1, len(run_rows)),
            1,
        ),
        "rss": rss,
        "server_rss_kb_per_connection": per_conn_kb,
        "generator_rss_kb": gen_rss,
        "setup_s": round(marks.get("ready", 0.0), 2),
        "checks": {**totals, "reaction_mismatch_examples": reaction_examples},
        "errors": errors,
        "first_errors": first_errors,
        "counters": dict(merged.counters),
        "extra": extra,
        "marks_s": {k: round(v, 2) for k, v in marks.items()},
        "samples": samples,
        "per_s": {k: v for k, v in merged.per_s.items()},
        "failed": failed_reasons,
        "server_logs": server_logs,
    }
    if args.scenario == "fanout":
        result["steps"] = fanout_steps(params, merged, marks, args)
        result["ramp_stop"] = ramp_stop
        ok_steps = [s for s in result["steps"] if s["ok"]]
        result["max_sustained"] = ok_steps[-1] if ok_steps else None
    return result


def fanout_steps(
    params: dict[str, Any], merged: Merged, marks: dict[str, float], args: argparse.Namespace
) -> list[Any]:
    steps = params["steps"]
    start = marks.get("start", 0.0)
    end = marks.get("traffic_end", marks.get("stopped", start))
    lat = merged.samples.get("fanout")
    times = merged.sample_times.get("fanout")
    out = []
    for i, (offset, rate) in enumerate(steps):
        a = start + offset
        b = start + (steps[i + 1][0] if i + 1 < len(steps) else end - start)
        if a >= end:
            break
        b = min(b, end)
        # Judge the step by messages delivered while it ran, leaving out its first second (rate change).
        a_judge = a + 1.0 if b - a > 2 else a
        chosen = (
            [lat[j] for j in range(len(lat)) if a_judge <= times[j] < b]
            if lat is not None and times is not None
            else []
        )
        delivered_per_s = len(chosen) / (b - a_judge) if b > a_judge else 0.0
        expected = round(rate * args.members, 1)
        p = percentiles(chosen)
        out.append(
            {
                "rate": rate,
                "expected_delivered_per_s": expected,
                "delivered_per_s": round(delivered_per_s, 1),
                "fanout_ms": p,
                "ok": bool(chosen)
                and delivered_per_s >= 0.9 * expected
                and p.get("p99", 1e9) <= args.max_latency_ms,
            }
        )
    return out


def table(s: dict[str, Any], prof_rows: int = 25) -> str:
    lines = []
    head = f"{s['scenario']} on {s['server']} x{s['nodes']}" + (
        f" broker={s['broker']}" if s["broker"] else ""
    )
    if s.get("placement"):
        head += f" placement={s['placement']}"
    lines.append(
        f"== {head}: {s['connections']} connections, {s['workers']} generator processes, "
        f"{s['run_s']} s of traffic =="
    )
    lines.append(f"{'latency (ms)':<26}{'n':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>10}")
    for name, p in s["latency_ms"].items():
        if p.get("n"):
            lines.append(f"{name:<26}{p['n']:>9}{p['p50']:>9}{p['p95']:>9}{p['p99']:>9}{p['max']:>10}")
    t = s["throughput"]
    lines.append(
        f"chat sent {t['sent_per_s']}/s, delivered {t['delivered_per_s']}/s "
        f"(peak {t['peak_delivered_per_s']}/s), "
        f"stored {t['chat_messages_stored']}; reactions ok {t['reactions_sent_ok']}, "
        f"bursts received {t['bursts_received_per_s']}/s"
    )
    c = s["cpu_pct_during_run"]
    lines.append(
        f"CPU during traffic (100% = one core; 2 cores shared): server {c.get('server')}%, "
        f"generator {c.get('generator')}%, orchestrator {c.get('orchestrator')}% "
        f"(peak server {s['cpu_pct_peak']['server']}%, generator {s['cpu_pct_peak']['generator']}%); "
        f"other processes on the machine {s['cpu_pct_other_processes']}%"
    )
    for node, r in s["rss"].items():
        lines.append(
            f"RSS {node}: {fmt_kb(r['base_kb'])} before, {fmt_kb(r['ready_kb'])} connected, "
            f"{fmt_kb(r['end_kb'])} at the end"
        )
    if s["server_rss_kb_per_connection"] is not None:
        lines.append(
            f"server RSS per connection: {s['server_rss_kb_per_connection']} KiB "
            f"(generator workers: {fmt_kb(s['generator_rss_kb'])} in all, interpreters included)"
        )
    lines.append(f"set-up (connect + create + join everyone): {s['setup_s']} s")
    ch = s["checks"]
    lines.append(
        f"checks: {ch['viewers_checked']} viewers; lost {ch['lost']} ({ch['viewers_with_loss']} viewers), "
        f"duplicates {ch['duplicates']}; reaction totals wrong for {ch['reaction_mismatch_viewers']} "
        f"of {ch['reaction_viewers_checked']} ({ch['reaction_out_of_bounds_viewers']} outside "
        f"[answered ok, answered ok + unanswered])"
    )
    if s["errors"]:
        lines.append("errors: " + ", ".join(f"{k}={v}" for k, v in s["errors"].items()))
    if s["counters"]:
        lines.append("counters: " + ", ".join(f"{k}={v}" for k, v in s["counters"].items()))
    if s.get("extra"):
        lines.append("extra: " + ", ".join(f"{k}={v}" for k, v in s["extra"].items()))
    if "steps" in s and not s["params"].get("ramp"):
        # One rate: its delivery in one line (the ramp's step table would have one row).
        st = s["steps"][0] if s["steps"] else None
        if st is not None:
            f = st["fanout_ms"]
            lines.append(
                f"fan-out at {st['rate']:g} msgs/s sent: {st['delivered_per_s']} delivered/s of "
                f"{st['expected_delivered_per_s']} wanted, p50 {f.get('p50', '-')} ms, p99 "
                f"{f.get('p99', '-')} ms: {'kept up' if st['ok'] else 'FELL BEHIND'}"
            )
    elif "steps" in s:
        lines.append(f"{'ramp rate/s':<14}{'want/s':>10}{'got/s':>10}{'p50':>8}{'p99':>9}  ok")
        for st in s["steps"]:
            f = st["fanout_ms"]
            lines.append(
                f"{st['rate']:<14}{st['expected_delivered_per_s']:>10}{st['delivered_per_s']:>10}"
                f"{f.get('p50', '-'):>8}{f.get('p99', '-'):>9}  {'yes' if st['ok'] else 'NO'}"
            )
        m = s.get("max_sustained")
        if m:
            lines.append(
                f"max sustained: {m['rate']} msgs/s sent -> {m['delivered_per_s']} delivered/s "
                f"(p99 {m['fanout_ms'].get('p99')} ms)"
            )
    prof = s.get("profile")
    if prof:
        lines.append(
            f"server profile ({prof['samples']} samples): hottest functions, % of samples including callees"
        )
        for row in prof["inclusive"][:prof_rows]:
            lines.append(f"  {row['pct']:5.1f}%  {row['frame']}")
        lines.append("  self time:")
        for row in prof["self"][:10]:
            lines.append(f"  {row['pct']:5.1f}%  {row['frame']}")
    if s.get("cpu_pct_other_processes", 0) > 20:
        lines.append(
            f"WARNING: other processes used {s['cpu_pct_other_processes']}% CPU during the traffic "
            "(of 2 cores): these numbers are skewed; run again on a quiet machine"
        )
    lines.append("RESULT: " + ("FAILED: " + "; ".join(s["failed"]) if s["failed"] else "ok"))
    return "\n".join(lines)


def fmt_kb(kb: Any) -> str:
    return "?" if kb is None else f"{kb / 1024:.1f} MiB"


# The orchestrator's moments (marks_s), in the order they happen, as the plots name them.
MARK_LABELS = {
    "ready": "all joined",
    "start": "traffic starts",
    "traffic_end": "traffic ends",
    "stopped": "generators stopped",
    "done": "checks done",
}


def spread(
    centers: list[float], widths: list[float], lo: float = 0.0, hi: float = 1.0, pad: float = 0.0
) -> list[float]:
    """Centres for labels of the given widths, as near to ``centers`` as they can be
    without overlapping (at least ``pad`` apart), in the same order, and within
    [lo, hi] whenever they fit there together."""
    order = sorted(range(len(centers)), key=lambda i: centers[i])
    out = list(centers)
    edge = lo
    for i in order:  # push right past the previous one (and lo)
        out[i] = max(out[i], edge + widths[i] / 2)
        edge = out[i] + widths[i] / 2 + pad
    edge = hi
    for i in reversed(order):  # then back left under the next one (and hi)
        out[i] = min(out[i], edge - widths[i] / 2)
        edge = out[i] - widths[i] / 2 - pad
    return out


def ramp_steps(s: dict[str, Any]) -> list[dict[str, Any]]:
    """A fanout --ramp run's steps in seconds since the generator started: start, end,
    rate sent, delivered/s wanted, and whether the step kept up (None: not judged)."""
    params = s.get("params", {})
    if s.get("scenario") != "fanout" or not params.get("ramp"):
        return []
    marks = s["marks_s"]
    start = marks.get("start", 0.0)
    end = marks.get("traffic_end", marks.get("stopped", start))
    judged = s.get("steps", [])
    out = []
    steps = params["steps"]
    for i, (offset, rate) in enumerate(steps):
        a = start + offset
        if a >= end:
            break
        b = min(end, start + steps[i + 1][0]) if i + 1 < len(steps) else end
        ok = judged[i]["ok"] if i < len(judged) else None
        out.append({"start": a, "end": b, "rate": rate, "want": rate * params["members"], "ok": ok})
    return out


LEGEND = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, frameon=False)


def plot(s: dict[str, Any], merged: Merged, path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = figure(s, merged)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def figure(s: dict[str, Any], merged: Merged) -> Any:
    """The run's figure: latency CDFs, throughput over time (the run's moments labelled
    above it, ramp steps shaded with their rates), fan-out latency over time (fanout),
    CPU and RSS. Legends sit right of the plots, never over a curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    over_time = s["scenario"] == "fanout" and bool(merged.sample_times.get("fanout"))
    heights = [3.2, 3.0] + ([2.6] if over_time else []) + [2.6]
    fig, axes = plt.subplots(
        len(heights), 1, figsize=(13, sum(heights) + 2.2), gridspec_kw={"height_ratios": heights}
    )
    fig.subplots_adjust(left=0.07, right=0.74, top=1 - 1.0 / (sum(heights) + 2.2), bottom=0.05, hspace=0.55)
    fig.suptitle(_title(s), fontsize=12)
    ax_cdf, ax_rate = axes[0], axes[1]
    ax_lat = axes[2] if over_time else None
    ax_cpu = axes[-1]
    steps = ramp_steps(s)
    end_s = max([*s["marks_s"].values(), *(len(v) for v in merged.per_s.values()), 1.0])

    _latency_cdf(ax_cdf, s, merged)
    _throughput(ax_rate, s, merged, steps, end_s)
    if ax_lat is not None:
        _fanout_over_time(ax_lat, s, merged, steps, end_s)
    _cpu(ax_cpu, s, steps, end_s)
    _label_marks(fig, ax_rate, s["marks_s"])
    return fig


def _title(s: dict[str, Any]) -> str:
    title = (
        f"{s['scenario']} — {s['server']} ×{s['nodes']}"
        + (f" ({s['broker']} broker)" if s["broker"] else "")
        + f", {s['connections']} connections"
    )
    p = s.get("params", {})
    if s["scenario"] == "fanout":
        if p.get("ramp"):
            rate = f"ramp from {p['start_rate']:g} msgs/s, ×{p['factor']:g} every {p['step_duration']:g} s"
        else:
            rate = f"{p.get('rate'):g} msgs/s"
        title += f": {p.get('parties')} parties × {p.get('members')} members, {rate}"
    return title


def _latency_cdf(ax: Any, s: dict[str, Any], merged: Merged) -> None:
    for name in s["latency_ms"]:
        samples = merged.samples.get(name)
        if samples is None or len(samples) < 2:
            continue
        ordered = sorted(samples)
        n = len(ordered)
        step = max(1, n // 2000)
        xs = [max(ordered[i], 0.01) for i in range(0, n, step)] + [max(ordered[-1], 0.01)]
        ys = [i / n for i in range(0, n, step)] + [1.0]
        p = s["latency_ms"][name]
        ax.plot(xs, ys, label=f"{name}: p50 {p.get('p50')}, p99 {p.get('p99')} ms")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("latency, ms (log scale)")
    ax.set_ylabel("fraction ≤ x")
    ax.set_ylim(0, 1.02)
    ax.set_title("latency distributions (CDF)", loc="left", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**LEGEND)


def _shade_steps(ax: Any, steps: list[dict[str, Any]], labels: bool) -> None:
    from matplotlib.transforms import blended_transform_factory

    colour = {True: "tab:green", False: "tab:red", None: "0.6"}
    for i, st in enumerate(steps):
        ax.axvspan(st["start"], st["end"], color=colour[st["ok"]], alpha=0.07 if i % 2 else 0.12, linewidth=0)
        ax.axvline(st["start"], color="0.6", linewidth=0.6, zorder=1)
    if not labels or not steps:
        return
    # Each step's rate at the top of its band; every k-th when they would not fit.
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    lo, hi = ax.get_xlim()
    widths = [0.012 * len(f"{st['rate']:g}/s") for st in steps]  # ~ axes fraction per character
    room = (steps[-1]["end"] - steps[0]["start"]) / (hi - lo)
    k = max(1, math.ceil(sum(w + 0.006 for w in widths) / max(room, 1e-6)))
    for i, st in enumerate(steps):
        if i % k == 0:
            ax.text(
                (st["start"] + st["end"]) / 2,
                0.97,
                f"{st['rate']:g}/s",
                transform=trans,
                ha="center",
                va="top",
                fontsize=7,
                color="0.25",
            )


def _throughput(
    ax: Any, s: dict[str, Any], merged: Merged, steps: list[dict[str, Any]], end_s: float
) -> None:
    from matplotlib.patches import Patch

    for key, label in (
        ("delivered", "chat delivered/s"),
        ("sent", "chat sent/s"),
        ("reactions", "reactions sent/s"),
        ("bursts", "bursts received/s"),
    ):
        series = merged.per_s.get(key)
        if series and any(series):
            # The count of second i is plotted at its middle.
            ax.plot([i + 0.5 for i in range(len(series))], series, label=label)
    ax.set_xlim(0, end_s)
    handles, labels = ax.get_legend_handles_labels()
    if steps:
        xs = [st["start"] for st in steps] + [steps[-1]["end"]]
        ys = [st["want"] for st in steps] + [steps[-1]["want"]]
        (line,) = ax.step(xs, ys, where="post", linestyle="--", color="0.3", linewidth=1)
        handles.append(line)
        labels.append("delivered/s wanted (rate × members)")
        for ok, colour, text in ((True, "tab:green", "kept up"), (False, "tab:red", "fell behind")):
            if any(st["ok"] is ok for st in steps):
                handles.append(Patch(color=colour, alpha=0.25))
                labels.append(f"ramp step {text}")
        _shade_steps(ax, steps, labels=True)
    # Headroom above the curves for the steps' rates, written at the top.
    top = max([1, *(max(v, default=0) for v in merged.per_s.values()), *(st["want"] for st in steps)])
    ax.set_ylim(0, top * (1.22 if steps else 1.05))
    _mark_lines(ax, s["marks_s"])
    ax.set_xlabel("s since the generator started")
    ax.set_ylabel("per second")
    ax.set_title(
        "throughput over time" + (" (ramp steps: msgs/s sent)" if steps else ""),
        loc="left",
        fontsize=10,
        pad=30,
    )
    ax.grid(True, alpha=0.3)
    if handles:
        ax.legend(handles, labels, **LEGEND)


def _fanout_over_time(
    ax: Any, s: dict[str, Any], merged: Merged, steps: list[dict[str, Any]], end_s: float
) -> None:
    buckets: dict[int, list[float]] = {}
    for t, v in zip(merged.sample_times["fanout"], merged.samples["fanout"], strict=False):
        buckets.setdefault(int(t), []).append(v)
    seconds = sorted(buckets)
    for q, style in ((0.5, "-"), (0.99, "--")):
        ys = []
        for sec in seconds:
            ordered = sorted(buckets[sec])
            ys.append(max(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 0.01))
        ax.plot([sec + 0.5 for sec in seconds], ys, style, color="tab:red", label=f"fan-out p{int(q * 100)}")
    limit = s.get("params", {}).get("max_latency_ms")
    if steps and limit:
        ax.axhline(limit, color="black", linewidth=0.8, linestyle=":", label=f"ramp limit {limit:g} ms")
    ax.set_xlim(0, end_s)
    _shade_steps(ax, steps, labels=False)
    _mark_lines(ax, s["marks_s"])
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel("s since the generator started")
    ax.set_ylabel("ms (log scale)")
    ax.set_title("fan-out latency over time, per second", loc="left", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(**LEGEND)


def _cpu(ax: Any, s: dict[str, Any], steps: list[dict[str, Any]], end_s: float) -> None:
    rows = s["samples"]
    handles: list[Any] = []
    if rows:
        ts = [r["t"] for r in rows]
        for key, label in (
            ("cpu_server", "server(s) CPU"),
            ("cpu_generator", "generator workers CPU"),
            ("cpu_orchestrator", "orchestrator CPU"),
            ("cpu_machine", "whole machine CPU"),
        ):
            handles += ax.plot(ts, [r.get(key, 0) for r in rows], label=label)
        rss = ax.twinx()
        handles += rss.plot(
            ts,
            [r["rss_kb_server"] / 1024 for r in rows],
            color="black",
            linestyle="--",
            label="server RSS (right)",
        )
        rss.set_ylabel("server RSS, MiB")
    ax.set_xlim(0, end_s)
    ax.set_ylim(bottom=0)
    _shade_steps(ax, steps, labels=False)
    _mark_lines(ax, s["marks_s"])
    ax.set_xlabel("s since the generator started")
    ax.set_ylabel("CPU % (100 = one core)")
    ax.set_title("CPU split (generator and servers share the machine)", loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)
    if handles:
        ax.legend(handles, [h.get_label() for h in handles], **{**LEGEND, "bbox_to_anchor": (1.08, 1.0)})


def _plain_log_ticks(axis: Any) -> None:
    """A log axis ticked 1, 2, 5, 10, 20, 50... written as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _mark_lines(ax: Any, marks: dict[str, float]) -> None:
    for value in marks.values():
        ax.axvline(value, color="0.35", linestyle=":", linewidth=0.9, zorder=1)


def _label_marks(fig: Any, ax: Any, marks: dict[str, float]) -> None:
    """The run's moments named in a row above ``ax``, moved apart where they would
    overlap (the end of a run crowds four of them into a second or two), each joined
    to its line by a leader."""
    names = sorted(marks, key=lambda k: marks[k])
    if not names:
        return
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    to_axes = ax.transAxes.inverted()
    xs = [to_axes.transform(ax.transData.transform((marks[k], 0)))[0] for k in names]
    texts = [
        ax.text(
            x,
            1.0,
            MARK_LABELS.get(k, k),
            transform=ax.transAxes,
            fontsize=8,
            ha="center",
            va="bottom",
            color="0.2",
            clip_on=False,
        )
        for x, k in zip(xs, names, strict=True)
    ]
    widths = [t.get_window_extent(renderer).width / box.width for t in texts]
    placed = spread(xs, widths, 0.0, 1.0, pad=0.008)
    for text, x, c in zip(texts, xs, placed, strict=True):
        text.set_position((c, 1.07))
        ax.annotate(
            "",
            xy=(x, 1.0),
            xytext=(c, 1.07),
            xycoords="axes fraction",
            textcoords="axes fraction",
            arrowprops={"arrowstyle": "-", "color": "0.45", "linewidth": 0.7, "shrinkA": 0, "shrinkB": 0},
            annotation_clip=False,
        )


def profile_summary(path: Any, top: int = 40) -> dict[str, Any] | None:
    """Collapsed py-spy stacks -> the functions with the most samples, inclusive and self."""
    from collections import Counter

    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for f in set(frames):
            if f.split(" (", 1)[0] not in _ROOTS:
                inclusive[f] += n
        own[frames[-1]] += n
    if not total:
        return None

    def rows(c: Counter[str]) -> list[dict[str, Any]]:
        return [{"frame": f, "pct": round(100 * n / total, 1)} for f, n in c.most_common(top)]

    return {"samples": total, "inclusive": rows(inclusive), "self": rows(own), "file": str(path)}


# Frames every stack passes through: they say nothing about where the time goes.
_ROOTS = {
    "<module>",
    "_run_module_as_main",
    "_run_code",
    "main",
    "run_app",
    "BaseEventLoop.run_until_complete",
    "BaseEventLoop.run_forever",
    "BaseEventLoop._run_once",
    "Thread._bootstrap",
    "Thread._bootstrap_inner",
    "Thread.run",
    "run",
    "Runner.run",
    "Handle._run",
}


def _short(frame: str) -> str:
    # "func (/abs/path/site-packages/pkg/mod.py:123)" -> "func (pkg/mod.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where.rsplit(':', 1)[0]})"
