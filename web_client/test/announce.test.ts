import { describe, expect, it } from "vitest";
import { Throttle, type Timers } from "../ui/announce";

/** A clock that moves only when told. */
function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  const due: Array<{ at: number; fn: () => void; id: number }> = [];
  let next = 1;
  return {
    now: () => now,
    set(fn, ms) {
      const id = next++;
      due.push({ at: now + ms, fn, id });
      return id;
    },
    clear(id) {
      const i = due.findIndex((d) => d.id === id);
      if (i >= 0) due.splice(i, 1);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        due.sort((a, b) => a.at - b.at);
        const first = due[0];
        if (!first || first.at > until) break;
        due.shift();
        now = first.at;
        first.fn();
      }
      now = until;
    },
  };
}

describe("Throttle (what screen readers are told)", () => {
  it("says the first item at once and a burst after it as one batch, once per gap", () => {
    const timers = fakeTimers();
    const said: string[][] = [];
    const throttle = new Throttle<string>(3000, (items) => said.push(items), timers);
    throttle.push("a");
    expect(said).toEqual([["a"]]);
    for (const x of ["b", "c", "d"]) {
      timers.advance(100);
      throttle.push(x);
    }
    expect(said).toEqual([["a"]]);
    timers.advance(2700);
    expect(said).toEqual([["a"], ["b", "c", "d"]]);
    // A storm of 50 within one gap is one more announcement, not fifty.
    for (let i = 0; i < 50; i++) throttle.push(`m${i}`);
    timers.advance(2999);
    expect(said.length).toBe(2);
    timers.advance(1);
    expect(said.length).toBe(3);
    expect(said[2].length).toBe(50);
  });

  it("says an item at once again after a quiet spell, and nothing after dispose", () => {
    const timers = fakeTimers();
    const said: string[][] = [];
    const throttle = new Throttle<string>(1000, (items) => said.push(items), timers);
    throttle.push("a");
    timers.advance(5000);
    throttle.push("b");
    expect(said).toEqual([["a"], ["b"]]);
    throttle.push("c");
    throttle.dispose();
    timers.advance(5000);
    expect(said).toEqual([["a"], ["b"]]);
  });
});
