import {
  INITIAL_SEEK_LATENCY_S, INITIAL_START_LATENCY_S, PAUSED_TOLERANCE_S, SEEK_THRESHOLD_S, correctionFor,
  learnSeekLatency, learnStartLatency, lookaheadFor,
} from "./correction";
import { SocialSyncError } from "./errors";
import { isScheduled, positionAt } from "./playback";
import type { PlayerAdapter } from "./player";
import { PartyTimeline } from "./timeline";
import type { PlaybackState } from "../protocol/types";

/* The drift correction's constants and arithmetic are in ./correction.ts. */
export const TICK_MS = 100;
/** A start is judged (and the start latency learnt from it) this long after it. */
export const SETTLE_MS = 400;
export const STATUS_INTERVAL_MS = 2000;
/** A user seek is sent once the scrubbing has stopped for this long. */
export const USER_SEEK_DEBOUNCE_MS = 150;
/** The longest the player is left alone while a user action awaits its answer. */
export const USER_ACTION_TIMEOUT_MS = 5000;
/** A stall is reported (and may make the party wait) once it has lasted this long: the
 * moment of buffering every seek and start costs is not a stall. */
export const STALL_REPORT_MS = 300;
/** The player's events for what the engine asked of it come within this long; an
 * expectation older than this has lapsed (the event never came). */
export const OWN_EVENT_MS = 2000;
/** A `seeking` event at this distance or less from the engine's own target is the engine's
 * seek (VOD; for live media, whose positions are program times, the count alone decides). */
export const OWN_SEEK_TOLERANCE_S = 0.25;
/** Live media: the edge delay reported is the largest seen over this long (the edge moves
 * in steps of a segment; the party must fit the worst moment, not the best). */
export const EDGE_WINDOW_MS = 12_000;
/** A change of the edge delay this large is reported at once. */
export const EDGE_REPORT_STEP_S = 0.5;

/** What a status report says besides position and state. */
export interface StatusExtra {
  /** The player is in an ad or interstitial. */
  ad?: boolean;
  /** Live media: how far behind wall-clock time (s) the player's newest media is. */
  edgeDelay?: number;
}

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
  reportStatus(position: number, playing: boolean, buffering: boolean, extra?: StatusExtra): Promise<unknown>;
}

export interface SyncOptions {
  /** Report user actions on the player's own controls as playback.control (default true). */
  forwardUserActions?: boolean;
  /** This member's timeline offset (s): player time = party position + offset, for a stream
   * whose pre-roll (or program dates) differ from the others' by a constant. */
  timelineOffset?: number;
}

export interface SyncStats {
  /** Last measured distance from the party position (s, + ahead). */
  drift: number;
  /** Seeks the engine made (its own, never the user's). */
  seeks: number;
  rateCorrections: number;
  /** Hold-and-starts: the player was paused ahead of the party and started when it came. */
  starts: number;
  /** Commands sent for the user's own actions on the player. */
  userCommands: number;
  /** Reported to the party as stalled (after STALL_REPORT_MS of buffering). */
  buffering: boolean;
  /** How long a seek has been taking (ms), learned from the seeks seen. */
  seekLatencyMs: number;
  /** How long play() takes to start the media clock (ms), learned from starts. */
  startLatencyMs: number;
  /** The player is in an ad or interstitial: sync is suspended. */
  inAd: boolean;
  /** Live media: the edge delay last reported (s), or null. */
  edgeDelay: number | null;
}

type UserAction = "play" | "pause" | "seek" | "rate";

/**
 * Keeps one player on the party's playback state.
 *
 * The intent model: only the user's own actions on the player leave as commands. What
 * the engine asks of the player (seeks, rate changes, plays, pauses) is recorded as it is
 * asked, by target (a seek) or by count (play, pause), and the player's events that
 * answer it are consumed by that record, whatever order they come in; anything else is
 * the user's. While a user action is on its way to the party, no state undoes it: the
 * states that arrive meanwhile are applied, newest only, once the action is answered.
 */
