/**
 * Polite announcements for screen readers that never flood: what arrives in a burst
 * (a chat storm, a wave of reactions) is gathered and said as one summary, at most
 * once per `gapMs`.
 */

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(id: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/**
 * Gathers items and hands them to `say` in batches: the first item after a quiet spell
 * at once, what follows within `gapMs` of the last batch together when that gap is over.
 */
export class Throttle<T> {
  private pending: T[] = [];
  private timer: unknown = null;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly gapMs: number,
    private readonly say: (items: T[]) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.timer !== null) return;
    const wait = this.last + this.gapMs - this.timers.now();
    if (wait <= 0) this.flush();
    else this.timer = this.timers.set(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const items = this.pending;
    this.pending = [];
    this.last = this.timers.now();
    this.say(items);
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.pending = [];
  }
}

/**
 * A visually hidden polite live region. The same words twice in a row are announced
 * twice (the region is emptied first).
 */
export class LiveRegion {
  readonly el: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(className = "ssw-visually-hidden") {
    this.el = document.createElement("div");
    this.el.className = className;
    this.el.setAttribute("aria-live", "polite");
    this.el.setAttribute("aria-atomic", "true");
  }

  say(text: string): void {
    this.el.textContent = "";
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.el.textContent = text;
    }, 60);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.el.remove();
  }
}
