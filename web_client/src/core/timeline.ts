import type { PlayerAdapter, PlayerEvent } from "./player";
import type { Media } from "../protocol/types";

/**
 * The player as the sync engine sees it: on the party's timeline. A member whose stream
 * differs from the others' by a constant (a longer pre-roll stitched into its stream, a
 * regional version, program dates off by a second) sets its timeline offset: player time
 * = party position + offset (seconds). Every position the engine reads, every seek it
 * makes, every user action it forwards and every live edge it reports goes through here.
 */
export class PartyTimeline implements PlayerAdapter {
  offset: number;
  readonly seeking?: () => boolean;
  readonly load?: (media: Media) => Promise<void>;
  readonly currentUrl?: () => string | null;
  readonly setLive?: (live: boolean) => void;
  readonly inAd?: () => boolean;
  readonly liveEdge?: () => number | null;

  constructor(readonly inner: PlayerAdapter, offset = 0) {
    this.offset = offset;
    if (inner.seeking) this.seeking = () => inner.seeking!();
    if (inner.load) this.load = (media) => inner.load!(media);
    if (inner.currentUrl) this.currentUrl = () => inner.currentUrl!();
    if (inner.setLive) this.setLive = (live) => inner.setLive!(live);
    if (inner.inAd) this.inAd = () => inner.inAd!();
    if (inner.liveEdge) {
      this.liveEdge = () => {
        const edge = inner.liveEdge!();
        return edge == null ? null : edge - this.offset;
      };
    }
  }

  position(): number { return this.inner.position() - this.offset; }
  seek(position: number): void { this.inner.seek(position + this.offset); }
  paused(): boolean { return this.inner.paused(); }
  buffering(): boolean { return this.inner.buffering(); }
  ended(): boolean { return this.inner.ended(); }
  rate(): number { return this.inner.rate(); }
  play(): Promise<void> { return this.inner.play(); }
  pause(): void { this.inner.pause(); }
  setRate(rate: number): void { this.inner.setRate(rate); }
  on(event: PlayerEvent, fn: () => void): () => void { return this.inner.on(event, fn); }
}
