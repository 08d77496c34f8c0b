/**
 * The demo page's languages, chosen as the widget chooses its own (ui/i18n.ts): `?lang=`,
 * else the page's `data-ssw-locale`, else the browser's, else English. The widget on the
 * page is given the same locale, so page and widget speak one language.
 */
import { browserLocales, I18n, negotiate } from "../ui/i18n";
import { ar } from "./messages/ar";
import { en, type DemoKey } from "./messages/en";
import { fr } from "./messages/fr";

export type { DemoKey };
export type DemoI18n = I18n<DemoKey>;

/** English, French and Arabic (right to left), as the widget and the panel. */
export const DEMO_CATALOGUES: Readonly<Record<string, Readonly<Record<DemoKey, string>>>> = { en, fr, ar };

/** Each language by its own name, for the language menu. */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = { en: "English", fr: "Français", ar: "العربية" };

export function demoI18n(wanted: ReadonlyArray<string | null | undefined> = []): DemoI18n {
  const asked = [...wanted, ...browserLocales()].filter((tag): tag is string => !!tag);
  const language = negotiate(asked, Object.keys(DEMO_CATALOGUES));
  const tag = asked.find((t) => t.toLowerCase().split(/[-_]/)[0] === language) ?? language;
  let locale = language;
  try {
    locale = Intl.getCanonicalLocales(tag.replace(/_/g, "-"))[0] ?? language;
  } catch {
    // a malformed tag: the catalogue's own
  }
  return new I18n<DemoKey>(locale, DEMO_CATALOGUES[language], en);
}

/** The catalogue's language of a locale ("fr-CA" -> "fr"). */
export function languageOf(i18n: DemoI18n): string {
  return negotiate([i18n.locale], Object.keys(DEMO_CATALOGUES));
}
