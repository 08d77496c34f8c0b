/**
 * The sync engine driving a fake player against a fake party, on fake timers: what it
 * asks of the player, what it tells the party, and what it learns. Deterministic: the
 * clocks move only when a test advances them. The fake player queues its events as a
 * browser does, so the races between the user's actions and the engine's are real here.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  JOIN_LOOKAHEAD_S, MIN_LOOKAHEAD_S, RATE_STOP_S, SEEK_THRESHOLD_S, lookaheadFor,
} from "../src/core/correction";
import { SocialSyncError } from "../src/core/errors";
import {
  STALL_REPORT_MS, STATUS_INTERVAL_MS, SyncEngine, TICK_MS, USER_SEEK_DEBOUNCE_MS,
} from "../src/core/sync";
import type { PlaybackState } from "../src/protocol/types";
import { FakeParty, FakePlayer, SEEK_MS, playbackState } from "./fakes";

const NOW = 1_700_000_000_000;
const LEAD_MS = 200;
let engine: SyncEngine | null = null;

function run(party: FakeParty, player: FakePlayer): SyncEngine {
  engine = new SyncEngine(party, player);
  engine.start();
  return engine;
}

/** A new party state arrives, as PartySession delivers it: stored, then applied. */
function deliver(party: FakeParty, sync: SyncEngine, state: PlaybackState): void {
  party.playback = state;
  sync.apply();
}

/**
 * The server, as far as playback.control goes: it answers after `rttMs` with the state the
 * command makes (seeks and plays scheduled LEAD_MS ahead), which is delivered first.
 */
function serve(party: FakeParty, sync: () => SyncEngine, rttMs = 60): void {
  party.control.mockImplementation(async (action: string, fields: { position?: number; rate?: number }) => {
    await new Promise((r) => setTimeout(r, rttMs));
    const prev = party.playback;
    const now = Date.now() - rttMs / 2;
    const current = party.expectedPosition(now);
    let next: Partial<PlaybackState>;
    if (action === "seek") next = { position: fields.position, at: prev.status === "playing" ? now + LEAD_MS : now };
    else if (action === "pause") next = { status: "paused", position: fields.position ?? current, at: now };
    else if (action === "play") next = { status: "playing", position: fields.position ?? current, at: now + LEAD_MS };
    else next = { rate: fields.rate, position: current, at: now };
    deliver(party, sync(), { ...prev, ...next, seq: prev.seq + 1, by: "me" });
    return party.playback;
  });
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
    vi.advanceTimersByTime(2500); // caught up within 3.7 s of the first tick
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

  it("beyond half a second, holds where the party will be and starts when it gets there", () => {
    const party = new FakeParty(playbackState({ position: 10, at: NOW - 1000 }));
    const player = new FakePlayer(5, true);
    const sync = run(party, player);
    expect(SEEK_THRESHOLD_S).toBe(0.5);
    // Paused at the party's position MIN_LOOKAHEAD_S from now (the learnt figures are small).
    expect(player.paused()).toBe(true);
    const ahead = lookaheadFor(0.1, 0.06, true);
    expect(ahead).toBeCloseTo(MIN_LOOKAHEAD_S + 0.01, 9); // 2 × 100 ms + 60 ms
    expect(player.seeks).toEqual([11 + ahead]);
    vi.advanceTimersByTime(ahead * 1000 - 60 - 1);
    expect(player.paused()).toBe(true);
    vi.advanceTimersByTime(1); // play() called the start latency (60 ms) early
    expect(player.paused()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07); // the fake starts at once: 60 ms early at most
    expect(sync.stats.seekLatencyMs).toBe(85); // 0.7 × 100 + 0.3 × 50, learnt from the seek
    expect(party.control).not.toHaveBeenCalled();
  });
});