export class SyncEngine {
  readonly stats: SyncStats = {
    drift: 0, seeks: 0, rateCorrections: 0, starts: 0, userCommands: 0, buffering: false,
    seekLatencyMs: INITIAL_SEEK_LATENCY_S * 1000, startLatencyMs: INITIAL_START_LATENCY_S * 1000,
    inAd: false, edgeDelay: null,
  };
  /** The player on the party's timeline (see setTimelineOffset). */
  readonly player: PartyTimeline;
  private timer: ReturnType<typeof setInterval> | null = null;
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: Array<() => void> = [];
  private correcting = false;
  private seekLatencyS = INITIAL_SEEK_LATENCY_S;
  private startLatencyS = INITIAL_START_LATENCY_S;
  // A start of ours (server ms): the player holds until then; corrections wait for it.
  private startAt: number | null = null;
  // After a start: no correction until then, and then learn from the error.
  private settleUntil = 0;
  private lastStatusAt = 0;
  private loadingUrl: string | null = null;
  // What the engine asked of the player, so that the player's events can be told apart
  // from the user's: seeking events still to come for our seeks, and the last target.
  private ownSeeks = 0;
  private ownSeekTarget = NaN;
  private ownSeekSince = 0;
  private lastSeekOurs = false;
  private ownPlays = 0;
  private ownPlaysSince = 0;
  private ownPauses = 0;
  private ownPausesSince = 0;
  private engineRate = 1;
  // The user's action on its way to the party (or being scrubbed): the player is left as
  // the user put it, and states that arrive meanwhile wait for its answer.
  private pending: { action: UserAction; until: number } | null = null;
  private userSeekTimer: ReturnType<typeof setTimeout> | null = null;
  private userSeekTarget = 0;
  // Since when (performance ms) the player has been stalled while it should play.
  private stalledSince: number | null = null;
  // A state came while the user was acting: apply it once the user's action is known.
  private deferred = false;
  // An ad or interstitial: as the app said (setInAd) or the adapter says (inAd()).
  private adByApp = false;
  private inAd = false;
  private adUnacknowledged = false;
  // Live media: (performance ms, edge delay s) samples over EDGE_WINDOW_MS.
  private edgeSamples: Array<[number, number]> = [];

  constructor(
    private readonly party: SyncParty,
    player: PlayerAdapter,
    private readonly options: SyncOptions = {},
  ) {
    this.player = new PartyTimeline(player, options.timelineOffset ?? 0);
  }

