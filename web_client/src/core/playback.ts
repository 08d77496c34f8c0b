import type { PlaybackState } from "../protocol/types";

/** The media position, in seconds, that a playback state gives for server time `serverMs`. */
export function positionAt(state: PlaybackState, serverMs: number): number {
  let position = state.position;
  if (state.status === "playing" && serverMs > state.at) {
    position += (state.rate * (serverMs - state.at)) / 1000;
  }
  const duration = state.media.duration;
  return duration !== undefined && position > duration ? duration : position;
}

/** True while a scheduled start has not yet come: the player holds at `position`. */
export function isScheduled(state: PlaybackState, serverMs: number): boolean {
  return state.status === "playing" && serverMs < state.at;
}
