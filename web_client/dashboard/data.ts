/**
 * The dashboard's arithmetic, apart from the page (dashboard.test.ts): time ranges, the
 * resolution asked of the server, thinning long series for tables, the heatmap's shades,
 * and numbers in words.
 */
import type { I18n } from "../ui/i18n";
import type { DashboardKey } from "./messages/en";

type Words = Pick<I18n<DashboardKey>, "t" | "number" | "duration" | "dir">;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const RANGE_KEYS = ["h1", "h24", "d7", "d30", "d90", "custom"] as const;
export type RangeKey = (typeof RANGE_KEYS)[number];
/** How far back each preset reaches from the server's now. */
export const RANGE_MS: Record<Exclude<RangeKey, "custom">, number> = {
  h1: HOUR_MS, h24: DAY_MS, d7: 7 * DAY_MS, d30: 30 * DAY_MS, d90: 90 * DAY_MS,
};
/** The server answers at most this wide a range (docs/analytics.md). */
export const MAX_RANGE_MS = 400 * DAY_MS;

export interface Window {
  since: number;
  until: number;
}

/** A preset's window ending at `nowMs` (the server's now, not this browser's clock). */
export function presetWindow(key: Exclude<RangeKey, "custom">, nowMs: number): Window {
  return { since: Math.max(0, nowMs - RANGE_MS[key]), until: nowMs };
}

/** A custom window from two epoch ms (either may be NaN: not filled in); null when unusable. */
export function customWindow(since: number, until: number): Window | null {
  if (!Number.isFinite(since) || !Number.isFinite(until) || since < 0 || since >= until) return null;
  if (until - since > MAX_RANGE_MS) return { since: until - MAX_RANGE_MS, until };
  return { since, until };
}

/** Concurrency resolutions (s), finest first. */
export const STEPS_S = [60, 300, 900, 1800, 3600, 10_800, 21_600, 43_200, 86_400];
/** Points wanted on the concurrency chart, at most. */
export const MAX_POINTS = 200;

/** The finest step that draws a window in at most MAX_POINTS points. */
export function concurrencyStep(spanMs: number): number {
  for (const step of STEPS_S) if (spanMs / (step * 1000) <= MAX_POINTS) return step;
  return STEPS_S[STEPS_S.length - 1];
}

/** Heatmap resolutions (media s per bucket), finest first. */
export const BUCKETS_S = [5, 10, 15, 30, 60, 120, 300, 600];
/** Buckets across a media item's timeline, at most. */
export const MAX_BUCKETS = 120;

/** Seconds per heatmap bucket for media of this duration (unknown: 10). */
export function bucketFor(durationS: number | null | undefined): number {
  if (!durationS || durationS <= 0) return 10;
  for (const b of BUCKETS_S) if (durationS / b <= MAX_BUCKETS) return Math.max(b, 5);
  return BUCKETS_S[BUCKETS_S.length - 1];
}

/**
 * At most about `max` of `rows`, evenly: every k-th, and every row `keep` wants (the
 * intro second, a top moment). `every` is k.
 */
export function thin<T>(rows: readonly T[], max: number, keep: (row: T) => boolean = () => false): {
  rows: T[]; every: number;
} {
  const every = Math.max(1, Math.ceil(rows.length / Math.max(1, max)));
  return { rows: rows.filter((row, i) => i % every === 0 || keep(row)), every };
}

/** A heatmap cell's shade: 0 (nothing) to 1 (the row's most). */
export function shade(value: number, max: number): number {
  if (max <= 0 || value <= 0) return 0;
  return Math.min(1, value / max);
}

/** The colour of a shade: the surface when 0, then amber from faint to full. */
export function heatColor(level: number): string {
  if (level <= 0) return "rgba(59, 64, 76, 0.55)";
  const alpha = 0.18 + 0.82 * Math.min(1, level);
  return `rgba(245, 192, 74, ${alpha.toFixed(3)})`;
}

/** A length of time in words: "2 h 5 min", "4 min 10 s", "42 s". */
export function watchTime(seconds: number | null | undefined, i18n: Words): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return i18n.t("value.none");
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? i18n.t("duration.hm", { h, m }) : i18n.t("duration.h", { h });
  if (m > 0) return s > 0 ? i18n.t("duration.ms", { m, s }) : i18n.t("duration.m", { m });
  return i18n.t("duration.s", { s });
}

/** A share given in percent (62.5 -> "62.5%"), as the language writes it. */
export function percent(value: number | null | undefined, i18n: Words): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return i18n.t("value.none");
  return i18n.number(value / 100, { style: "percent", maximumFractionDigits: 1 });
}

/** A ratio (0.5 -> "50%"), or the dash when there is none (a first step, a step after 0). */
export function ratio(value: number | null | undefined, i18n: Words): string {
  return value === null || value === undefined ? i18n.t("value.none") : percent(value * 100, i18n);
}

/** A count or a mean, at most two decimals; the dash for none. */
export function amount(value: number | null | undefined, i18n: Words): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return i18n.t("value.none");
  return i18n.number(value, { maximumFractionDigits: 2 });
}

/** A step in whole units: "1 h", "15 min", "10 s" (else as a watch time). */
export function stepWords(seconds: number, i18n: Words): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return i18n.t("duration.h", { h: seconds / 3600 });
  if (seconds >= 60 && seconds % 60 === 0) return i18n.t("duration.m", { m: seconds / 60 });
  if (seconds < 60) return i18n.t("duration.s", { s: seconds });
  return watchTime(seconds, i18n);
}

export interface FunnelStep {
  step: string;
  count: number;
  conversion: number | null;
}

/**
 * Parts joined into one run that keeps the language's order: in a right-to-left language
 * the run is isolated right to left (U+2067 … U+2069), else its numbers and arrows,
 * which carry no direction of their own, would line up left to right inside the sentence.
 */
export function run(parts: readonly string[], separator: string, i18n: Words): string {
  const text = parts.join(separator);
  return i18n.dir === "rtl" && text ? `\u2067${text}\u2069` : text;
}

/** "Invites made 2 → Links opened 3 (150%) → …", in words. */
export function funnelWords(steps: readonly FunnelStep[], i18n: Words): string {
  return run(steps.map((s) => i18n.t("funnel.part", {
    step: i18n.t("funnel.step", { step: s.step }),
    count: s.count,
    hasConversion: s.conversion === null ? "no" : "yes",
    conversion: ratio(s.conversion, i18n),
  })), i18n.t("list.arrow"), i18n);
}

/** A round step of media time for at most 8 ticks over `lengthS`. */
export function mediaStep(lengthS: number): number {
  for (const step of [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]) if (lengthS / step <= 8) return step;
  return Math.ceil(lengthS / 8 / 3600) * 3600;
}

/** A category label in lines of about `width` characters (Chart.js draws an array as lines). */
export function wrap(label: string, width = 16): string | string[] {
  const words = label.split(/\s+/u);
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last !== null && Array.from(`${last} ${word}`).length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.length > 1 ? lines : label;
}
