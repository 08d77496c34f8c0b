/**
 * The sync engine driving a fake player against a fake party, on fake timers: what it
 * asks of the player, what it tells the party, and what it learns. Deterministic: the
 * clocks move only when a test advances them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RATE_STOP_S, SEEK_THRESHOLD_S } from "../src/core/correction";
import { SocialSyncError } from "../src/core/errors";
import { STATUS_INTERVAL_MS, SyncEngine, TICK_MS, USER_SEEK_DEBOUNCE_MS } from "../src/core/sync";
import { FakeParty, FakePlayer, playbackState } from "./fakes";

const NOW = 1_700_000_000_000;
let engine: SyncEngine | null = null;

function run(party: FakeParty, player: FakePlayer): SyncEngine {
  engine = new SyncEngine(party, player);
  engine.start();
  return engine;
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
});

afterEach(() => {
  engine?.stop();
  engine = null;
  vi.useRealTimers();
});

describe("drift correction while playing", () => {
  it("speeds a player 200 ms behind up by at most 10 %, until it is within 10 ms, without seeking", () => {
    const party = new FakeParty(playbackState({ position: 10, at: NOW - 1000 }));
    const player = new FakePlayer(10.8, true);
    const sync = run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    expect(sync.stats.drift).toBeCloseTo(-0.2, 9);
    expect(player.rate()).toBeCloseTo(1.1, 9);
    vi.advanceTimersByTime(1100); // 10 ms closed per tick at +10 %, then finer steps as the gap shrinks
    expect(player.rate()).toBeCloseTo(1.08, 9);
    vi.advanceTimersByTime(2000); // caught up 3.2 s after the first tick
    expect(player.rate()).toBe(1);
    expect(Math.abs(sync.currentDrift())).toBeLessThanOrEqual(RATE_STOP_S + 1e-9);
    expect(sync.stats.seeks).toBe(0);
    expect(sync.stats.rateCorrections).toBeGreaterThan(1);
    expect(party.control).not.toHaveBeenCalled(); // its own rate changes are not the user's
  });

  it("slows a player that is ahead, relative to the party's rate", () => {
    const party = new FakeParty(playbackState({ position: 10, at: NOW, rate: 2 }));
    const player = new FakePlayer(10.1, true);
    player.setRate(2);
    run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    expect(player.rate()).toBeCloseTo(2 * 0.9, 9);
  });

  it("seeks beyond half a second, leading the target by the seek time, and learns that time", () => {
    const party = new FakeParty(playbackState({ position: 10, at: NOW - 1000 }));
    const player = new FakePlayer(5, true);
    const sync = run(party, player);
    expect(SEEK_THRESHOLD_S).toBe(0.5);
    expect(player.seeks).toEqual([11.1]); // the party's 11 s, plus the assumed 100 ms
    vi.advanceTimersByTime(50); // the fake player's seek takes 50 ms
    expect(sync.stats.seekLatencyMs).toBe(85); // 0.7 × 100 + 0.3 × 50
    expect(party.control).not.toHaveBeenCalled();
  });
});

describe("scheduled starts", () => {
  it("holds the player at the position and calls play() the start latency early", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW + 1000 }));
    const player = new FakePlayer(0, false);
    run(party, player);
    vi.advanceTimersByTime(939);
    expect(player.paused()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(player.paused()).toBe(false);
    expect(player.plays).toEqual([940]); // 1000 ms ahead, less the initial 60 ms
  });

  it("learns the start latency from where the start landed, once it has settled", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW + 1000 }));
    const player = new FakePlayer(0, false); // its media clock starts at once: 60 ms early
    const sync = run(party, player);
    vi.advanceTimersByTime(1300);
    expect(sync.stats.startLatencyMs).toBe(60);
    expect(player.rate()).toBe(1); // not corrected before it has settled
    vi.advanceTimersByTime(100); // 400 ms after the start
    expect(sync.stats.startLatencyMs).toBe(30); // 60 - 0.5 × 60
    expect(player.rate()).toBeCloseTo(0.94, 9);
  });
});

describe("paused parties", () => {
  it("pause the player at the party's position and leave it there", () => {
    const party = new FakeParty(playbackState({ status: "paused", position: 42 }));
    const player = new FakePlayer(10, true);
    const sync = run(party, player);
    expect(player.paused()).toBe(true);
    expect(player.seeks).toEqual([42]);
    vi.advanceTimersByTime(1000);
    expect(sync.stats.drift).toBe(0);
    expect(player.seeks).toEqual([42]);
    expect(party.control).not.toHaveBeenCalled();
  });
});

describe("user actions on the player", () => {
  it("a pause becomes a playback.control for the party", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    const player = new FakePlayer(0, true);
    run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    player.userPause();
    expect(party.control).toHaveBeenCalledTimes(1);
    const [action, fields] = party.control.mock.calls[0];
    expect(action).toBe("pause");
    expect(fields.position).toBeCloseTo(0.1, 9);
  });

  it("the engine's own pause, for a new party state, is not sent back", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    const player = new FakePlayer(0, true);
    const sync = run(party, player);
    vi.advanceTimersByTime(500);
    party.playback = playbackState({ seq: 2, status: "paused", position: 0.5, at: Date.now() });
    sync.apply();
    expect(player.paused()).toBe(true);
    expect(party.control).not.toHaveBeenCalled();
  });

  it("a refused one is undone: the player goes back to the party's state", async () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    party.control.mockRejectedValueOnce(new SocialSyncError("forbidden", "only hosts control playback in this party"));
    const player = new FakePlayer(0, true);
    run(party, player);
    player.userPause();
    expect(player.paused()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(player.paused()).toBe(false);
  });

  it("scrubbing sends one seek, to where it stopped", () => {
    const party = new FakeParty(playbackState({ status: "paused", position: 10 }));
    const player = new FakePlayer(10, false);
    run(party, player);
    player.userSeek(20);
    vi.advanceTimersByTime(50);
    player.userSeek(30);
    vi.advanceTimersByTime(50);
    player.userSeek(40);
    vi.advanceTimersByTime(USER_SEEK_DEBOUNCE_MS - 1);
    expect(party.control).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(party.control.mock.calls).toEqual([["seek", { position: 40 }]]);
  });

  it("a rate change is sent; the engine's own are not", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    const player = new FakePlayer(0, true);
    run(party, player);
    player.userRate(1.5);
    expect(party.control.mock.calls).toEqual([["rate", { rate: 1.5 }]]);
  });
});

describe("status reports", () => {
  it("go every 2 s, and at once when the player stalls", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    const player = new FakePlayer(0, true);
    run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    expect(party.reportStatus).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(party.reportStatus).toHaveBeenCalledTimes(1);
    player.stalled = true;
    vi.advanceTimersByTime(TICK_MS); // t = 1200 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(2);
    expect(party.reportStatus.mock.calls[1].slice(1)).toEqual([true, true]); // playing, buffering
    vi.advanceTimersByTime(STATUS_INTERVAL_MS - TICK_MS); // t = 3100 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(TICK_MS); // t = 3200 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(3);
  });
});
