"""Sync as real viewers have it: four members, each on its own network path.

The host is on the server's doorstep; three guests reach it through a delaying proxy
each (one-way 30 ± 5, 80 ± 10, 150 ± 20 ms, per direction, seeded jitter) and join
while the party plays. Then eight commands are made on members' own <video> elements,
as their controls would: pause, seek back, play, seek +15, rate 1.5, seek -10, rate 1.0,
pause, each by the next member in turn.

What is measured is what the viewers see, independently of the SDK: every page records
its video's position, paused flag and rate every 20 ms against the machine's wall clock
(which the pages share), and the positions are compared at the same wall-clock instants.
Every command is checked for its effect at every page (the party's state and every
video), the control requests each page makes are logged (anything beyond the one command
made there is an echo), and the host logs every playback state the party goes through.

The distribution is written to test-artifacts/sync-network.json and printed; the
assertions are the issue's targets with a margin for a busy 2-core machine (see
MARGINS), and the counts that must be exact (lost, echoed) are exact.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
from urllib.parse import urlsplit

import pytest
from browser_support import ARTIFACTS, create_party
from delay_proxy import Path, delayed

pytestmark = pytest.mark.browser

PATHS = {
    "Host": None,
    "Guest30": Path.symmetric(30, 5),
    "Guest80": Path.symmetric(80, 10),
    "Guest150": Path.symmetric(150, 20),
}
# (label, script on the actor's page: returns the seek target, if any)
COMMANDS = [
    ("pause", "v.pause()"),
    ("seek back", "v.currentTime = v.currentTime - 8; return v.currentTime"),
    ("play", "v.play()"),
    ("seek +15", "v.currentTime = v.currentTime + 15; return v.currentTime"),
    ("rate 1.5", "v.playbackRate = 1.5"),
    ("seek -10", "v.currentTime = v.currentTime - 10; return v.currentTime"),
    ("rate 1.0", "v.playbackRate = 1.0"),
    ("pause", "v.pause()"),
]
COMMAND_GAP_S = 3.6
# Pair errors are sampled at these instants after each command (as in test_sync.py)...
SAMPLE_OFFSETS_MS = (2_000, 2_500, 3_000)
# ...and, for the steady-state distribution, every 100 ms from 1.5 s to the next command.
STEADY_FROM_MS, STEADY_STEP_MS = 1_500, 100
IN_SYNC_MS = 40  # a joiner is in sync once within this of the host...
IN_SYNC_HOLD_MS = 1_000  # ...for this long

# The targets; the assertions allow MARGINS on top (measured distribution in the
# report and docs/sync.md): a 2-core machine running four decoding pages, the server and
# the proxies now and then delays a page's timer by tens of ms.
TARGETS = {"p95_ms": 40, "max_ms": 80, "join_ms": {"Guest30": 1_000, "Guest80": 1_500}}
MARGINS = {"p95_ms": 20, "max_ms": 80, "join_ms": 700}

RECORDER = """
window.__tl = [];
addEventListener("DOMContentLoaded", () => {
  const v = document.querySelector("video");
  if (!v) return;
  const wall = () => performance.timeOrigin + performance.now();
  setInterval(() => window.__tl.push([wall(), v.currentTime, v.paused ? 1 : 0, v.playbackRate]), 20);
});
"""

HOOKS = """() => {
  const d = window.socialsyncDemo;
  const wall = () => performance.timeOrigin + performance.now();
  window.__controls = [];
  const control = d.party.control.bind(d.party);
  d.party.control = (action, fields = {}) => {
    window.__controls.push([wall(), action, JSON.stringify(fields)]);
    return control(action, fields);
  };
  window.__states = [[wall(), d.party.playback]];
  d.party.on("playback", (s) => window.__states.push([wall(), s]));
  const mark = performance.getEntriesByName("socialsync:connect")[0];
  return {user: d.party.you.id, connect: mark ? performance.timeOrigin + mark.startTime : null,
          nav: performance.timeOrigin, offset: d.client.clock.offset};
}"""


class Page:
    def __init__(self, name: str, context, page) -> None:
        self.name = name
        self.context = context
        self.page = page
        self.info: dict = {}
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def wall(self) -> float:
        return await self.page.evaluate("performance.timeOrigin + performance.now()")


async def open_member(browser, url: str, party_id: str, name: str) -> Page:
    context = await browser.new_context(viewport={"width": 1000, "height": 700})
    await context.add_init_script(RECORDER)
    page = Page(name, context, await context.new_page())
    await page.page.goto(f"{url}/?party={party_id}&name={name}")
    await page.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=20_000)
    page.info = await page.page.evaluate(HOOKS)
    return page


# ------------------------------------------------------------------------------ analysis
def position_at(timeline: list[list[float]], t: float) -> tuple[float, bool, float] | None:
    """The video's (position, paused, rate) at wall time ``t``, from its 20 ms records."""
    lo, hi = 0, len(timeline) - 1
    if hi < 1 or t < timeline[0][0] or t > timeline[-1][0]:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if timeline[mid][0] <= t:
            lo = mid
        else:
            hi = mid
    a, b = timeline[lo], timeline[hi]
    if a[2]:  # paused at a: it stays there until it is seen moving
        return a[1], True, a[3]
    # Playing: carry the position on from the sample before, at its rate (exact between
    # samples unless something happened in between; then the next sample shows it).
    if b[1] < a[1] or b[1] - a[1] > (b[0] - a[0]) / 1000 * a[3] + 0.1:
        return b[1] - (b[0] - t) / 1000 * b[3], False, b[3]  # a seek: take the later side
    return a[1] + (t - a[0]) / 1000 * a[3], False, a[3]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(errors_ms: list[float]) -> dict:
    return {
        "n": len(errors_ms),
        "p50_ms": round(statistics.median(errors_ms), 1),
        "p95_ms": round(percentile(errors_ms, 0.95), 1),
        "max_ms": round(max(errors_ms), 1),
    }


