import { SocialSyncError, type Member } from "../src/index";
import type { WidgetI18n, WidgetKey } from "./i18n";

/** Positions above this are live program times (epoch seconds), not media times. */
const PROGRAM_TIME_S = 1e8;

/** 75 -> "1:15", 3675 -> "1:01:15"; a live program time -> the local clock time. */
export function formatMediaTime(seconds: number, i18n: WidgetI18n): string {
  if (seconds >= PROGRAM_TIME_S) return i18n.time(seconds * 1000, true);
  return i18n.duration(seconds);
}

export function formatClock(localMs: number, i18n: WidgetI18n): string {
  return i18n.time(localMs);
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
export const SYNC_KEY: Record<SyncStatus, WidgetKey> = {
  in_sync: "sync.in_sync",
  catching_up: "sync.catching_up",
  loading: "sync.loading",
  in_ad: "sync.in_ad",
  away: "sync.away",
};

/** This player's own standing, from the sync engine's drift (s), in the same words. */
export const OWN_IN_SYNC_S = 0.1;
export function ownSyncStatus(driftS: number, buffering: boolean, inAd = false): SyncStatus {
  if (inAd) return "in_ad";
  if (buffering) return "loading";
  return Math.abs(driftS) <= OWN_IN_SYNC_S ? "in_sync" : "catching_up";
}

/** What the person was doing when refused: picks the words of a refusal. */
export type Doing = "react" | "send" | "seek" | "report" | "roles" | "settings" | "other";

/** A refusal from the server, in words for the person who caused it. */
export function describeError(err: unknown, doing: Doing, i18n: WidgetI18n): string {
  if (!(err instanceof SocialSyncError)) return i18n.t("error.other", { doing });
  switch (err.code) {
    case "rate_limited": {
      const seconds = err.retryAfter !== undefined ? Math.max(1, Math.ceil(err.retryAfter)) : 1;
      return i18n.t("error.rate_limited", { seconds });
    }
    case "moderated":
      return i18n.t("error.moderated");
    case "too_large":
      return i18n.t("error.too_large", { max: 500 });
    case "forbidden":
      return i18n.t("error.forbidden", { doing });
    case "not_found":
      return i18n.t("error.not_found");
    case "unavailable":
      return i18n.t("error.unavailable");
    case "bad_request":
      return i18n.t("error.bad_request", { detail: err.message.replace(/^bad_request: /, "") });
    default:
      return i18n.t("error.code", { code: err.code });
  }
}
