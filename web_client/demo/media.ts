/**
 * The demo's video element: MP4 natively, HLS through hls.js where MSE exists (else the
 * browser's own HLS, as on Safari/iOS), and live program time for live media.
 */
import Hls from "hls.js";
import { MediaElementPlayer, type Media } from "../src/index";

const METADATA_TIMEOUT_MS = 15_000;
const PROGRAM_TIME_TIMEOUT_MS = 10_000;

/** What went wrong with the media, for the page to say in its language. */
export type MediaProblem =
  | { kind: "media"; code: number }
  | { kind: "stream"; detail: string }
  | { kind: "no_program_dates" };

export function isHlsUrl(url: string): boolean {
  try {
    return /\.m3u8$/i.test(new URL(url, location.href).pathname);
  } catch {
    return false;
  }
}

export class DemoPlayer {
  readonly adapter: MediaElementPlayer;
  private hls: Hls | null = null;
  private media: Media | null = null;

  constructor(readonly video: HTMLVideoElement, private readonly onError: (problem: MediaProblem) => void) {
    this.adapter = new MediaElementPlayer(video, {
      load: (media) => this.load(media),
      programTime: () => this.programTime(),
    });
    video.addEventListener("error", () => {
      if (this.hls) return; // hls.js reports its own errors
      const code = video.error?.code;
      if (code && code !== MediaError.MEDIA_ERR_ABORTED) this.onError({ kind: "media", code });
    });
  }

  /** Load other media; resolves once it can be positioned (or has failed: errors are shown, never thrown,
   * so that the sync engine goes on with the next state). */
  async load(media: Media): Promise<void> {
    this.media = media;
    this.destroyHls();
    const ready = this.whenMetadata();
    if (isHlsUrl(media.url) && Hls.isSupported()) {
      const hls = new Hls({ enableWorker: true });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal || this.hls !== hls) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          this.onError({ kind: "stream", detail: String(data.details) });
          this.destroyHls();
        }
      });
      hls.loadSource(media.url);
      hls.attachMedia(this.video);
    } else {
      this.video.src = media.url;
    }
    await ready;
    if (media.kind === "live") {
      await this.until(() => this.programTime() !== null, PROGRAM_TIME_TIMEOUT_MS);
      if (this.media === media && this.programTime() === null) {
        this.onError({ kind: "no_program_dates" });
      }
    }
  }

  /** Live media: the program time (epoch seconds) at the playhead, or null while unknown. */
  programTime(): number | null {
    if (this.media?.kind !== "live") return null;
    const hls = this.hls;
    if (hls) {
      if (hls.playingDate) return hls.playingDate.getTime() / 1000;
      // Before playback has reached a fragment: from the playlist's program dates.
      const fragment = hls.latestLevelDetails?.fragments.find((f) => f.programDateTime !== null);
      if (fragment?.programDateTime != null) {
        return fragment.programDateTime / 1000 + (this.video.currentTime - fragment.start);
      }
      return null;
    }
    // Safari's native HLS exposes the program date of media time 0.
    const start = (this.video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.();
    const startMs = start?.getTime();
    return startMs !== undefined && Number.isFinite(startMs) ? startMs / 1000 + this.video.currentTime : null;
  }

  destroy(): void {
    this.destroyHls();
  }

  private destroyHls(): void {
    const hls = this.hls;
    this.hls = null;
    hls?.destroy();
  }

  private whenMetadata(): Promise<void> {
    return new Promise((resolve) => {
      const video = this.video;
      const done = () => {
        clearTimeout(timer);
        video.removeEventListener("loadedmetadata", done);
        video.removeEventListener("error", done);
        resolve();
      };
      const timer = setTimeout(done, METADATA_TIMEOUT_MS);
      video.addEventListener("loadedmetadata", done);
      video.addEventListener("error", done);
    });
  }

  private until(condition: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const started = performance.now();
      const check = () => {
        if (condition() || performance.now() - started > timeoutMs) resolve();
        else setTimeout(check, 100);
      };
      check();
    });
  }
}
