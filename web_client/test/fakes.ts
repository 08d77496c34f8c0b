/**
 * Test doubles for the sync engine: a player whose media clock runs on the (faked)
 * performance clock, and a party whose server clock is the (faked) Date. Driven by
 * vi.useFakeTimers(), so every test is deterministic.
 */
import { vi } from "vitest";
import { positionAt } from "../src/core/playback";
import type { PlayerAdapter, PlayerEvent } from "../src/core/player";
import type { StatusExtra, SyncParty } from "../src/core/sync";
import type { PlaybackState } from "../src/protocol/types";

/** How long the fake player's seeks take (ms): `seeked` fires this long after `seeking`. */
export const SEEK_MS = 50;

export class FakePlayer implements PlayerAdapter {
  /** Media position at `since` (performance ms) and the rate it moves at while playing. */
  private pos: number;
  private since = performance.now();
  private playbackRate = 1;
  private isPaused: boolean;
  private seekingUntil = -1;
  stalled = false;
  readonly seeks: number[] = [];
  readonly plays: number[] = []; // performance.now() of each play()
  private readonly listeners = new Map<PlayerEvent, Set<() => void>>();

  constructor(position: number, playing: boolean) {
    this.pos = position;
    this.isPaused = !playing;
  }

  position(): number {
    const running = !this.isPaused && !this.stalled;
    return this.pos + (running ? ((performance.now() - this.since) / 1000) * this.playbackRate : 0);
  }
  paused(): boolean { return this.isPaused; }
  buffering(): boolean { return this.stalled; }
  ended(): boolean { return false; }
  rate(): number { return this.playbackRate; }
  seeking(): boolean { return performance.now() < this.seekingUntil; }

  async play(): Promise<void> {
    this.plays.push(performance.now());
    if (!this.isPaused) return;
    this.rebase();
    this.isPaused = false;
    this.fire("play");
  }
  pause(): void {
    if (this.isPaused) return;
    this.rebase();
    this.isPaused = true;
    this.fire("pause");
  }
  seek(position: number): void {
    this.seeks.push(position);
    this.moveTo(position);
  }
  setRate(rate: number): void {
    this.rebase();
    this.playbackRate = rate;
    this.fire("ratechange");
  }
  on(event: PlayerEvent, fn: () => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(fn);
    return () => set.delete(fn);
  }

  // What a user does on the player's own controls.
  userPause(): void { this.pause(); }
  userPlay(): void { void this.play(); }
  userSeek(position: number): void { this.moveTo(position); }
  userRate(rate: number): void { this.setRate(rate); }
  /** The media clock slips by `seconds` (a decoder hiccup), with no event. */
  jump(seconds: number): void {
    this.rebase();
    this.pos += seconds;
  }

  private moveTo(position: number): void {
    this.pos = position;
    this.since = performance.now();
    this.seekingUntil = performance.now() + SEEK_MS;
    this.fire("seeking");
    setTimeout(() => this.fire("seeked"), SEEK_MS);
  }
  private rebase(): void {
    this.pos = this.position();
    this.since = performance.now();
  }
  /** Events are queued (a browser dispatches them as tasks), so they can come after
   * what the engine or the user did next: the races the engine must get right. */
  private fire(event: PlayerEvent): void {
    setTimeout(() => {
      for (const fn of this.listeners.get(event) ?? []) fn();
    }, 0);
  }
}

export class FakeParty implements SyncParty {
  control = vi.fn(async (_action: string, _fields: { position?: number; rate?: number }): Promise<unknown> => ({}));
  reportStatus = vi.fn(
    async (_position: number, _playing: boolean, _buffering: boolean, _extra?: StatusExtra): Promise<unknown> => ({}),
  );

  constructor(public playback: PlaybackState) {}

  serverNow(): number {
    return Date.now();
  }
  expectedPosition(atMs = this.serverNow()): number {
    return positionAt(this.playback, atMs);
  }
}

export function playbackState(changes: Partial<PlaybackState>): PlaybackState {
  return {
    party: "p1", seq: 1, status: "playing", position: 0, rate: 1, at: Date.now(), by: null,
    media: { url: "https://cdn.example/film.mp4", kind: "vod", duration: 600 },
    ...changes,
  };
}
