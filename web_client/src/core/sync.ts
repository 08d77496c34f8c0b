import {
  INITIAL_SEEK_LATENCY_S, INITIAL_START_LATENCY_S, PAUSED_TOLERANCE_S, SEEK_THRESHOLD_S, correctionFor,
  learnSeekLatency, learnStartLatency,
} from "./correction";
import { SocialSyncError } from "./errors";
import { isScheduled, positionAt } from "./playback";
import type { PlayerAdapter } from "./player";
import type { PlaybackState } from "../protocol/types";

/* The drift correction's constants and arithmetic are in ./correction.ts. */
export const TICK_MS = 100;
/** A scheduled start is judged (and the start latency learnt from it) this long after it. */
export const SETTLE_MS = 400;
export const STATUS_INTERVAL_MS = 2000;
/** A user seek is sent once the scrubbing has stopped for this long. */
export const USER_SEEK_DEBOUNCE_MS = 150;
/** The longest the player is left alone while a user action awaits its answer. */
export const USER_ACTION_TIMEOUT_MS = 3000;

/**
 * What the engine needs from the party it follows: its playback state, the server
 * clock, and the two requests it makes. `PartySession` implements it.
 */
export interface SyncParty {
  readonly playback: PlaybackState;
  /** Server epoch ms now, as estimated. */
  serverNow(): number;
  /** Where the party's media is now (or at server time `atMs`). */
  expectedPosition(atMs?: number): number;
  /** The user's action on the player, for the whole party (`playback.control`). */
  control(action: "play" | "pause" | "seek" | "rate", fields: { position?: number; rate?: number }): Promise<unknown>;
  /** `playback.status`: where the player is, and whether it plays or stalls. */
  reportStatus(position: number, playing: boolean, buffering: boolean): Promise<unknown>;
}

export interface SyncOptions {
  /** Report user actions on the player's own controls as playback.control (default true). */
  forwardUserActions?: boolean;
}

export interface SyncStats {
  /** Last measured distance from the party position (s, + ahead). */
  drift: number;
  seeks: number;
  rateCorrections: number;
  buffering: boolean;
  /** How long a seek while playing has been taking (ms), learned from the seeks seen. */
  seekLatencyMs: number;
  /** How long play() takes to start the media clock (ms), learned from scheduled starts. */
  startLatencyMs: number;
}

/**
 * Keeps one player on the party's playback state. The player is only ever told
 * what to do from here; what the player does on its own (the user's clicks) is told
 * apart from what we asked for, and becomes a command for the whole party.
 */
export class SyncEngine {
  readonly stats: SyncStats = { drift: 0, seeks: 0, rateCorrections: 0, buffering: false, seekLatencyMs: INITIAL_SEEK_LATENCY_S * 1000,
    startLatencyMs: INITIAL_START_LATENCY_S * 1000 };
  private timer: ReturnType<typeof setInterval> | null = null;
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: Array<() => void> = [];
  private correcting = false;
  private seekLatencyS = INITIAL_SEEK_LATENCY_S;
  private startLatencyS = INITIAL_START_LATENCY_S;
  // After a scheduled start: no correction until then, and then learn from the error.
  private settleUntil = 0;
  private lastStatusAt = 0;
  private loadingUrl: string | null = null;
  // What we asked the player for, so that its events can be told apart from the user's.
  private expectPlayUntil = 0;
  private expectPauseUntil = 0;
  private expectSeek: { target: number; since: number } | null = null;
  private engineRate = 1;
  private userSeekTimer: ReturnType<typeof setTimeout> | null = null;
  private userSeekTarget = 0;
  // While the user's own action is on its way to the party, the player is left as
  // the user put it: correcting it back would undo the action before it lands.
  private userActionUntil = 0;

  constructor(
    private readonly party: SyncParty,
    readonly player: PlayerAdapter,
    private readonly options: SyncOptions = {},
  ) {}

