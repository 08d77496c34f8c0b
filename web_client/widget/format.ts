import { SocialSyncError, type Member } from "../src/index";

/** Positions above this are live program times (epoch seconds), not media times. */
const PROGRAM_TIME_S = 1e8;

/** 75 -> "1:15", 3675 -> "1:01:15"; a live program time -> the local clock time. */
export function formatMediaTime(seconds: number): string {
  if (seconds >= PROGRAM_TIME_S) {
    return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function formatClock(localMs: number): string {
  return new Date(localMs).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Length as the server counts it: Unicode code points of the trimmed text. */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text.trim()) n++;
  return n;
}

export function snippet(text: string, max = 80): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "…";
}

/** A member's standing as the server sees it (the member's `sync`, protocol 4.3). */
export type SyncStatus = Member["sync"];

export function syncStatus(member: Member): SyncStatus {
  // A server before protocol 4.3's `sync` sent only the flags.
  if (member.sync) return member.sync;
  if (!member.connected) return "away";
  if (member.buffering) return "loading";
  return member.in_sync ? "in_sync" : "catching_up";
}

/** Plain words for viewers: where a member stands, never a number of milliseconds. */
export const SYNC_LABEL: Record<SyncStatus, string> = {
  in_sync: "in sync",
  catching_up: "catching up",
  loading: "loading",
  in_ad: "in an ad",
  away: "reconnecting",
};

/** This player's own standing, from the sync engine's drift (s): the same words. */
export const OWN_IN_SYNC_S = 0.1;
export function ownSyncLabel(driftS: number, buffering: boolean, inAd = false): string {
  if (inAd) return "in an ad";
  if (buffering) return "loading";
  return Math.abs(driftS) <= OWN_IN_SYNC_S ? "in sync" : "catching up";
}

/** A refusal from the server, in words for the person who caused it. */
export function describeError(err: unknown, what: string): string {
  if (!(err instanceof SocialSyncError)) return `Could not ${what}. Please try again.`;
  switch (err.code) {
    case "rate_limited": {
      const wait = err.retryAfter !== undefined ? Math.max(1, Math.ceil(err.retryAfter)) : 1;
      return `Slow down: you can ${what} again in ${wait} s.`;
    }
    case "moderated":
      return "Your message was not accepted by the moderator.";
    case "too_large":
      return "That is too long: 500 characters at most.";
    case "forbidden":
      return `You are not allowed to ${what} here.`;
    case "not_found":
      return "This party no longer exists.";
    case "unavailable":
      return `Could not ${what}: the connection is down or the server is busy. Try again in a moment.`;
    case "bad_request":
      return `Could not ${what}: ${err.message.replace(/^bad_request: /, "")}`;
    default:
      return `Could not ${what} (${err.code}).`;
  }
}
