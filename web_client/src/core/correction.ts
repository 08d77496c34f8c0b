/**
 * The sync engine's arithmetic: what to do about a playing player that is off the
 * party's position, and how the engine learns its players' latencies. Pure functions
 * of their arguments (no clock, no player), so they are tested on their own.
 *
 * Drift correction constants. Chosen by measurement in headless Chromium on this
 * project's test clips (25 fps H.264, loopback), see docs/sync.md:
 * - Below RATE_START_S nothing is done: half a frame at 25 fps. Each member is left
 *   anywhere within this band, so two members can be twice it apart: at 30 ms (a frame)
 *   pairs of four members on network paths were 40-60 ms apart at the 95th percentile
 *   (docs/sync.md), so the band is 20 ms. Correction stops once the error is under
 *   RATE_STOP_S (hysteresis, so the rate does not flap).
 * - The rate nudge cancels the error over CORRECTION_HORIZON_S, bounded by
 *   MAX_RATE_NUDGE: +-10 % is hardly audible with pitch preservation (Chromium's default)
 *   and absorbs 100 ms in 1 s.
 * - Beyond SEEK_THRESHOLD_S a seek is cheaper: at 8 % it would take >6 s to close.
 *   A seek while playing lands late by the time the seek takes, so the target is
 *   led by an estimate of that time (an average of the seeks measured so far).
 */
export const RATE_START_S = 0.02;
export const RATE_STOP_S = 0.008;
export const CORRECTION_HORIZON_S = 1.0;
export const MAX_RATE_NUDGE = 0.1;
export const RATE_STEP = 0.02;
export const SEEK_THRESHOLD_S = 0.5;
/** Paused or waiting players further than this from the position are moved to it
 * (a quarter of a frame: a paused seek is cheap and lands exactly). */
export const PAUSED_TOLERANCE_S = 0.01;
/** A player's media clock starts moving some time after play(); measured in Chromium
 * at 60-70 ms. Scheduled starts call play() that much early; the engine keeps
 * learning the figure from how far off each start lands. */
export const INITIAL_START_LATENCY_S = 0.06;
/** The most play() is ever called ahead of a scheduled start. */
export const MAX_START_LATENCY_S = 0.3;
/** What a seek while playing is assumed to take before one has been measured, and the most. */
export const INITIAL_SEEK_LATENCY_S = 0.1;
export const MAX_SEEK_LATENCY_S = 1;

/** One correction step for a playing player. */
export interface Correction {
  /** Seek to the party's position (led by the seek latency) first. */
  seek: boolean;
  /** The rate to play at now (the party's, or the party's nudged), or null: leave it. */
  rate: number | null;
  /** Whether a rate correction is under way after this step. */
  correcting: boolean;
}

/**
 * The relative rate change that closes `driftS` (player minus party, + ahead) over
 * CORRECTION_HORIZON_S, bounded by MAX_RATE_NUDGE, in whole RATE_STEPs (at least one):
 * every playbackRate change makes the media pipeline re-time its audio, so fewer,
 * coarser changes keep playback smoother.
 */
export function rateNudge(driftS: number): number {
  const wanted = Math.max(-MAX_RATE_NUDGE, Math.min(MAX_RATE_NUDGE, -driftS / CORRECTION_HORIZON_S));
  return Math.round(wanted / RATE_STEP) * RATE_STEP || Math.sign(wanted) * RATE_STEP;
}

/**
 * What to do about a playing player `driftS` seconds off the party (+ ahead) whose
 * party rate is `baseRate`, `correcting` telling whether a rate correction is under
 * way: seek beyond SEEK_THRESHOLD_S; nudge the rate beyond RATE_START_S (or, while
 * correcting, until under RATE_STOP_S); else back to the party's rate.
 */
export function correctionFor(driftS: number, baseRate: number, correcting: boolean): Correction {
  const size = Math.abs(driftS);
  if (size > SEEK_THRESHOLD_S) return { seek: true, rate: baseRate, correcting: false };
  if (size > RATE_START_S || (correcting && size > RATE_STOP_S)) {
    return { seek: false, rate: baseRate * (1 + rateNudge(driftS)), correcting: true };
  }
  return { seek: false, rate: correcting ? baseRate : null, correcting: false };
}

/** The start latency learnt from a scheduled start that landed `driftS` off (late is
 * negative: play() needs calling earlier next time), within 0..MAX_START_LATENCY_S. */
export function learnStartLatency(latencyS: number, driftS: number): number {
  return Math.max(0, Math.min(MAX_START_LATENCY_S, latencyS - 0.5 * driftS));
}

/**
 * Hold-and-start: a player that is paused while the party plays (a joiner, a state that
 * came late, a drift beyond SEEK_THRESHOLD_S) is not seeked to where the party is now
 * (it would land late by however long the seek and the start take). It is seeked, paused,
 * to where the party will be `lookahead` seconds from now, and started when the party
 * gets there: the start is as exact as a scheduled one. The lookahead covers the seek and
 * the start: twice the learnt seek time plus the start latency, at least MIN_LOOKAHEAD_S;
 * a player that has no data yet (a joiner) gets JOIN_LOOKAHEAD_S.
 */
export const MIN_LOOKAHEAD_S = 0.25;
export const JOIN_LOOKAHEAD_S = 1.0;
export const MAX_LOOKAHEAD_S = 1.5;

export function lookaheadFor(seekLatencyS: number, startLatencyS: number, hasData: boolean): number {
  if (!hasData) return JOIN_LOOKAHEAD_S;
  return Math.max(MIN_LOOKAHEAD_S, Math.min(MAX_LOOKAHEAD_S, 2 * seekLatencyS + startLatencyS));
}

/** The seek latency learnt from one more seek that took `tookS` (a moving average). */
export function learnSeekLatency(latencyS: number, tookS: number): number {
  return Math.min(MAX_SEEK_LATENCY_S, 0.7 * latencyS + 0.3 * tookS);
}