describe("starts", () => {
  it("hold the player at the position and call play() the start latency early", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW + 1000 }));
    const player = new FakePlayer(0, false);
    run(party, player);
    vi.advanceTimersByTime(939);
    expect(player.paused()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(player.paused()).toBe(false);
    expect(player.plays).toEqual([940]); // 1000 ms ahead, less the initial 60 ms
  });

  it("learn the start latency from where the start landed, once it has settled", () => {
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

  it("a state that comes too late to make its start starts at the position it should have reached", () => {
    // The party started 40 ms before this member heard of it (a long path).
    const party = new FakeParty(playbackState({ position: 30, at: NOW - 40 }));
    const player = new FakePlayer(30, false);
    const sync = run(party, player);
    const startAt = NOW + lookaheadFor(0.1, 0.06, true) * 1000;
    expect(player.seeks).toEqual([30 + (startAt - (NOW - 40)) / 1000]);
    vi.advanceTimersByTime(startAt - NOW - 60);
    expect(player.plays).toEqual([startAt - NOW - 60]); // performance ms
    vi.advanceTimersByTime(500);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07);
  });

  it("a joiner with no data yet holds a second ahead and starts in step, pausing nobody", () => {
    const party = new FakeParty(playbackState({ position: 100, at: NOW - 5000 }));
    const player = new FakePlayer(0, false);
    player.stalled = true; // nothing loaded yet
    const sync = run(party, player);
    expect(player.seeks).toEqual([105 + JOIN_LOOKAHEAD_S]);
    vi.advanceTimersByTime(300);
    player.stalled = false; // loaded
    vi.advanceTimersByTime(JOIN_LOOKAHEAD_S * 1000 - 300 + 500);
    expect(player.paused()).toBe(false);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07);
    // Its loading was not a stall: it never told the party it was buffering.
    expect(party.reportStatus.mock.calls.every(([, , buffering]) => !buffering)).toBe(true);
    expect(party.control).not.toHaveBeenCalled();
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
    vi.advanceTimersByTime(0);
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
    deliver(party, sync, playbackState({ seq: 2, status: "paused", position: 0.5, at: Date.now() }));
    vi.advanceTimersByTime(500);
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
    expect(player.paused()).toBe(true); // held for a start in step...
    await vi.advanceTimersByTimeAsync(MIN_LOOKAHEAD_S * 1000);
    expect(player.paused()).toBe(false); // ...and playing with the party again
    expect(party.control).toHaveBeenCalledTimes(1);
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
    vi.advanceTimersByTime(0);
    expect(party.control.mock.calls).toEqual([["rate", { rate: 1.5 }]]);
  });
});