def join_to_in_sync(host_tl, guest_tl, since: float) -> float | None:
    """Wall ms from ``since`` to the first moment from which the guest stays within
    IN_SYNC_MS of the host, playing, for IN_SYNC_HOLD_MS."""
    t = since
    end = guest_tl[-1][0] - IN_SYNC_HOLD_MS
    while t < end:
        ok = True
        for k in range(0, IN_SYNC_HOLD_MS + 1, 50):
            g, h = position_at(guest_tl, t + k), position_at(host_tl, t + k)
            if g is None or h is None or g[1] or abs(g[0] - h[0]) * 1000 > IN_SYNC_MS:
                ok = False
                break
        if ok:
            return t - since
        t += 20
    return None


def expected_effect(label: str, state: dict, target: float | None, rate_before: float) -> str | None:
    """What is wrong with the party's state after the command, or None."""
    if label == "pause" and state["status"] != "paused":
        return f"not paused: {state['status']}"
    if label == "play" and state["status"] != "playing":
        return f"not playing: {state['status']}"
    if label.startswith("seek") and (target is None or abs(state["position"] - target) > 0.05):
        return f"at {state['position']}, not the seek's target {target}"
    if label.startswith("rate") and abs(state["rate"] - float(label.split()[1])) > 1e-9:
        return f"rate {state['rate']}"
    return None


async def test_four_members_on_real_network_paths(web_server, browser):
    server_port = urlsplit(web_server.url).port
    assert server_port
    party_id = await create_party(web_server)
    paths = list(PATHS.items())
    with contextlib_proxies(server_port, paths) as urls:
        # The host alone, playing; the guests join while it plays.
        host = await open_member(browser, urls["Host"], party_id, "Host")
        await host.page.wait_for_function("() => window.socialsyncDemo.video.readyState >= 2", timeout=10_000)
        started = await host.page.evaluate(
            "() => { window.socialsyncDemo.video.play(); return performance.timeOrigin + performance.now(); }"
        )
        await asyncio.sleep(2.0)
        members = [host]
        for name, _ in paths[1:]:
            members.append(await open_member(browser, urls[name], party_id, name))
            await asyncio.sleep(2.5)
        joins_done = await host.wall()

        commands = []
        for i, (label, script) in enumerate(COMMANDS):
            actor = members[i % len(members)]
            seq_before = await actor.page.evaluate("window.socialsyncDemo.party.playback.seq")
            rate_before = await actor.page.evaluate("window.socialsyncDemo.party.playback.rate")
            t, target = await actor.page.evaluate(
                "() => { const v = window.socialsyncDemo.video;"
                " const t = performance.timeOrigin + performance.now();"
                f" const r = (() => {{ {script}; }})(); return [t, r ?? null]; }}"
            )
            commands.append(
                {
                    "label": label,
                    "by": actor.name,
                    "user": actor.info["user"],
                    "t": t,
                    "target": target,
                    "seq_before": seq_before,
                    "rate_before": rate_before,
                }
            )
            await asyncio.sleep(COMMAND_GAP_S)

        data = {}
        for m in members:
            data[m.name] = await m.page.evaluate(
                "({tl: window.__tl, controls: window.__controls, states: window.__states,"
                " seq: window.socialsyncDemo.party.playback.seq,"
                " stats: {...window.socialsyncDemo.engine.stats}})"
            )
        for m in members:
            await m.context.close()

    report = analyse(members, data, commands, joins_done, started)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sync-network.json").write_text(json.dumps(report, indent=1))
    timelines = {m.name: data[m.name]["tl"] for m in members}
    (ARTIFACTS / "sync-network-timelines.json").write_text(json.dumps(timelines))
    print("\nsync on network paths:", json.dumps(report["summary"], indent=1))

    s = report["summary"]
    assert s["lost_commands"] == [], s["lost_commands"]
    assert s["echoed_commands"] == [], s["echoed_commands"]
    assert s["ineffective"] == [], s["ineffective"]
    assert max(s["waiting_states_per_command"]) <= 1, s["waiting_states_per_command"]
    assert s["states_during_joins"] == 0 and s["host_paused_during_joins_ms"] == 0, s
    pairs = s["pair_error"]
    assert pairs["p95_ms"] <= TARGETS["p95_ms"] + MARGINS["p95_ms"], pairs
    assert pairs["max_ms"] <= TARGETS["max_ms"] + MARGINS["max_ms"], pairs
    for name, limit in TARGETS["join_ms"].items():
        took = s["join_to_in_sync_ms"][name]["from_connect"]
        assert took is not None and took <= limit + MARGINS["join_ms"], (name, took)
    for m in members:
        assert m.errors == [], (m.name, m.errors)


