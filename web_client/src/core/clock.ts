/**
 * Clock offset from `time.sync` round trips (NTP-style). Each sample: t0 client send,
 * t1 server receive, t2 server send, t3 client receive. offset = ((t1-t0)+(t2-t3))/2 is
 * exact on a symmetric path and wrong by at most rtt/2 otherwise, so the sample with the
 * smallest round trip is the one to trust.
 */

export interface ClockSample {
  offset: number;
  rtt: number;
  takenAt: number;
}

/** Client time in ms on a clock that never jumps (performance.now() from the time origin). */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ClockSync {
  private samples: ClockSample[] = [];

  constructor(private readonly window = 16) {}

  add(t0: number, t1: number, t2: number, t3: number): void {
    const rtt = t3 - t0 - (t2 - t1);
    if (rtt < 0) return; // a clock jumped during the exchange
    this.samples.push({ offset: (t1 - t0 + (t2 - t3)) / 2, rtt, takenAt: t3 });
    if (this.samples.length > this.window) this.samples.shift();
  }

  get ready(): boolean {
    return this.samples.length > 0;
  }

  private get best(): ClockSample | undefined {
    let best: ClockSample | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Server clock minus client clock, ms. */
  get offset(): number {
    return this.best?.offset ?? 0;
  }

  /** The most the offset can be wrong by, ms. */
  get errorBound(): number {
    const best = this.best;
    return best ? best.rtt / 2 : Infinity;
  }

  get rtt(): number {
    return this.best?.rtt ?? Infinity;
  }

  /** Server epoch ms now (or at client time `localMs`), as far as this client can tell. */
  serverNow(localMs = localNow()): number {
    return localMs + this.offset;
  }

  reset(): void {
    this.samples = [];
  }
}
