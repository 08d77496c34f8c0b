// The reconnect state machine and the request retries, driven without a socket or a
// real clock: `sleep` advances a fake clock and resolves at once, `open`/`rejoin` are scripted.
import { describe, expect, it } from "vitest";
import {
  Backoff, ReconnectMachine, TRANSITIONS, Urls, retryDecision, retrying, type ConnectionState,
} from "../src/core/reconnect";
import { SocialSyncError } from "../src/core/errors";

/** Give every pending promise continuation a chance to run (no time passes). */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

class Rig {
  now = 0;
  private timers: { at: number; wake: () => void }[] = [];
  open = false;
  readonly states: ConnectionState[] = ["disconnected"];
  readonly urls: string[] = [];
  readonly delays: number[] = [];
  /** Results of the next open/rejoin attempts (true = ok); past the end: ok. */
  opens: boolean[] = [];
  rejoins: (boolean | "drop")[] = [];
  recovered = 0;
  onSleep: (() => void) | null = null;
  readonly machine: ReconnectMachine;

  constructor(urls = ["a", "b", "c"], random = () => 1) {
    this.machine = new ReconnectMachine({
      open: async (url) => {
        this.urls.push(url);
        const ok = this.opens.shift() ?? true;
        if (!ok) throw new SocialSyncError("unavailable", "refused");
        this.open = true;
      },
      isOpen: () => this.open,
      rejoin: async () => {
        const result = this.rejoins.shift() ?? true;
        if (result === "drop") this.open = false; // the socket goes during the rejoin
        if (result !== true) throw new SocialSyncError("unavailable", "no answer");
      },
      sleep: (ms) => this.sleep(ms),
      onState: (state, previous) => {
        expect(this.states[this.states.length - 1]).toBe(previous);
        expect(TRANSITIONS[previous]).toContain(state);
        this.states.push(state);
      },
      onRecovered: () => (this.recovered += 1),
    }, new Urls(urls), new Backoff(250, 5000, random));
  }

  /** A virtual clock: sleeps wake in time order as `run` advances `now`. */
  sleep(ms: number): Promise<void> {
    this.delays.push(ms);
    this.onSleep?.();
    return new Promise((wake) => this.timers.push({ at: this.now + ms, wake }));
  }

