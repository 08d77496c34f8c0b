import { SocialSyncError } from "../src/index";
import type { UserRef } from "./types";

/** A refusal in words, with the wire code kept visible for moderators ("forbidden"). */
export function describeError(err: unknown): string {
  if (!(err instanceof SocialSyncError)) return err instanceof Error ? err.message : String(err);
  const detail = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
  let text = detail && detail !== err.code ? `${detail} (${err.code})` : err.code;
  if (err.retryAfter !== undefined) text += ` Try again in ${Math.max(1, Math.ceil(err.retryAfter))} s.`;
  return text;
}

export function formatClock(localMs: number): string {
  return new Date(localMs).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDateTime(localMs: number): string {
  return new Date(localMs).toLocaleString([], {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

/** 60 -> "60 s", 600 -> "10 min", 3600 -> "1 h", 86400 -> "1 day". */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export function roomTypeLabel(type: string | undefined): string {
  if (type === "live_room") return "Live room";
  if (type === "watch_party") return "Watch party";
  return type ?? "Room";
}

export function userLabel(user: string | UserRef | null | undefined): string {
  if (!user) return "";
  if (typeof user === "string") return user;
  return user.name && user.name !== user.id ? `${user.name} (${user.id})` : user.id;
}

/** An audit entry's details as "key: value" pairs, objects as JSON. */
export function formatDetails(details: Record<string, unknown> | null | undefined): string {
  if (!details) return "";
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