class contextlib_proxies:
    """One delaying proxy per member with a path; the member's URL (the server's own without)."""

    def __init__(self, server_port: int, paths) -> None:
        self.server_port = server_port
        self.paths = paths
        self._stack: list = []

    def __enter__(self) -> dict[str, str]:
        urls = {}
        for seed, (name, path) in enumerate(self.paths):
            if path is None:
                urls[name] = f"http://127.0.0.1:{self.server_port}"
                continue
            cm = delayed(self.server_port, path, seed=seed)
            proxy = cm.__enter__()
            self._stack.append(cm)
            urls[name] = f"http://127.0.0.1:{proxy.port}"
        return urls

    def __exit__(self, *exc) -> None:
        for cm in reversed(self._stack):
            cm.__exit__(None, None, None)


def analyse(members, data, commands, joins_done, started) -> dict:
    names = [m.name for m in members]
    tls = {n: data[n]["tl"] for n in names}
    host_states = data["Host"]["states"]

    # Pair errors at the same wall-clock instants.
    sampled, steady, per_command = [], [], []
    ends = [c["t"] for c in commands[1:]] + [commands[-1]["t"] + COMMAND_GAP_S * 1000]
    for c, end in zip(commands, ends, strict=True):
        errs = []
        for off in SAMPLE_OFFSETS_MS:
            at = [position_at(tls[n], c["t"] + off) for n in names]
            if any(p is None for p in at):
                continue
            errs += [abs(a[0] - b[0]) * 1000 for a, b in itertools.combinations(at, 2)]
        sampled += errs
        t = c["t"] + STEADY_FROM_MS
        while t < end - 50:
            at = [position_at(tls[n], t) for n in names]
            if all(p is not None for p in at):
                steady += [abs(a[0] - b[0]) * 1000 for a, b in itertools.combinations(at, 2)]
            t += STEADY_STEP_MS
        per_command.append({"label": c["label"], "by": c["by"], **(summary(errs) if errs else {})})

    # Every command: its state, its effect at every page, the states and waits it caused.
    lost, ineffective, waiting_counts, state_counts = [], [], [], []
    for c, end in zip(commands, ends, strict=True):
        mine = [s for t, s in host_states if s["seq"] > c["seq_before"] and s["by"] == c["user"]]
        during = [s for t, s in host_states if c["t"] <= t < end]
        state_counts.append(len(during))
        waiting_counts.append(sum(1 for s in during if s["status"] == "waiting"))
        if not mine:
            lost.append(f"{c['label']} by {c['by']}: no state")
            continue
        problem = expected_effect(c["label"], mine[0], c["target"], c["rate_before"])
        if problem:
            lost.append(f"{c['label']} by {c['by']}: {problem}")
            continue
        final = during[-1] if during else mine[0]
        check_at = end - 200
        for n in names:
            p = position_at(tls[n], check_at)
            if p is None:
                ineffective.append(f"{c['label']}: no record of {n}")
                continue
            pos, paused, rate = p
            if paused != (final["status"] != "playing"):
                ineffective.append(f"{c['label']}: {n} paused={paused} while the party is {final['status']}")
            if not paused and abs(rate - final["rate"]) > final["rate"] * 0.11:
                ineffective.append(f"{c['label']}: {n} plays at {rate}, the party at {final['rate']}")
            host = position_at(tls["Host"], check_at)
            if host is not None and abs(pos - host[0]) > 0.25:
                ineffective.append(f"{c['label']}: {n} at {pos:.3f}, the host at {host[0]:.3f}")

    # Echoes: a control request from a page beyond the one command made there, and any
    # state made by a member who made no command then.
    echoed = []
    for n in names:
        made = [c for c in commands if c["by"] == n]
        # The host's first play, before the joins, is a command made there too.
        sent = [
            x for x in data[n]["controls"] if not (n == "Host" and x[1] == "play" and x[0] < started + 1000)
        ]
        if len(sent) != len(made):
            echoed.append({"page": n, "made": [c["label"] for c in made], "sent": sent})
    users = {c["user"] for c in commands}
    for _t, s in host_states[1:]:
        if s["by"] is not None and s["by"] not in users:
            echoed.append({"state_by_a_member_who_made_no_command": s})
    by_command = [
        sum(1 for t, s in host_states if s["by"] == c["user"] and c["t"] <= t < e)
        for c, e in zip(commands, ends, strict=True)
    ]
    for c, k in zip(commands, by_command, strict=True):
        if k > 1:
            echoed.append({"command": c["label"], "by": c["by"], "states_by_its_member": k})

    # Joins: from connect (and from navigation) to in sync; and nobody paused meanwhile.
    first_command = commands[0]["t"]
    joins = {}
    for m in members[1:]:
        since = m.info["connect"]
        took = join_to_in_sync(tls["Host"], tls[m.name], since)
        joins[m.name] = {
            "from_connect": None if took is None else round(took),
            "from_navigation": None if took is None else round(took + since - m.info["nav"]),
        }
    host_join_phase = [r for r in tls["Host"] if members[1].info["nav"] <= r[0] < first_command]
    paused_ms = sum(20 for r in host_join_phase if r[2])
    states_during_joins = sum(1 for t, s in host_states if members[1].info["nav"] <= t < first_command)

    return {
        "summary": {
            "paths": {n: (p.label if p else "direct") for n, p in PATHS.items()},
            "pair_error": summary(sampled),
            "pair_error_steady": summary(steady),
            "lost_commands": lost,
            "echoed_commands": echoed,
            "ineffective": ineffective,
            "states_per_command": state_counts,
            "waiting_states_per_command": waiting_counts,
            "join_to_in_sync_ms": joins,
            "states_during_joins": states_during_joins,
            "host_paused_during_joins_ms": paused_ms,
            "clock_offsets_ms": {m.name: round(m.info["offset"], 1) for m in members},
            "engines": {n: data[n]["stats"] for n in names},
        },
        "per_command": per_command,
        "commands": commands,
        "states_seen_by_host": [s for _, s in host_states],
        "controls_sent": {n: data[n]["controls"] for n in names},
        "joins_done_at": joins_done,
    }


