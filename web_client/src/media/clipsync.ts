/**
 * Where a reaction clip should be while the content plays: pure arithmetic, shared by
 * the widget's picture-in-picture player and its tests.
 *
 * A clip recorded at media time T shows, at content position P, its frame P - T: it
 * plays while T <= P < T + duration, on the same media only, paused while the content
 * is paused, and it is sought back into line when it drifts by more than a threshold
 * (small drifts are left alone: a seek costs a visible stall).
 */

/** A clip is sought when it is further than this from where it should be. */
export const CLIP_DRIFT_S = 0.25;

export interface ClipTiming {
  media_url: string;
  media_time: number;
  duration: number;
}

export interface ContentNow {
  mediaUrl: string;
  position: number;
  playing: boolean;
}

/** Where the clip should be now (seconds into it), or null when it should not show. */
export function clipTimeAt(clip: ClipTiming, content: ContentNow): number | null {
  if (clip.media_url !== content.mediaUrl) return null;
  const at = content.position - clip.media_time;
  return at >= 0 && at < clip.duration ? at : null;
}

export type ClipAction =
  | { kind: "hide" }
  | { kind: "show"; seekTo: number | null; play: boolean };

/**
 * What to do with a clip's <video> now: hide it (out of its span, or another media),
 * or show it, seeking when it is off by more than `driftS`, playing or paused like the
 * content. `current` is the clip video's currentTime (null if not shown yet).
 */
export function clipAction(
  clip: ClipTiming, content: ContentNow, current: number | null, driftS = CLIP_DRIFT_S,
): ClipAction {
  const wanted = clipTimeAt(clip, content);
  if (wanted === null) return { kind: "hide" };
  const off = current === null ? Infinity : Math.abs(current - wanted);
  return { kind: "show", seekTo: off > driftS ? wanted : null, play: content.playing };
}

/** The clip that should show now among several (the one that started last wins). */
export function activeClip<T extends ClipTiming>(clips: Iterable<T>, content: ContentNow): T | null {
  let best: T | null = null;
  for (const clip of clips) {
    if (clipTimeAt(clip, content) === null) continue;
    if (!best || clip.media_time > best.media_time) best = clip;
  }
  return best;
}
