import { SocialSyncError } from "../src/index";
import { i18n, t } from "./i18n";
import type { UserRef } from "./types";

/** A refusal in words, with the wire code kept visible for moderators ("forbidden"). The
 * detail is the server's own sentence (English). */
export function describeError(err: unknown): string {
  if (!(err instanceof SocialSyncError)) return err instanceof Error ? err.message : String(err);
  const detail = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
  let text = detail && detail !== err.code ? `${detail} (${err.code})` : err.code;
  if (err.retryAfter !== undefined) text += ` ${t("error.retry_in", { seconds: Math.max(1, Math.ceil(err.retryAfter)) })}`;
  return text;
}

/** A time of day, with seconds, as this language writes it. */
export function formatClock(localMs: number): string {
  return i18n.time(localMs, true);
}

/** Today: the time; another day: the date and the time. */
export function formatDateTime(localMs: number): string {
  return i18n.when(localMs);
}

/** A <time> element: the local time in words, the full date in its tooltip. */
export function timeAttrs(localMs: number): { datetime: string; title: string } {
  return { datetime: new Date(localMs).toISOString(), title: i18n.full(localMs) };
}

/** 60 -> "60 s", 600 -> "10 min", 3600 -> "1 h", 86400 -> "1 day". */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return t("duration.seconds", { n: seconds });
  if (seconds < 7200) return t("duration.minutes", { n: Math.round(seconds / 60) });
  if (seconds < 172800) return t("duration.hours", { n: Math.round(seconds / 3600) });
  return t("duration.days", { n: Math.round(seconds / 86400) });
}

export function roomTypeLabel(type: string | undefined): string {
  return t("room.type", { type: type ?? "other" });
}

export function userLabel(user: string | UserRef | null | undefined): string {
  if (!user) return "";
  if (typeof user === "string") return user;
  return user.name && user.name !== user.id ? `${user.name} (${user.id})` : user.id;
}