describe("the intent model: no lost commands, no echoes", () => {
  it("the lost seek: a state that arrives while the user's seek is pending does not undo it", async () => {
    // The reproduction: playing; the user seeks +15; the server, told of a stall by
    // someone, answers with `waiting` at the old position before the user's seek is sent.
    const party = new FakeParty(playbackState({ position: 10, at: NOW - 2000 }));
    const player = new FakePlayer(12, true);
    const sync = run(party, player);
    serve(party, () => sync);
    await vi.advanceTimersByTimeAsync(500);
    player.userSeek(player.position() + 15); // 27.5
    await vi.advanceTimersByTimeAsync(20);
    deliver(party, sync, { ...party.playback, seq: 2, status: "waiting", position: 12.52, at: Date.now() });
    expect(player.position()).toBeCloseTo(27.52, 2); // not sent back
    await vi.advanceTimersByTimeAsync(USER_SEEK_DEBOUNCE_MS);
    expect(party.control.mock.calls).toEqual([["seek", { position: 27.5 }]]); // the user's target, not the old one
    await vi.advanceTimersByTimeAsync(500);
    // The party took the seek (seq 3, still waiting), held there; then it resumes.
    expect(party.playback).toMatchObject({ seq: 3, status: "waiting", position: 27.5 });
    expect(player.position()).toBe(27.5);
    deliver(party, sync, { ...party.playback, seq: 4, status: "playing", at: Date.now() + LEAD_MS });
    await vi.advanceTimersByTimeAsync(1500);
    expect(player.paused()).toBe(false);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07);
    expect(party.control).toHaveBeenCalledTimes(1); // nothing echoed
  });

  it("a state that arrives between the user's seek and its (queued) event waits for the answer", async () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW - 1000 }));
    const player = new FakePlayer(1, true);
    const sync = run(party, player);
    serve(party, () => sync);
    player.userSeek(40); // its `seeking` event is still queued...
    deliver(party, sync, { ...party.playback, seq: 2, position: 1, at: Date.now() + LEAD_MS }); // ...when this comes
    expect(player.seeks).toEqual([]); // the engine did not seek the user's player back
    await vi.advanceTimersByTimeAsync(USER_SEEK_DEBOUNCE_MS + 1);
    expect(party.control.mock.calls).toEqual([["seek", { position: 40 }]]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(party.playback.position).toBe(40);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07);
    expect(party.control).toHaveBeenCalledTimes(1);
  });

  it("a user's seek right after an engine seek is the user's, whichever event comes first", async () => {
    const party = new FakeParty(playbackState({ position: 10, at: NOW - 1000 }));
    const player = new FakePlayer(3, true); // far off: the engine seeks at once
    const sync = run(party, player);
    serve(party, () => sync);
    expect(player.seeks.length).toBe(1);
    player.userSeek(50); // before the engine's `seeking` event has been dispatched
    await vi.advanceTimersByTimeAsync(USER_SEEK_DEBOUNCE_MS + 1);
    expect(party.control.mock.calls).toEqual([["seek", { position: 50 }]]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(party.control).toHaveBeenCalledTimes(1);
    expect(Math.abs(sync.currentDrift())).toBeLessThan(0.07);
  });

  it("the engine's seeks, rate changes, plays and pauses never leave as commands", async () => {
    // Minutes of corrections: a player that keeps drifting, states that keep coming.
    const party = new FakeParty(playbackState({ position: 0, at: NOW + LEAD_MS }));
    const player = new FakePlayer(0, false);
    const sync = run(party, player);
    for (let i = 0; i < 40; i++) {
      await vi.advanceTimersByTimeAsync(700);
      if (i % 3 === 0) player.jump(i % 2 ? 0.8 : -0.2); // the media pipeline slips
      if (i % 5 === 4) {
        const now = Date.now();
        const pos = party.expectedPosition(now);
        const kinds: Partial<PlaybackState>[] = [
          { status: "paused", position: pos, at: now },
          { status: "playing", position: pos, at: now + LEAD_MS },
          { position: pos + 20, at: now + LEAD_MS },
          { rate: party.playback.rate === 1 ? 1.5 : 1, position: pos, at: now },
        ];
        const change = kinds[(i / 5) % kinds.length | 0];
        deliver(party, sync, { ...party.playback, ...change, seq: party.playback.seq + 1 });
      }
    }
    expect(sync.stats.seeks).toBeGreaterThan(5);
    expect(sync.stats.rateCorrections).toBeGreaterThan(3);
    expect(party.control).not.toHaveBeenCalled();
  });

  it("a seek is one state change: the buffering it costs is not reported as a stall", async () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW - 1000 }));
    const player = new FakePlayer(1, true);
    const sync = run(party, player);
    await vi.advanceTimersByTimeAsync(500);
    deliver(party, sync, { ...party.playback, seq: 2, position: 80, at: Date.now() + LEAD_MS });
    player.stalled = true; // loading the new position...
    await vi.advanceTimersByTimeAsync(STALL_REPORT_MS - TICK_MS);
    player.stalled = false; // ...for a moment only
    await vi.advanceTimersByTimeAsync(3000);
    expect(party.reportStatus.mock.calls.every(([, , buffering]) => !buffering)).toBe(true);
    expect(party.control).not.toHaveBeenCalled();
  });
});

describe("status reports", () => {
  it("go every 2 s, and once a stall has lasted STALL_REPORT_MS", () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    const player = new FakePlayer(0, true);
    run(party, player);
    vi.advanceTimersByTime(TICK_MS);
    expect(party.reportStatus).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(party.reportStatus).toHaveBeenCalledTimes(1);
    player.stalled = true;
    vi.advanceTimersByTime(TICK_MS); // t = 1200 ms: the stall begins
    expect(party.reportStatus).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(STALL_REPORT_MS); // t = 1500 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(2);
    expect(party.reportStatus.mock.calls[1].slice(1, 3)).toEqual([true, true]); // playing, buffering
    vi.advanceTimersByTime(STATUS_INTERVAL_MS - TICK_MS); // t = 3400 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(TICK_MS); // t = 3500 ms
    expect(party.reportStatus).toHaveBeenCalledTimes(3);
  });

  it("are not sent while the user's own action is on its way", async () => {
    const party = new FakeParty(playbackState({ position: 0, at: NOW }));
    party.control.mockImplementation(() => new Promise(() => {})); // never answered
    const player = new FakePlayer(0, true);
    run(party, player);
    await vi.advanceTimersByTimeAsync(TICK_MS);
    const before = party.reportStatus.mock.calls.length;
    player.userSeek(100);
    player.stalled = true;
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS + STALL_REPORT_MS);
    expect(party.reportStatus.mock.calls.length).toBe(before);
  });
});

it("the fake player's seeks take SEEK_MS", () => expect(SEEK_MS).toBe(50));