  /** Set this member's timeline offset (s): player time = party position + offset. */
  setTimelineOffset(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds === this.player.offset) return;
    this.player.offset = seconds;
    this.apply();
  }

  /** Tell the engine an ad or interstitial began (true) or ended (false), for players whose
   * adapter has no `inAd()`. While it lasts the member is suspended from sync; when it ends
   * the player starts in step at the party's position. */
  setInAd(on: boolean): void {
    this.adByApp = on;
    this.checkAd();
  }

  private checkAd(): void {
    const now = this.adByApp || (this.player.inAd?.() ?? false);
    if (now === this.inAd) return;
    this.inAd = this.stats.inAd = now;
    this.adUnacknowledged = true;
    this.cancelStart();
    this.correcting = false;
    this.stalledSince = null;
    if (now) {
      // Whatever the player does now is the ad's, not the user's and not ours.
      this.pending = null;
      if (this.userSeekTimer) clearTimeout(this.userSeekTimer);
      this.userSeekTimer = null;
      this.report();
      return;
    }
    // Back: the ad's doings are forgotten, and the player rejoins at the party's position.
    this.ownPlays = this.ownPauses = this.ownSeeks = 0;
    this.lastSeekOurs = false;
    this.engineRate = this.player.rate();
    this.report();
    this.apply();
  }

  start(): void {
    const p = this.player;
    this.unsubscribe = [
      p.on("play", () => this.onPlay()),
      p.on("pause", () => this.onPause()),
      p.on("seeking", () => this.onSeeking()),
      p.on("seeked", () => this.onSeeked()),
      p.on("ratechange", () => this.onRateChange()),
      p.on("waiting", () => this.onReadiness()),
      p.on("playing", () => this.onReadiness()),
      p.on("canplay", () => this.onReadiness()),
      p.on("adstart", () => this.checkAd()),
      p.on("adend", () => this.checkAd()),
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

  /** True while the user's own action awaits the party's answer (states wait for it). */
  get userActionPending(): boolean {
    return this.pending !== null;
  }

  /** Apply the party's current state now (called on every new state). */
  apply(): void {
    const state = this.party.playback;
    if (!state) return;
    if (this.inAd) {
      this.deferred = true; // applied when the ad ends
      return;
    }
    // A user action is on its way (or the player has started one whose events are still
    // queued): whatever arrives now must not undo it. Its answer applies the newest state.
    if (this.pending || this.userInterfering()) {
      this.deferred = true;
      return;
    }
    this.deferred = false;
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
    this.cancelStart();
    this.correcting = false;
    this.setRate(state.rate);
    const now = this.party.serverNow();
    if (state.status !== "playing") {
      this.holdAt(state.position);
      return;
    }
    if (isScheduled(state, now)) {
      this.startInStep(state.at, state.position);
      return;
    }
    // Under way already (a late state, a join, a rate change): a paused or far-off player
    // is started in step; a playing one near the party is left to the rate correction.
    const drift = this.player.position() - this.party.expectedPosition(now);
    if (this.player.paused() || !(Math.abs(drift) <= SEEK_THRESHOLD_S)) this.catchUp();
  }

  private cancelStart(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
    this.startAt = null;
  }

  /** Pause where the party will be a moment from now, and start when it gets there. */
  private catchUp(): void {
    if (this.player.ended() && this.party.expectedPosition() >= (this.party.playback.media.duration ?? Infinity)) return;
    const ahead = lookaheadFor(this.seekLatencyS, this.startLatencyS, !this.player.buffering());
    const at = this.party.serverNow() + ahead * 1000;
    this.startInStep(at, this.party.expectedPosition(at));
  }

  /**
   * Hold the player at `position` and start it so that its media clock moves at server
   * time `at`. A start that can no longer be made in time (the state came late: a long
   * path, a busy page) is moved to where the party will be a moment later, so a late
   * member starts at the position it should have reached rather than behind.
   */
  private startInStep(at: number, position: number): void {
    const now = this.party.serverNow();
    const mustSeek = !(Math.abs(this.player.position() - position) <= PAUSED_TOLERANCE_S);
    const budgetMs = ((mustSeek ? this.seekLatencyS : 0) + this.startLatencyS) * 1000;
    if (at - now < budgetMs) {
      at = now + lookaheadFor(this.seekLatencyS, this.startLatencyS, !this.player.buffering()) * 1000;
      position = this.party.expectedPosition(at);
    }
    this.holdAt(position);
    this.startAt = at;
    this.settleUntil = at + SETTLE_MS;
    this.stats.starts++;
    this.startTimer = setTimeout(() => this.startNow(), Math.max(0, at - now - this.startLatencyS * 1000));
  }

  private startNow(): void {
    this.startTimer = null;
    if (this.pending || this.party.playback.status !== "playing") return;
    if (this.player.paused()) this.doPlay();
  }

  /** Between planning a start and its moment: the player is held (or started early). */
  private holding(now: number): boolean {
    return this.startTimer !== null || (this.startAt !== null && now < this.startAt);
  }

  private holdAt(position: number): void {
    if (!this.player.paused()) this.doPause();
    if (!(Math.abs(this.player.position() - position) <= PAUSED_TOLERANCE_S)) this.seekTo(position);
  }

  /** Every TICK_MS: measure the drift and correct it, and report status now and then. */
  private tick(): void {
    const state = this.party.playback;
    if (!state) return;
    this.checkAd();
    this.sampleEdge(state.media.kind === "live");
    if (this.inAd) {
      // Suspended: nothing corrected, nothing forwarded; the party hears we are in an ad.
      if (this.party.serverNow() - this.lastStatusAt >= STATUS_INTERVAL_MS) this.report();
      return;
    }
    if (this.pending && performance.now() > this.pending.until) {
      // The answer never came: give up waiting for it and follow the party.
      this.pending = null;
      this.apply();
    }
    if (this.deferred && !this.pending && !this.userInterfering()) this.apply();
    const now = this.party.serverNow();
    // A live player whose program time is not known yet cannot be placed.
    const placeable = Number.isFinite(this.player.position());
    if (!this.pending && placeable && !this.loadingUrl && !this.userInterfering()) {
      if (state.status === "playing") {
        if (!this.holding(now)) this.correctPlaying(state.rate, now);
      } else {
        this.stats.drift = this.player.position() - state.position;
        if (!this.player.paused()) this.doPause();
      }
    }
    this.updateStall();
    if (now - this.lastStatusAt >= STATUS_INTERVAL_MS) this.report();
    else this.reportIfChanged(); // a stall is news at once: the party may wait for us
  }

  /** The user is doing something the player has not told us of yet (its events are queued). */
  private userInterfering(): boolean {
    if (this.player.seeking?.()) {
      if (!this.lastSeekOurs) return true;
      // Ours is under way, but the player is elsewhere: the user seeked after us.
      const live = this.party.playback?.media.kind === "live";
      const position = this.player.position();
      if (!live && Number.isFinite(position) && Math.abs(position - this.ownSeekTarget) > OWN_SEEK_TOLERANCE_S) return true;
    }
    return Math.abs(this.player.rate() - this.engineRate) > 1e-6;
  }

  private correctPlaying(baseRate: number, now: number): void {
    const player = this.player;
    if (player.ended()) return;
    if (this.startAt !== null) this.startAt = null; // its moment has come
    if (player.paused()) {
      // Paused while the party plays (a start that did not take, a play() refused):
      // start in step rather than late.
      this.catchUp();
      return;
    }
    if (player.buffering()) return; // nothing to correct while stalled; the party may wait
    if (player.seeking?.()) return; // our seek is landing
    const drift = player.position() - this.party.expectedPosition(now);
    this.stats.drift = drift;
    if (this.settleUntil) {
      if (now < this.settleUntil) return;
      this.settleUntil = 0;
      if (Math.abs(drift) < SEEK_THRESHOLD_S) {
        this.startLatencyS = learnStartLatency(this.startLatencyS, drift);
        this.stats.startLatencyMs = Math.round(this.startLatencyS * 1000);
      }
    }
    const step = correctionFor(drift, baseRate, this.correcting);
    if (step.seek) {
      this.correcting = false;
      this.setRate(baseRate);
      this.catchUp();
      return;
    }
    this.correcting = step.correcting;
    if (step.rate === null) return;
    if (step.correcting && Math.abs(this.player.rate() - step.rate) > 1e-6) this.stats.rateCorrections++;
    this.setRate(step.rate);
  }

  // ------------------------------------------------------------ driving the player
  private doPlay(): void {
    this.ownPlays++;
    this.ownPlaysSince = performance.now();
    void this.player.play().catch((err) => console.warn("socialsync: play() refused", err));
  }

  private doPause(): void {
    this.ownPauses++;
    this.ownPausesSince = performance.now();
    this.player.pause();
  }

  private seekTo(target: number): void {
    this.ownSeeks++;
    this.ownSeekTarget = target;
    this.ownSeekSince = performance.now();
    this.lastSeekOurs = true;
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

  private static consume(count: number, since: number): boolean {
    return count > 0 && performance.now() - since < OWN_EVENT_MS;
  }

  private onPlay(): void {
    this.checkAd(); // an adapter's ad may begin with this very event
    if (this.inAd) return;
    if (SyncEngine.consume(this.ownPlays, this.ownPlaysSince)) {
      this.ownPlays--;
      return;
    }
    this.ownPlays = 0;
    const state = this.party.playback;
    if (this.forwarding && state.status !== "playing") {
      this.userCommand("play", { position: this.player.position() });
    }
  }

  private onPause(): void {
    this.checkAd(); // an adapter's ad may begin with this very event
    if (this.inAd) return;
    if (SyncEngine.consume(this.ownPauses, this.ownPausesSince)) {
      this.ownPauses--;
      return;
    }
    this.ownPauses = 0;
    if (this.player.ended()) return; // the media ran out; not a user's pause
    const state = this.party.playback;
    if (this.forwarding && state.status === "playing") {
      this.userCommand("pause", { position: this.player.position() });
    }
  }

  private onSeeking(): void {
    this.checkAd(); // an adapter's ad may begin with this very event
    if (this.inAd) return;
    const position = this.player.position();
    if (SyncEngine.consume(this.ownSeeks, this.ownSeekSince)) {
      this.ownSeeks--;
      // Ours, unless the player is elsewhere than we sent it: then the user seeked
      // after us, and this event (whichever seek it was queued for) shows where to.
      const live = this.party.playback?.media.kind === "live";
      if (live || !Number.isFinite(position) || Math.abs(position - this.ownSeekTarget) <= OWN_SEEK_TOLERANCE_S) return;
    } else {
      this.ownSeeks = 0;
    }
    this.lastSeekOurs = false;
    if (!this.forwarding || !Number.isFinite(position)) return;
    // Scrubbing fires many seeks: send the last one. Until it is answered, the player
    // is the user's.
    this.userSeekTarget = position;
    this.cancelStart();
    this.pending = { action: "seek", until: performance.now() + USER_SEEK_DEBOUNCE_MS + USER_ACTION_TIMEOUT_MS };
    if (this.userSeekTimer) clearTimeout(this.userSeekTimer);
    this.userSeekTimer = setTimeout(() => {
      this.userSeekTimer = null;
      this.userCommand("seek", { position: this.userSeekTarget });
    }, USER_SEEK_DEBOUNCE_MS);
  }

  private onSeeked(): void {
    if (this.lastSeekOurs && this.ownSeeks === 0) {
      // Learn how long a seek takes, to size the next hold-and-start by it.
      const tookS = (performance.now() - this.ownSeekSince) / 1000;
      this.seekLatencyS = learnSeekLatency(this.seekLatencyS, tookS);
      this.stats.seekLatencyMs = Math.round(this.seekLatencyS * 1000);
    }
    this.onReadiness();
  }

  private onRateChange(): void {
    const rate = this.player.rate();
    if (Math.abs(rate - this.engineRate) < 1e-6) return;
    this.engineRate = rate;
    this.checkAd();
    if (this.inAd) return;
    if (this.forwarding && this.party.playback.rate !== rate && rate >= 0.25 && rate <= 4) {
      this.userCommand("rate", { rate });
    }
  }

  private userCommand(action: UserAction, fields: { position?: number; rate?: number }): void {
    const state = this.party.playback;
    if (fields.position !== undefined) {
      const duration = state.media.duration;
      fields.position = Math.max(0, duration !== undefined ? Math.min(fields.position, duration) : fields.position);
    }
    this.stats.userCommands++;
    this.cancelStart();
    const pending = { action, until: performance.now() + USER_ACTION_TIMEOUT_MS };
    this.pending = pending;
    this.party
      .control(action, fields)
      .catch((err) => {
        // Refused (no control rights, a conflict): the party's state stands.
        if (!(err instanceof SocialSyncError)) console.error("socialsync:", err);
      })
      .finally(() => {
        if (this.pending !== pending) return; // a later action of the user's is under way
        this.pending = null;
        this.apply();
      });
  }

  // ------------------------------------------------------------ status reports
  private onReadiness(): void {
    if (this.inAd) return;
    this.replanIfReady();
    this.updateStall();
    this.reportIfChanged();
  }

  /** A joiner holds long enough for its media to load; once the data is there, the start
   * moves as close as a player with data needs (a faster join). */
  private replanIfReady(): void {
    if (!this.startTimer || this.startAt === null || this.player.buffering()) return;
    const state = this.party.playback;
    if (state.status !== "playing" || isScheduled(state, this.party.serverNow())) return;
    const now = this.party.serverNow();
    const sooner = now + lookaheadFor(this.seekLatencyS, this.startLatencyS, true) * 1000;
    if (sooner < this.startAt - 50) {
      this.cancelStart();
      this.startInStep(sooner, this.party.expectedPosition(sooner));
    }
  }

  /** A stall: the player has no data while the party expects it to play (or to be ready
   * to, while waiting), not while it holds for a start of ours or follows the user. */
  private updateStall(): void {
    const state = this.party.playback;
    const now = this.party.serverNow();
    const expectsData = state.status === "waiting" || (state.status === "playing" && !this.holding(now));
    if (!expectsData || this.pending || !this.player.buffering()) this.stalledSince = null;
    else if (this.stalledSince === null) this.stalledSince = performance.now();
  }

  private buffering(): boolean {
    return this.stalledSince !== null && performance.now() - this.stalledSince >= STALL_REPORT_MS;
  }

  private reportIfChanged(): void {
    if (this.pending) return;
    if (this.buffering() !== this.stats.buffering) this.report();
    else if (this.edgeNews()) this.report();
  }

  private report(): void {
    const state = this.party.playback;
    if (!state || this.pending) return; // the player shows the user's action, not the party's state
    this.lastStatusAt = this.party.serverNow();
    this.stats.buffering = this.inAd ? false : this.buffering();
    // `ad` is said while in an ad, and until the party has heard that it ended.
    const extra: StatusExtra = this.inAd || this.adUnacknowledged ? { ad: this.inAd } : {};
    const inAd = this.inAd;
    const edge = this.edgeDelay();
    if (state.media.kind === "live" && edge !== null) {
      extra.edgeDelay = Math.round(edge * 10) / 10;
      this.stats.edgeDelay = extra.edgeDelay;
    }
    let position = this.player.position();
    if (!Number.isFinite(position)) {
      if (!this.inAd) return; // a live player not placed yet: nothing to say
      position = this.party.expectedPosition();
    }
    this.party
      .reportStatus(position, !this.player.paused(),
        this.stats.buffering, extra)
      .then(() => {
        if (!inAd && this.inAd === inAd) this.adUnacknowledged = false;
      })
      .catch(() => {}); // a lost report is replaced by the next one
  }

  /** Live media: how far behind wall-clock time the player's live edge is, now. */
  private sampleEdge(live: boolean): void {
    if (!live || !this.player.liveEdge) {
      this.edgeSamples = [];
      return;
    }
    const edge = this.player.liveEdge();
    const t = performance.now();
    if (edge != null && Number.isFinite(edge)) this.edgeSamples.push([t, this.party.serverNow() / 1000 - edge]);
    while (this.edgeSamples.length && this.edgeSamples[0][0] < t - EDGE_WINDOW_MS) this.edgeSamples.shift();
  }

  /** The largest edge delay over the window (s), or null while unknown. */
  private edgeDelay(): number | null {
    if (!this.edgeSamples.length) return null;
    return Math.max(0, ...this.edgeSamples.map(([, d]) => d));
  }

  /** The edge delay is new, or has grown or shrunk enough to tell the party at once. */
  private edgeNews(): boolean {
    if (this.party.playback?.media.kind !== "live") return false;
    const edge = this.edgeDelay();
    if (edge === null) return false;
    return this.stats.edgeDelay === null || Math.abs(edge - this.stats.edgeDelay) >= EDGE_REPORT_STEP_S;
  }

  /** Position error now, for tests and the widget: player minus party position. */
  currentDrift(): number {
    return this.player.position() - positionAt(this.party.playback, this.party.serverNow());
  }
}
