import { describe, expect, it } from "vitest";
import { isScheduled, positionAt } from "../src/core/playback";
import type { PlaybackState } from "../src/protocol/types";

const AT = 1_700_000_000_000;
const state = (changes: Partial<PlaybackState> = {}): PlaybackState => ({
  party: "p1", seq: 1, status: "playing", position: 10, rate: 1, at: AT, by: null,
  media: { url: "https://cdn.example/film.mp4", kind: "vod", duration: 100 },
  ...changes,
});

describe("positionAt: position + rate × (now − at)", () => {
  it("moves with server time while playing, at the party's rate", () => {
    expect(positionAt(state(), AT)).toBe(10);
    expect(positionAt(state(), AT + 2500)).toBe(12.5);
    expect(positionAt(state({ rate: 1.5 }), AT + 2000)).toBe(13);
  });

  it("stands still while paused or waiting", () => {
    expect(positionAt(state({ status: "paused" }), AT + 60_000)).toBe(10);
    expect(positionAt(state({ status: "waiting" }), AT + 60_000)).toBe(10);
  });

  it("holds at the position before a scheduled start", () => {
    expect(positionAt(state(), AT - 500)).toBe(10);
  });

  it("stops at the media's duration, and runs on without one (live)", () => {
    expect(positionAt(state(), AT + 200_000)).toBe(100);
    const live = state({ position: 1_700_000_000, media: { url: "https://cdn.example/live.m3u8", kind: "live" } });
    expect(positionAt(live, AT + 200_000)).toBe(1_700_000_200);
  });
});

describe("isScheduled", () => {
  it("is true only for a playing state whose start lies ahead", () => {
    expect(isScheduled(state(), AT - 1)).toBe(true);
    expect(isScheduled(state(), AT)).toBe(false);
    expect(isScheduled(state({ status: "paused" }), AT - 1)).toBe(false);
  });
});