  start(): void {
    const p = this.player;
    this.unsubscribe = [
      p.on("play", () => this.onPlay()),
      p.on("pause", () => this.onPause()),
      p.on("seeking", () => this.onSeeking()),
      p.on("seeked", () => this.onSeeked()),
      p.on("ratechange", () => this.onRateChange()),
      p.on("waiting", () => this.reportIfChanged()),
      p.on("playing", () => this.reportIfChanged()),
      p.on("canplay", () => this.reportIfChanged()),
    ];
    this.engineRate = p.rate();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.apply();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.userSeekTimer) clearTimeout(this.userSeekTimer);
    this.timer = this.startTimer = this.userSeekTimer = null;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  /** Apply the party's current state now (called on every new state). */
  apply(): void {
    const state = this.party.playback;
    if (!state) return;
    this.player.setLive?.(state.media.kind === "live");
    if (this.player.load && this.player.currentUrl && this.player.currentUrl() !== state.media.url) {
      if (this.loadingUrl !== state.media.url) {
        this.loadingUrl = state.media.url;
        this.player.load(state.media).then(
          () => {
            this.loadingUrl = null;
            this.apply();
          },
          (err) => {
            // Leave the URL marked as failed-loading rather than retrying in a loop;
            // the next state with other media tries again.
            console.error("socialsync: could not load", state.media.url, err);
          },
        );
      }
      return;
    }
    if (this.startTimer) {
      clearTimeout(this.startTimer);
      this.startTimer = null;
    }
    this.correcting = false;
    this.setRate(state.rate);
    const now = this.party.serverNow();
    if (state.status !== "playing" || isScheduled(state, now)) {
      this.holdAt(state.position);
      if (isScheduled(state, now)) {
        const lead = this.startLatencyS * 1000;
        this.startTimer = setTimeout(() => this.startPlaying(), Math.max(0, state.at - now - lead));
        this.settleUntil = state.at + SETTLE_MS;
      }
      return;
    }
    this.startPlaying();
  }

  /** In the last moments before a scheduled start, once play() has been called early. */
  private startingEarly(state: PlaybackState, now: number): boolean {
    return state.status === "playing" && this.startTimer === null && now >= state.at - this.startLatencyS * 1000 - TICK_MS;
  }

  private startPlaying(): void {
    this.startTimer = null;
    const target = this.party.expectedPosition();
    if (Math.abs(this.player.position() - target) > SEEK_THRESHOLD_S) this.seekTo(target + this.seekLatencyS);
    if (this.player.paused()) this.doPlay();
  }

  private holdAt(position: number): void {
    if (!this.player.paused()) this.doPause();
    if (Math.abs(this.player.position() - position) > PAUSED_TOLERANCE_S) this.seekTo(position);
  }

  /** Every TICK_MS: measure the drift and correct it, and report status now and then. */
  private tick(): void {
    const state = this.party.playback;
    const now = this.party.serverNow();
    const userActing = performance.now() < this.userActionUntil;
    // A live player whose program time is not known yet cannot be placed.
    const placeable = Number.isFinite(this.player.position());
    if (state && placeable && !this.loadingUrl && !this.expectSeek && !userActing) {
      if (state.status === "playing" && !isScheduled(state, now)) this.correctPlaying(state.rate);
      else if (!this.startingEarly(state, now)) {
        this.stats.drift = this.player.position() - state.position;
        if (!this.player.paused()) this.doPause();
      }
    }
    if (now - this.lastStatusAt >= STATUS_INTERVAL_MS) this.report();
    else this.reportIfChanged(); // a stall is news at once: the party may wait for us
  }

  private correctPlaying(baseRate: number): void {
    const player = this.player;
    if (player.ended()) return;
    if (player.paused() && !player.buffering()) {
      this.doPlay();
      return;
    }
    if (player.buffering()) return; // nothing to correct while stalled; the party may wait
    const drift = player.position() - this.party.expectedPosition();
    this.stats.drift = drift;
    if (this.settleUntil) {
      if (this.party.serverNow() < this.settleUntil) return;
      this.settleUntil = 0;
      if (Math.abs(drift) < SEEK_THRESHOLD_S) {
        this.startLatencyS = learnStartLatency(this.startLatencyS, drift);
        this.stats.startLatencyMs = Math.round(this.startLatencyS * 1000);
      }
    }
    const step = correctionFor(drift, baseRate, this.correcting);
    if (step.seek) this.seekTo(this.party.expectedPosition() + this.seekLatencyS);
    this.correcting = step.correcting;
    if (step.rate === null) return;
    if (step.correcting && Math.abs(this.player.rate() - step.rate) > 1e-6) this.stats.rateCorrections++;
    this.setRate(step.rate);
  }

  // ------------------------------------------------------------ driving the player
  private doPlay(): void {
    this.expectPlayUntil = performance.now() + 2000;
    void this.player.play().catch((err) => console.warn("socialsync: play() refused", err));
  }

