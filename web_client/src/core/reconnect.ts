/**
 * The SDK's connection states and its retries, without I/O: the socket, the rejoin
 * and time itself (`sleep`, `now`) are passed in, so tests drive every transition.
 * The same machine as the Python SDK's (socialsync/sdk/reconnect.py, protocol 2.5):
 *
 *     disconnected ──connect──▶ connecting ──socket up──▶ joining ──every party rejoined──▶ joined
 *          ▲                     ▲   │ (fails: back off, next URL)   │ (fails: back off, again)
 *          │                     │   ▼                               ▼
 *        any state ◀──── socket lost ──────────────────────────── (loop)        closed ◀── close()
 *
 * One loop at a time; it returns only joined (or closed), so it cannot wedge.
 */

export type ConnectionState = "disconnected" | "connecting" | "joining" | "joined" | "closed";

/** Which state may follow which: anything else is a bug. */
export const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  disconnected: ["connecting", "closed"],
  connecting: ["joining", "disconnected", "closed"],
  joining: ["joined", "connecting", "disconnected", "closed"],
  joined: ["joining", "connecting", "disconnected", "closed"],
  closed: [],
};

/** Capped exponential backoff with jitter: attempt n waits a random time in [d/2, d],
 * d = min(cap, base * 2^n), so clients that lost the same node do not all come back at once. */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly baseMs = 250,
    readonly capMs = 5000,
    private readonly random: () => number = Math.random,
  ) {
    if (!(baseMs > 0) || capMs < baseMs) throw new RangeError("0 < baseMs <= capMs");
  }

  nextDelayMs(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 32));
    this.attempt += 1;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** The server URLs in turn: each attempt takes the next one. */
export class Urls {
  private index = -1;

  constructor(readonly urls: readonly string[]) {
    if (urls.length === 0) throw new RangeError("at least one URL");
  }

  next(): string {
    this.index = (this.index + 1) % this.urls.length;
    return this.urls[this.index];
  }
}

export interface ReconnectDeps {
  /** Open a new socket to `url` (closing any old one); rejects if it does not come up. */
  open(url: string): Promise<void>;
  isOpen(): boolean;
  /** Rejoin every party (once each); rejects if one must be tried again. */
  rejoin(): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Every state change, in order. */
  onState(state: ConnectionState, previous: ConnectionState): void;
  /** A failed `open` (e.g. to swap expired credentials before the next attempt). */
  onOpenFailed?(error: unknown): void;
  /** Back in the party after a loss (not after the first connect). */
  onRecovered?(): void;
}

export class ReconnectMachine {
  private current: ConnectionState = "disconnected";
  private running: Promise<void> | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly deps: ReconnectDeps,
    private readonly urls: Urls,
    private readonly backoff: Backoff = new Backoff(),
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The first connection: one attempt at the first URL, its error thrown to the caller. */
  async connect(): Promise<void> {
    this.set("connecting");
    try {
      await this.deps.open(this.urls.next());
    } catch (err) {
      if (this.current !== "closed") this.set("disconnected");
      throw err;
    }
    this.set("joining");
    this.set("joined");
  }

  /** The socket went away: come back (unless closed). */
  lost(): void {
    // While connecting there is no socket to lose: the loop is already on it.
    if (this.current === "closed" || (this.current === "connecting" && this.running)) return;
    this.set("disconnected");
    this.recover();
  }

  /** The server forgot this socket's membership ("join the party first"): rejoin. */
  rejoinNeeded(): void {
    if (this.current !== "joined") return;
    this.set("joining");
    this.recover();
  }

  close(): void {
    this.set("closed");
  }

  /** Resolves when joined, or after `timeoutMs` or close, whichever comes first. */
  async untilJoined(timeoutMs: number): Promise<void> {
    if (this.current === "joined" || this.current === "closed") return;
    await new Promise<void>((resolve) => {
      this.waiters.add(resolve);
      void this.deps.sleep(Math.max(0, timeoutMs)).then(() => {
        this.waiters.delete(resolve);
        resolve();
      });
    });
  }

  /** Starts the loop unless it runs; the promise settles when it returns. */
  recover(): Promise<void> {
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    while (!this.closed()) {
      if (!this.deps.isOpen()) {
        this.set("connecting");
        await this.deps.sleep(this.backoff.nextDelayMs());
        if (this.closed()) return;
        try {
          await this.deps.open(this.urls.next());
        } catch (err) {
          this.deps.onOpenFailed?.(err);
          continue;
        }
      }
      if (this.closed()) return;
      this.set("joining");
      try {
        await this.deps.rejoin();
      } catch {
        if (this.deps.isOpen() && !this.closed()) await this.deps.sleep(this.backoff.nextDelayMs());
        continue;
      }
      if (!this.deps.isOpen()) continue;
      if (this.closed()) return;
      // Checked and set in one step (no await between): a loss from here starts a new loop.
      this.set("joined");
      this.backoff.reset();
      this.deps.onRecovered?.();
      return;
    }
  }

  /** (A method, not a field read: the state changes across the loop's awaits.) */
  private closed(): boolean {
    return this.current === "closed";
  }

  private set(state: ConnectionState): void {
    const previous = this.current;
    if (state === previous || previous === "closed") return;
    if (!TRANSITIONS[previous].includes(state)) throw new Error(`reconnect: ${previous} -> ${state}`);
    this.current = state;
    if (state === "joined" || state === "closed") {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
    this.deps.onState(state, previous);
  }
}

/** What to do with a failed attempt of a retried request. */
export type RetryDecision = "retry" | "rejoin" | "fail";

/** `unavailable` (an outage, a lost socket) is retried; "join the party first" for a
 * party this client has joined means the server lost this socket's membership (a
 * reconnect under way, a node restarted): rejoin, then retry. Anything else is final. */
export function retryDecision(error: unknown, partyJoined: boolean): RetryDecision {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === "unavailable") return "retry";
  if (e?.code === "forbidden" && partyJoined && typeof e.message === "string" && e.message.endsWith("join the party first")) {
    return "rejoin";
  }
  return "fail";
}

export interface RetryDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  machine: Pick<ReconnectMachine, "state" | "rejoinNeeded" | "untilJoined">;
  partyJoined(): boolean;
}

/** Run `attempt` (the same payload, so the same nonce, every time) until it succeeds, a
 * final error, or `retryForMs` has passed; between attempts it waits for the client to
 * be joined again (a disconnect) or a short backoff (joined: an `unavailable` answer). */
export async function retrying<T>(attempt: () => Promise<T>, retryForMs: number, deps: RetryDeps): Promise<T> {
  const deadline = deps.now() + retryForMs;
  const backoff = new Backoff(100, 2000);
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (deps.machine.state === "closed" || deps.now() >= deadline) throw err;
      const decision = retryDecision(err, deps.partyJoined());
      if (decision === "fail") throw err;
      if (decision === "rejoin") deps.machine.rejoinNeeded();
    }
    if (deps.machine.state === "joined") {
      await deps.sleep(Math.min(backoff.nextDelayMs(), Math.max(0, deadline - deps.now())));
    }
    await deps.machine.untilJoined(deadline - deps.now());
  }
}
