import type { Media } from "../protocol/types";

export type PlayerEvent =
  | "play" | "pause" | "seeking" | "seeked" | "waiting" | "playing" | "ratechange" | "ended" | "canplay"
  // An ad or interstitial began or ended (optional: adapters that know of ads fire them;
  // `inAd()` is polled too).
  | "adstart" | "adend";

/**
 * What the sync engine needs from a player. Write one small class like
 * MediaElementPlayer to plug in Shaka, video.js or a TV's native player.
 * Positions are seconds: media time for VOD, program time (epoch seconds) for live.
 */
export interface PlayerAdapter {
  position(): number;
  paused(): boolean;
  /** True when the player cannot play on for lack of data. */
  buffering(): boolean;
  ended(): boolean;
  rate(): number;
  play(): Promise<void>;
  pause(): void;
  seek(position: number): void;
  setRate(rate: number): void;
  /** True while a seek is under way (HTMLMediaElement.seeking). Optional, but without it
   * a user's seek made just before an engine's correction can be overtaken by it. */
  seeking?(): boolean;
  /** Subscribe to a player event; returns the function that unsubscribes. */
  on(event: PlayerEvent, fn: () => void): () => void;
  /** Switch to other media (the party's `load`); optional. */
  load?(media: Media): Promise<void>;
  /** The URL now playing, to tell whether a state's media needs loading. */
  currentUrl?(): string | null;
  /** Told whether the party's media is live, so positions mean program time. */
  setLive?(live: boolean): void;
  /** True while the player shows an ad or interstitial (client-side, or a server-side
   * inserted one it knows of): the engine suspends sync (no corrections, no commands, never
   * waited for) and, when it ends, starts the player in step at the party's position. */
  inAd?(): boolean;
  /** Live media: the program time (epoch s) of the newest media the player can play (its
   * live edge), or null while unknown. The party's shared delay is fitted to it. */
  liveEdge?(): number | null;
}

export interface MediaElementOptions {
  /** For live media: the program time (epoch seconds) at the playhead, e.g. from hls.js
   * `hls.playingDate`, or null while unknown. Without it positions are media time. */
  programTime?: () => number | null;
  /** Loads another media into the element (e.g. through hls.js for .m3u8). */
  load?: (media: Media) => Promise<void>;
  /** True while an ad or interstitial plays (e.g. from your ad SDK's events). Fire the
   * element's `adstart`/`adend` events as well for an immediate reaction. */
  inAd?: () => boolean;
  /** Live media: the program time (epoch s) of the live edge. Default: the program time
   * at the playhead plus the distance to the end of the element's seekable range. */
  liveEdge?: () => number | null;
}

/** The adapter for any HTMLMediaElement (<video>, <audio>), native or MSE-backed. */
export class MediaElementPlayer implements PlayerAdapter {
  private lastUrl: string | null = null;
  private live = false;

  constructor(readonly element: HTMLMediaElement, private readonly options: MediaElementOptions = {}) {}

  setLive(live: boolean): void {
    this.live = live;
  }

  position(): number {
    if (!this.live || !this.options.programTime) return this.element.currentTime;
    // Live, but the program time is not known yet: no position (NaN), not media time,
    // which the engine would compare with epoch seconds.
    return this.options.programTime() ?? NaN;
  }

  paused(): boolean {
    return this.element.paused;
  }

  buffering(): boolean {
    // HAVE_FUTURE_DATA: enough to play on from here.
    return !this.element.ended && this.element.readyState < HTMLMediaElement.HAVE_FUTURE_DATA;
  }

  ended(): boolean {
    return this.element.ended;
  }

  seeking(): boolean {
    return this.element.seeking;
  }

  inAd(): boolean {
    return this.options.inAd?.() ?? false;
  }

  liveEdge(): number | null {
    if (!this.live || !this.options.programTime) return null;
    if (this.options.liveEdge) return this.options.liveEdge();
    const program = this.options.programTime();
    const seekable = this.element.seekable;
    if (program == null || seekable.length === 0) return null;
    const end = seekable.end(seekable.length - 1);
    return Number.isFinite(end) ? program + (end - this.element.currentTime) : null;
  }

  rate(): number {
    return this.element.playbackRate;
  }

  async play(): Promise<void> {
    try {
      await this.element.play();
    } catch (err) {
      // A play() interrupted by a pause() or a new load is not a failure of ours.
      if ((err as DOMException)?.name !== "AbortError") throw err;
    }
  }

  pause(): void {
    this.element.pause();
  }

  seek(position: number): void {
    if (!this.live || !this.options.programTime) {
      this.element.currentTime = Math.max(0, position);
      return;
    }
    const program = this.options.programTime();
    if (program == null) return; // not known yet: nothing to measure the move against
    // Live: move the playhead by the distance in program time.
    this.element.currentTime = Math.max(0, this.element.currentTime + (position - program));
  }

  setRate(rate: number): void {
    this.element.playbackRate = rate;
  }

  on(event: PlayerEvent, fn: () => void): () => void {
    this.element.addEventListener(event, fn);
    return () => this.element.removeEventListener(event, fn);
  }

  async load(media: Media): Promise<void> {
    this.lastUrl = media.url;
    if (this.options.load) return this.options.load(media);
    this.element.src = media.url;
  }

  currentUrl(): string | null {
    return this.lastUrl ?? (this.element.currentSrc || this.element.src || null);
  }
}