  private doPause(): void {
    this.expectPauseUntil = performance.now() + 2000;
    this.player.pause();
  }

  private seekTo(target: number): void {
    this.expectSeek = { target, since: performance.now() };
    this.stats.seeks++;
    this.player.seek(target);
  }

  private setRate(rate: number): void {
    if (Math.abs(this.player.rate() - rate) < 1e-6) return;
    this.engineRate = rate;
    this.player.setRate(rate);
  }

  // ------------------------------------------------------------ the player's events
  private get forwarding(): boolean {
    return this.options.forwardUserActions !== false;
  }

  private onPlay(): void {
    if (performance.now() < this.expectPlayUntil) {
      this.expectPlayUntil = 0;
      return;
    }
    const state = this.party.playback;
    if (this.forwarding && state.status !== "playing") {
      this.userCommand("play", { position: this.player.position() });
    }
  }

  private onPause(): void {
    if (performance.now() < this.expectPauseUntil) {
      this.expectPauseUntil = 0;
      return;
    }
    if (this.player.ended()) return; // the media ran out; not a user's pause
    const state = this.party.playback;
    if (this.forwarding && state.status === "playing") {
      this.userCommand("pause", { position: this.player.position() });
    }
  }

  private onSeeking(): void {
    const expected = this.expectSeek;
    if (expected && Math.abs(this.player.position() - expected.target) < 0.5) return;
    if (!this.forwarding) return;
    // Scrubbing fires many seeks: send the last one.
    this.userSeekTarget = this.player.position();
    this.userActionUntil = performance.now() + USER_SEEK_DEBOUNCE_MS + USER_ACTION_TIMEOUT_MS;
    if (this.userSeekTimer) clearTimeout(this.userSeekTimer);
    this.userSeekTimer = setTimeout(() => {
      this.userSeekTimer = null;
      this.userCommand("seek", { position: this.userSeekTarget });
    }, USER_SEEK_DEBOUNCE_MS);
  }

  private onSeeked(): void {
    const expected = this.expectSeek;
    if (!expected) return;
    if (!this.player.paused()) {
      // Learn how long a seek takes while playing, to lead the next one by it.
      const tookS = (performance.now() - expected.since) / 1000;
      this.seekLatencyS = learnSeekLatency(this.seekLatencyS, tookS);
      this.stats.seekLatencyMs = Math.round(this.seekLatencyS * 1000);
    }
    this.expectSeek = null;
    this.reportIfChanged();
  }

  private onRateChange(): void {
    const rate = this.player.rate();
    if (Math.abs(rate - this.engineRate) < 1e-6) return;
    if (this.forwarding && this.party.playback.rate !== rate && rate >= 0.25 && rate <= 4) {
      this.engineRate = rate;
      this.userCommand("rate", { rate });
    }
  }

  private userCommand(action: "play" | "pause" | "seek" | "rate", fields: { position?: number; rate?: number }): void {
    const state = this.party.playback;
    if (fields.position !== undefined) {
      const duration = state.media.duration;
      fields.position = Math.max(0, duration !== undefined ? Math.min(fields.position, duration) : fields.position);
    }
    this.userActionUntil = performance.now() + USER_ACTION_TIMEOUT_MS;
    this.party
      .control(action, fields)
      .catch((err) => {
        // Refused (no control rights, a conflict): the party's state stands.
        if (!(err instanceof SocialSyncError)) console.error("socialsync:", err);
      })
      .finally(() => {
        this.userActionUntil = 0;
        this.apply();
      });
  }

  // ------------------------------------------------------------ status reports
  private buffering(): boolean {
    const state = this.party.playback;
    const shouldHaveData = state.status !== "paused";
    return shouldHaveData && this.player.buffering();
  }

  private reportIfChanged(): void {
    if (this.buffering() !== this.stats.buffering) this.report();
  }

  private report(): void {
    const state = this.party.playback;
    if (!state) return;
    this.lastStatusAt = this.party.serverNow();
    this.stats.buffering = this.buffering();
    this.party
      .reportStatus(this.player.position(), !this.player.paused(), this.stats.buffering)
      .catch(() => {}); // a lost report is replaced by the next one
  }

  /** Position error now, for tests and the widget: player minus party position. */
  currentDrift(): number {
    return this.player.position() - positionAt(this.party.playback, this.party.serverNow());
  }
}