ASYMMETRIC = Path(up_ms=20, down_ms=120, jitter_ms=5)


async def test_an_asymmetric_route_is_off_by_half_its_asymmetry(web_server, browser):
    """The limit of any two-way clock estimate, measured: a member whose path is 20 ms up
    and 120 ms down believes the server's clock (120 - 20) / 2 = 50 ms behind where it is,
    so it plays 50 ms behind the others, and nothing in the exchange can tell (docs/sync.md)."""
    server_port = urlsplit(web_server.url).port
    assert server_port
    party_id = await create_party(web_server)
    with contextlib_proxies(server_port, [("Host", None), ("Asym", ASYMMETRIC)]) as urls:
        host = await open_member(browser, urls["Host"], party_id, "Host")
        await host.page.wait_for_function("() => window.socialsyncDemo.video.readyState >= 2", timeout=10_000)
        await host.page.evaluate("window.socialsyncDemo.video.play()")
        guest = await open_member(browser, urls["Asym"], party_id, "Asym")
        await asyncio.sleep(4.0)
        tls = {m.name: await m.page.evaluate("window.__tl") for m in (host, guest)}
        guest_rtt = await guest.page.evaluate("window.socialsyncDemo.client.clock.rtt")
        for m in (host, guest):
            await m.context.close()
    end = tls["Asym"][-1][0]
    errors = []
    for k in range(20):
        t = end - 2_000 + k * 100
        g, h = position_at(tls["Asym"], t), position_at(tls["Host"], t)
        if g and h and not g[1] and not h[1]:
            errors.append((g[0] - h[0]) * 1000)
    predicted = -(ASYMMETRIC.down_ms - ASYMMETRIC.up_ms) / 2
    measured = statistics.median(errors)
    result = {
        "path": ASYMMETRIC.label,
        "rtt_ms": guest_rtt,
        "predicted_ms": predicted,
        "measured_median_ms": round(measured, 1),
        "samples_ms": [round(e, 1) for e in errors],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sync-asymmetric.json").write_text(json.dumps(result, indent=1))
    print("\nasymmetric route:", result)
    # Within the dead band of the rate correction and a frame of jitter of the estimate.
    assert abs(measured - predicted) <= 25, result
