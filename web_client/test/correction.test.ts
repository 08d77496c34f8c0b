import { describe, expect, it } from "vitest";
import {
  CORRECTION_HORIZON_S, INITIAL_SEEK_LATENCY_S, MAX_RATE_NUDGE, MAX_SEEK_LATENCY_S, MAX_START_LATENCY_S,
  RATE_START_S, RATE_STEP, RATE_STOP_S, SEEK_THRESHOLD_S, correctionFor, learnSeekLatency, learnStartLatency,
  rateNudge,
} from "../src/core/correction";

describe("rateNudge", () => {
  it("closes the drift over the correction horizon, in whole rate steps", () => {
    expect(CORRECTION_HORIZON_S).toBe(1);
    expect(rateNudge(-0.06)).toBeCloseTo(0.06, 12); // 60 ms behind: 6 % faster
    expect(rateNudge(0.04)).toBeCloseTo(-0.04, 12); // ahead: slower
    expect(rateNudge(-0.05)).toBeCloseTo(0.06, 12); // 5 % rounds to the nearest step (half up)
    expect(rateNudge(-0.07)).toBeCloseTo(0.08, 12);
  });

  it("is at most ±10 %", () => {
    expect(MAX_RATE_NUDGE).toBe(0.1);
    expect(rateNudge(-0.2)).toBeCloseTo(0.1, 12);
    expect(rateNudge(0.45)).toBeCloseTo(-0.1, 12);
  });

  it("is at least one step, in the right direction, for a drift that rounds to nothing", () => {
    expect(rateNudge(-0.005)).toBe(RATE_STEP);
    expect(rateNudge(0.005)).toBe(-RATE_STEP);
  });
});

describe("correctionFor", () => {
  it("leaves a player within the dead band alone", () => {
    expect(correctionFor(0.02, 1, false)).toEqual({ seek: false, rate: null, correcting: false });
    expect(correctionFor(-RATE_START_S, 1, false)).toEqual({ seek: false, rate: null, correcting: false });
  });

  it("nudges the rate beyond the dead band, relative to the party's rate", () => {
    const behind = correctionFor(-0.1, 1, false);
    expect(behind.seek).toBe(false);
    expect(behind.correcting).toBe(true);
    expect(behind.rate).toBeCloseTo(1.1, 12);
    const ahead = correctionFor(0.1, 2, false);
    expect(ahead.rate).toBeCloseTo(2 * 0.9, 12);
  });

  it("keeps correcting until the drift is under the stop threshold (hysteresis)", () => {
    const between = (RATE_START_S + RATE_STOP_S) / 2;
    expect(correctionFor(-between, 1, false).rate).toBeNull();
    const going = correctionFor(-between, 1, true);
    expect(going.correcting).toBe(true);
    expect(going.rate).toBeCloseTo(1 + RATE_STEP, 12);
    expect(correctionFor(-RATE_STOP_S / 2, 1, true)).toEqual({ seek: false, rate: 1, correcting: false });
  });

  it("seeks beyond the seek threshold, at the party's rate", () => {
    expect(correctionFor(SEEK_THRESHOLD_S + 0.001, 1.5, true)).toEqual({ seek: true, rate: 1.5, correcting: false });
    expect(correctionFor(-3, 1, false)).toEqual({ seek: true, rate: 1, correcting: false });
    expect(correctionFor(-SEEK_THRESHOLD_S, 1, false).seek).toBe(false);
  });
});

describe("latency learning", () => {
  it("calls play() earlier after a late start, later after an early one, within 0..300 ms", () => {
    expect(learnStartLatency(0.06, -0.04)).toBeCloseTo(0.08, 12); // landed 40 ms late
    expect(learnStartLatency(0.06, 0.02)).toBeCloseTo(0.05, 12); // 20 ms early
    expect(learnStartLatency(0.06, 0.4)).toBe(0);
    expect(learnStartLatency(0.25, -0.4)).toBe(MAX_START_LATENCY_S);
  });

  it("averages the seek time (30 % weight on the newest), at most 1 s", () => {
    expect(learnSeekLatency(INITIAL_SEEK_LATENCY_S, 0.2)).toBeCloseTo(0.13, 12);
    let latency = INITIAL_SEEK_LATENCY_S;
    for (let i = 0; i < 50; i++) latency = learnSeekLatency(latency, 0.25);
    expect(latency).toBeCloseTo(0.25, 6);
    expect(learnSeekLatency(0.9, 5)).toBe(MAX_SEEK_LATENCY_S);
  });
});