  /** Drive the clock until `promise` settles; a wedge (nothing left to wake) fails. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.then(() => (done = true), () => (done = true));
    for (let i = 0; i < 100_000; i++) {
      await settle();
      if (done) return promise;
      this.timers.sort((x, y) => x.at - y.at);
      const next = this.timers.shift();
      if (!next) throw new Error("wedged: nothing scheduled and not settled");
      this.now = Math.max(this.now, next.at);
      next.wake();
    }
    throw new Error("did not settle");
  }

  deps() {
    return { now: () => this.now, sleep: (ms: number) => this.sleep(ms), machine: this.machine, partyJoined: () => true };
  }

  lose(): Promise<void> {
    this.open = false;
    this.machine.lost();
    return this.run(this.machine.recover());
  }
}

describe("Backoff", () => {
  it("doubles from 250 ms to a 5 s cap, each delay jittered within [d/2, d], and restarts", () => {
    const high = new Backoff(250, 5000, () => 1);
    expect(Array.from({ length: 8 }, () => high.nextDelayMs())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    const low = new Backoff(250, 5000, () => 0);
    expect(Array.from({ length: 3 }, () => low.nextDelayMs())).toEqual([125, 250, 500]);
    low.reset();
    expect(low.nextDelayMs()).toBe(125);
    expect(() => new Backoff(0, 5)).toThrow(RangeError);
  });

  it("stays finite after very many attempts", () => {
    const b = new Backoff(250, 5000, () => 1);
    for (let i = 0; i < 10_000; i++) b.nextDelayMs();
    expect(b.nextDelayMs()).toBe(5000);
  });
});

describe("ReconnectMachine", () => {
  it("connects to the first URL: connecting, joining, joined", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    expect(rig.states).toEqual(["disconnected", "connecting", "joining", "joined"]);
    expect(rig.urls).toEqual(["a"]);
    expect(rig.delays).toEqual([]);
  });

  it("a failed first connect leaves it disconnected with the error", async () => {
    const rig = new Rig();
    rig.opens = [false];
    await expect(rig.machine.connect()).rejects.toThrow("refused");
    expect(rig.machine.state).toBe("disconnected");
  });

  it("after a loss tries the next URL each attempt, backing off, until joined", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    rig.opens = [false, false, false, false];
    await rig.lose();
    expect(rig.urls).toEqual(["a", "b", "c", "a", "b", "c"]);
    expect(rig.delays).toEqual([250, 500, 1000, 2000, 4000]);
    expect(rig.states.slice(4)).toEqual(["disconnected", "connecting", "joining", "joined"]);
    expect(rig.recovered).toBe(1);
    // Joined again: the backoff starts over.
    await rig.lose();
    expect(rig.delays.slice(5)).toEqual([250]);
  });

  it("a failed rejoin is retried on the same socket; a socket lost while rejoining reconnects", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    rig.rejoins = [false, "drop", false];
    await rig.lose();
    expect(rig.states.slice(4)).toEqual([
      "disconnected", "connecting", "joining", // opened, the rejoin fails: wait, try again
      "connecting", "joining", "joined", // the socket went during the second rejoin
    ]);
    expect(rig.urls).toEqual(["a", "b", "c"]);
    expect(rig.machine.state).toBe("joined");
  });

  it("keeps trying for as long as it takes (never gives up by itself)", async () => {
    const rig = new Rig(["a", "b"]);
    await rig.machine.connect();
    rig.opens = Array.from({ length: 200 }, () => false);
    await rig.lose();
    expect(rig.urls.length).toBe(202);
    expect(Math.max(...rig.delays)).toBe(5000);
    expect(rig.machine.state).toBe("joined");
  });

  it("runs one loop at a time, however many losses are reported", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    rig.open = false;
    rig.machine.lost();
    const first = rig.machine.recover();
    rig.machine.lost(); // reported again while the loop runs
    expect(rig.machine.recover()).toBe(first);
    await rig.run(first);
    expect(rig.urls).toEqual(["a", "b"]);
    expect(rig.machine.state).toBe("joined");
  });

  it("close() stops the loop wherever it is, and is final", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    rig.opens = [false, false, false];
    rig.onSleep = () => {
      if (rig.delays.length === 2) rig.machine.close();
    };
    await rig.lose();
    expect(rig.machine.state).toBe("closed");
    expect(rig.urls).toEqual(["a", "b"]);
    rig.machine.lost();
    await rig.run(rig.machine.recover());
    expect(rig.machine.state).toBe("closed");
  });

  it("rejoinNeeded() rejoins on the socket it has", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    rig.machine.rejoinNeeded();
    await rig.run(rig.machine.recover());
    expect(rig.states.slice(4)).toEqual(["joining", "joined"]);
    expect(rig.urls).toEqual(["a"]);
  });

  it("untilJoined() wakes when joined, or at its timeout", async () => {
    const rig = new Rig();
    await rig.machine.connect();
    await rig.machine.untilJoined(1000); // joined: at once
    expect(rig.delays).toEqual([]);
    rig.open = false;
    rig.machine.lost();
    let woke = false;
    const waiting = rig.machine.untilJoined(60_000).then(() => (woke = true));
    await rig.run(rig.machine.recover());
    await settle();
    expect(woke).toBe(true);
    expect(rig.now).toBeLessThan(60_000);
  });
});

describe("retrying", () => {
  const joinedMachine = () => {
    const rig = new Rig();
    return rig;
  };

  it("retries unavailable with the same attempt until it succeeds", async () => {
    const rig = joinedMachine();
    await rig.machine.connect();
    const payloads: object[] = [];
    const payload = { nonce: "n1" };
    let calls = 0;
    const result = await rig.run(retrying(async () => {
      payloads.push(payload);
      calls += 1;
      if (calls < 4) throw new SocialSyncError("unavailable", "outage");
      return "ok";
    }, 30_000, rig.deps()));
    expect(result).toBe("ok");
    expect(new Set(payloads).size).toBe(1);
  });

  it("keeps retrying through an outage of at least 30 s, then gives up", async () => {
    const rig = joinedMachine();
    await rig.machine.connect();
    let calls = 0;
    const failing = rig.run(retrying(async () => {
      calls += 1;
      throw new SocialSyncError("unavailable", "outage");
    }, 30_000, rig.deps()));
    await expect(failing).rejects.toThrow("outage");
    expect(rig.now).toBeGreaterThanOrEqual(30_000);
    expect(calls).toBeGreaterThan(10);
  });

  it("on 'join the party first' for a joined party, rejoins and then retries", async () => {
    const rig = joinedMachine();
    await rig.machine.connect();
    let calls = 0;
    const result = await rig.run(retrying(async () => {
      calls += 1;
      if (calls === 1) throw new SocialSyncError("forbidden", "join the party first");
      return calls;
    }, 30_000, rig.deps()));
    expect(result).toBe(2);
    expect(rig.states.slice(4)).toEqual(["joining", "joined"]);
  });

  it("waits for the reconnect rather than spinning while disconnected", async () => {
    const rig = joinedMachine();
    await rig.machine.connect();
    rig.opens = [false, false];
    let calls = 0;
    const sent = rig.run(retrying(async () => {
      calls += 1;
      if (calls === 1) {
        rig.open = false;
        rig.machine.lost(); // the socket dies under this request
        throw new SocialSyncError("unavailable", "disconnected");
      }
      return rig.machine.state;
    }, 30_000, rig.deps()));
    expect(await sent).toBe("joined");
    expect(calls).toBe(2);
  });

  it("fails at once on a final error", async () => {
    expect(retryDecision(new SocialSyncError("forbidden", "banned"), true)).toBe("fail");
    expect(retryDecision(new SocialSyncError("forbidden", "join the party first"), false)).toBe("fail");
    expect(retryDecision(new SocialSyncError("not_found", "no such party"), true)).toBe("fail");
    expect(retryDecision(new Error("boom"), true)).toBe("fail");
    expect(retryDecision(new SocialSyncError("unavailable", "x"), false)).toBe("retry");
  });
});
