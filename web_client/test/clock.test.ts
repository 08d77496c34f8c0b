import { describe, expect, it } from "vitest";
import { ClockSync } from "../src/core/clock";

/** One time.sync round trip: the client sends at t0 (its clock), the server's clock is
 * `offset` ahead, the request takes `up` ms, the server `handle` ms, the answer `down` ms. */
function sample(clock: ClockSync, t0: number, offset: number, up: number, down: number, handle = 1): void {
  const t1 = t0 + up + offset;
  const t2 = t1 + handle;
  const t3 = t0 + up + handle + down;
  clock.add(t0, t1, t2, t3);
}

describe("ClockSync", () => {
  it("is exact on a symmetric path", () => {
    const clock = new ClockSync();
    expect(clock.ready).toBe(false);
    sample(clock, 1000, 5000, 20, 20);
    expect(clock.ready).toBe(true);
    expect(clock.offset).toBe(5000);
    expect(clock.rtt).toBe(40);
    expect(clock.errorBound).toBe(20);
    expect(clock.serverNow(2000)).toBe(7000);
  });

  it("is wrong by half the asymmetry otherwise, within rtt / 2", () => {
    const clock = new ClockSync();
    sample(clock, 1000, 5000, 60, 20);
    expect(clock.offset).toBe(5020);
    expect(Math.abs(clock.offset - 5000)).toBeLessThanOrEqual(clock.errorBound);
  });

  it("trusts the sample with the smallest round trip", () => {
    const clock = new ClockSync();
    sample(clock, 1000, 5000, 90, 10); // rtt 100, offset off by 40
    sample(clock, 2000, 5000, 6, 4); // rtt 10, off by 1
    sample(clock, 3000, 5000, 10, 70); // rtt 80, off by 30
    expect(clock.rtt).toBe(10);
    expect(clock.offset).toBe(5001);
  });

  it("discards a sample with a negative round trip (a clock jumped)", () => {
    const clock = new ClockSync();
    clock.add(1000, 6000, 6001, 900);
    expect(clock.ready).toBe(false);
    expect(clock.offset).toBe(0);
    expect(clock.errorBound).toBe(Infinity);
  });

  it("keeps the last `window` samples only", () => {
    const clock = new ClockSync(2);
    sample(clock, 1000, 5000, 1, 1); // the best, then pushed out
    sample(clock, 2000, 7000, 30, 30);
    sample(clock, 3000, 7000, 20, 20);
    expect(clock.offset).toBe(7000);
    expect(clock.rtt).toBe(40);
  });

  it("forgets everything on reset (after a reconnect)", () => {
    const clock = new ClockSync();
    sample(clock, 1000, 5000, 10, 10);
    clock.reset();
    expect(clock.ready).toBe(false);
    expect(clock.serverNow(1234)).toBe(1234);
  });
});
