/**
 * Message catalogues for the widget and the moderation panel: ICU MessageFormat
 * (intl-messageformat), one catalogue per language with the English one's keys and
 * arguments (test/catalogues.test.ts checks it), dates and numbers through Intl.
 *
 * A message is looked up by key; a catalogue missing one (it cannot ship that way)
 * falls back to English, never to the key.
 */
import { IntlMessageFormat } from "intl-messageformat";

export type Messages<K extends string> = Readonly<Record<K, string>>;
export type Values = Record<string, string | number | Date | null | undefined>;

/** Languages written right to left (by their primary subtag), for engines without Intl.Locale#getTextInfo. */
const RTL = new Set(["ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"]);

export function directionOf(locale: string): "ltr" | "rtl" {
  try {
    const loc = new Intl.Locale(locale) as Intl.Locale & {
      getTextInfo?: () => { direction?: string };
      textInfo?: { direction?: string };
    };
    const direction = loc.getTextInfo?.().direction ?? loc.textInfo?.direction;
    if (direction === "rtl" || direction === "ltr") return direction;
  } catch {
    // not a valid tag: decide by its first subtag
  }
  return RTL.has(locale.split(/[-_]/)[0].toLowerCase()) ? "rtl" : "ltr";
}

/** The languages this browser asks for, most wanted first. */
export function browserLocales(): string[] {
  if (typeof navigator === "undefined") return [];
  const list = navigator.languages?.length ? navigator.languages : [navigator.language];
  return list.filter((tag): tag is string => typeof tag === "string" && tag.length > 0);
}

/**
 * The first of `wanted` (most wanted first; empty entries skipped) that `available` has:
 * the exact tag, else its language ("fr-CA" -> "fr"), else `fallback`.
 */
export function negotiate(wanted: ReadonlyArray<string | null | undefined>, available: readonly string[],
  fallback = "en"): string {
  const lower = new Map(available.map((tag) => [tag.toLowerCase(), tag]));
  for (const tag of wanted) {
    if (!tag) continue;
    const want = tag.trim().replace(/_/g, "-").toLowerCase();
    const exact = lower.get(want);
    if (exact) return exact;
    const language = lower.get(want.split("-")[0]);
    if (language) return language;
  }
  return fallback;
}

/** One language's messages and formats. */
export class I18n<K extends string> {
  readonly dir: "ltr" | "rtl";
  private readonly formats = new Map<K, IntlMessageFormat>();
  /** By message: the arguments that are put in as text (not chosen on), for bidi isolation. */
  private readonly textArgs = new Map<K, Set<string>>();
  private readonly numbers = new Map<string, Intl.NumberFormat>();
  private readonly dates = new Map<string, Intl.DateTimeFormat>();

  constructor(
    readonly locale: string,
    private readonly messages: Messages<K>,
    private readonly fallback: Messages<K>,
  ) {
    this.dir = directionOf(locale);
  }

  /** The message `key` with `values` filled in. */
  t = (key: K, values?: Values): string => {
    let format = this.formats.get(key);
    if (!format) {
      const own = this.messages[key];
      format = new IntlMessageFormat(own ?? this.fallback[key] ?? key, own !== undefined ? this.locale : "en");
      this.formats.set(key, format);
    }
    let args = values as Record<string, string | number | Date> | undefined;
    if (args && this.dir === "rtl") {
      // Names and titles in Latin script must not reorder the sentence around them:
      // each text argument is isolated (FSI … PDI), as Unicode's bidi rules advise.
      let names = this.textArgs.get(key);
      if (!names) this.textArgs.set(key, (names = textArguments(format)));
      args = { ...args };
      for (const name of names) {
        const value = args[name];
        if (typeof value === "string" && value) args[name] = `\u2068${value}\u2069`;
      }
    }
    const out = format.format(args);
    return Array.isArray(out) ? out.join("") : String(out);
  };

  number(value: number, options: Intl.NumberFormatOptions = {}): string {
    const key = JSON.stringify(options);
    let format = this.numbers.get(key);
    if (!format) this.numbers.set(key, (format = new Intl.NumberFormat(this.locale, options)));
    return format.format(value);
  }

  /** A date and/or time (epoch ms) in this language's way. */
  date(ms: number, options: Intl.DateTimeFormatOptions): string {
    const key = JSON.stringify(options);
    let format = this.dates.get(key);
    if (!format) this.dates.set(key, (format = new Intl.DateTimeFormat(this.locale, options)));
    return format.format(new Date(ms));
  }

  /** 14:05 (or 2:05 PM), as the language writes a time of day. */
  time(ms: number, seconds = false): string {
    return this.date(ms, seconds ? { hour: "numeric", minute: "2-digit", second: "2-digit" }
      : { hour: "numeric", minute: "2-digit" });
  }

  /** The time of day if `ms` is today, else the date and the time. */
  when(ms: number, now = Date.now()): string {
    const same = new Date(ms).toDateString() === new Date(now).toDateString();
    return same ? this.time(ms, true)
      : this.date(ms, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit" });
  }

  /** The full date and time with the time zone, for a tooltip. */
  full(ms: number): string {
    return this.date(ms, { dateStyle: "full", timeStyle: "long" } as Intl.DateTimeFormatOptions);
  }

  /** 75 -> "1:15", 3675 -> "1:01:15", with this language's digits. */
  duration(seconds: number): string {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const two = (n: number) => this.number(n, { minimumIntegerDigits: 2, useGrouping: false });
    const one = (n: number) => this.number(n, { useGrouping: false });
    return h > 0 ? `${one(h)}:${two(m)}:${two(s)}` : `${one(m)}:${two(s)}`;
  }
}

interface AstNode {
  type: number;
  value?: string;
  options?: Record<string, { value: AstNode[] }>;
  children?: AstNode[];
}
/** intl-messageformat's AST kind of a plain `{name}` argument. */
const ARGUMENT = 1;

/** The arguments a message puts in as they are (and nowhere selects or counts on). */
function textArguments(format: IntlMessageFormat): Set<string> {
  const names = new Set<string>();
  const chosenOn = new Set<string>();
  const walk = (nodes: AstNode[]) => {
    for (const node of nodes) {
      if (node.value && node.type === ARGUMENT) names.add(node.value);
      else if (node.value && node.options) chosenOn.add(node.value);
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(format.getAst() as unknown as AstNode[]);
  for (const name of chosenOn) names.delete(name);
  return names;
}

/**
 * Every `[data-i18n]` element under `root` gets its message as text; `data-i18n-attr`
 * ("aria-label:key placeholder:key") fills attributes. For pages whose HTML holds the
 * English text (the moderation panel).
 */
export function translateStatic<K extends string>(root: ParentNode, i18n: I18n<K>): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    el.textContent = i18n.t(el.dataset.i18n as K);
  }
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-attr]")) {
    for (const pair of (el.dataset.i18nAttr ?? "").split(/\s+/)) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr, i18n.t(key as K));
    }
  }
}
