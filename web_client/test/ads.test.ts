/**
 * Ads and interstitials, the per-member timeline offset, and the live edge delay: the sync
 * engine against a fake player and party, on fake timers (deterministic).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JOIN_LOOKAHEAD_S } from "../src/core/correction";
import { EDGE_WINDOW_MS, STATUS_INTERVAL_MS, SyncEngine, TICK_MS } from "../src/core/sync";
import { FakeParty, FakePlayer, playbackState } from "./fakes";

const NOW = 1_700_000_000_000;
let engine: SyncEngine | null = null;

function last(party: FakeParty) {
  const calls = party.reportStatus.mock.calls;
  return calls[calls.length - 1];
}

function run(party: FakeParty, player: FakePlayer, offset?: number): SyncEngine {
  engine = new SyncEngine(party, player, offset !== undefined ? { timelineOffset: offset } : {});
  engine.start();
  return engine;
}

/** A player with an ad flag (as an adapter over an ad SDK has) and a live edge. */
class AdPlayer extends FakePlayer {
  ad = false;
  /** How far behind wall-clock time its live edge is (s), or null: unknown. */
  edgeLag: number | null = null;
  inAd(): boolean { return this.ad; }
  liveEdge(): number | null { return this.edgeLag === null ? null : Date.now() / 1000 - this.edgeLag; }
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
});

afterEach(() => {
  engine?.stop();
  engine = null;
  vi.useRealTimers();
});

describe("an ad", () => {
  it("suspends sync: no corrections, no commands, reported at once; then rejoins in step", async () => {
    const party = new FakeParty(playbackState({ status: "playing", position: 10, at: NOW }));
    const player = new AdPlayer(10, true);
    run(party, player);
    vi.advanceTimersByTime(1_000);
    const seeksBefore = player.seeks.length;
    // The ad begins: the content is paused (a client-side ad plays over it).
    player.ad = true;
    player.userPause();
    vi.advanceTimersByTime(TICK_MS);
    const adReport = last(party);
    expect(adReport[3]).toEqual({ ad: true });
    expect(engine!.stats.inAd).toBe(true);
    // 20 s of ad: the content stays where it was; nothing is corrected or forwarded.
    vi.advanceTimersByTime(20_000);
    expect(player.paused()).toBe(true);
    expect(player.seeks.length).toBe(seeksBefore);
    expect(party.control).not.toHaveBeenCalled();
    for (const call of party.reportStatus.mock.calls.slice(-3)) expect(call[3]).toEqual({ ad: true });
    // The ad ends: the player is held where the party will be and started in step.
    player.ad = false;
    vi.advanceTimersByTime(TICK_MS);
    expect(last(party)[3]).toEqual({ ad: false });
    vi.advanceTimersByTime(JOIN_LOOKAHEAD_S * 1000 + 500);
    expect(player.paused()).toBe(false);
    expect(Math.abs(player.position() - party.expectedPosition())).toBeLessThan(0.08);
    vi.advanceTimersByTime(2_000);
    expect(Math.abs(player.position() - party.expectedPosition())).toBeLessThan(0.02);
    expect(party.control).not.toHaveBeenCalled();
    // Once the party heard it, `ad` is said no more.
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS);
    expect(last(party)[3]).toEqual({});
  });

  it("can be told by the app (setInAd) and defers states until it ends", () => {
    const party = new FakeParty(playbackState({ status: "playing", position: 0, at: NOW }));
    const player = new AdPlayer(0, true);
    const sync = run(party, player);
    vi.advanceTimersByTime(500);
    sync.setInAd(true);
    player.userPause();
    // A pause of the party's during the ad is applied when the ad ends, not before.
    party.playback = playbackState({ seq: 2, status: "paused", position: 42, at: Date.now() });
    sync.apply();
    vi.advanceTimersByTime(1_000);
    expect(player.seeks).not.toContain(42);
    sync.setInAd(false);
    vi.advanceTimersByTime(200);
    expect(player.paused()).toBe(true);
    expect(player.position()).toBeCloseTo(42, 2);
  });
});

describe("the timeline offset", () => {
  it("maps party positions to player time and back", () => {
    // This member's stream carries 5 s more pre-roll: its player time is the party's + 5.
    const party = new FakeParty(playbackState({ status: "paused", position: 30, at: NOW }));
    const player = new AdPlayer(0, false);
    const sync = run(party, player, 5);
    vi.advanceTimersByTime(200);
    expect(player.position()).toBeCloseTo(35, 3);
    expect(sync.player.position()).toBeCloseTo(30, 3);
    // A user's seek on its player goes to the party in party time.
    party.control.mockResolvedValue({});
    player.userSeek(65);
    vi.advanceTimersByTime(400);
    expect(party.control).toHaveBeenCalledWith("seek", { position: 60 });
    // The offset changed (the pre-roll became known later): the player moves with it.
    sync.setTimelineOffset(3);
    vi.advanceTimersByTime(6_000);
    expect(player.position()).toBeCloseTo(party.playback.position + 3, 2);
  });
});

describe("live media", () => {
  it("reports the largest edge delay of the last window, and a change at once", () => {
    const programNow = () => Date.now() / 1000;
    const party = new FakeParty(playbackState({
      status: "playing", position: programNow() - 20, at: NOW,
      media: { url: "https://cdn.example/live.m3u8", kind: "live" },
    }));
    const player = new AdPlayer(programNow() - 20, true);
    player.edgeLag = 6;
    run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    const first = party.reportStatus.mock.calls.find((call) => call[3]?.edgeDelay !== undefined)!;
    expect(first[3]!.edgeDelay).toBeCloseTo(6, 5);
    // The edge moves in steps of a segment: the worst moment in the window counts.
    vi.advanceTimersByTime(1_000);
    player.edgeLag = 7.8; // just before the next segment
    vi.advanceTimersByTime(TICK_MS);
    player.edgeLag = 5.8; // the segment is in
    vi.advanceTimersByTime(STATUS_INTERVAL_MS);
    expect(last(party)[3]!.edgeDelay).toBeCloseTo(7.8, 5);
    // A player that falls further behind says so at once, not at the next 2 s report.
    const calls = party.reportStatus.mock.calls.length;
    player.edgeLag = 12;
    vi.advanceTimersByTime(TICK_MS);
    expect(party.reportStatus.mock.calls.length).toBe(calls + 1);
    expect(last(party)[3]!.edgeDelay).toBeCloseTo(12, 5);
    // After the window, only what was seen within it.
    player.edgeLag = 4;
    vi.advanceTimersByTime(EDGE_WINDOW_MS + STATUS_INTERVAL_MS);
    expect(engine!.stats.edgeDelay).toBeCloseTo(4, 5);
  });
});
