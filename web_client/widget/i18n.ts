import { browserLocales, I18n, negotiate } from "../ui/i18n";
import { ar } from "./messages/ar";
import { en, type WidgetKey } from "./messages/en";
import { fr } from "./messages/fr";

export type { WidgetKey };
export type WidgetI18n = I18n<WidgetKey>;

/** The widget's languages: English, French and Arabic (right to left). */
export const WIDGET_CATALOGUES: Readonly<Record<string, Readonly<Record<WidgetKey, string>>>> = { en, fr, ar };

/**
 * The widget's language: the first of `wanted` (the platform's choice) it has, else the
 * browser's, else English. Dates and numbers follow the full tag asked for ("fr-CA").
 */
export function widgetI18n(wanted: ReadonlyArray<string | null | undefined> = []): WidgetI18n {
  const asked = [...wanted, ...browserLocales()].filter((tag): tag is string => !!tag);
  const language = negotiate(asked, Object.keys(WIDGET_CATALOGUES));
  const tag = asked.find((t) => t.toLowerCase().split(/[-_]/)[0] === language) ?? language;
  let locale = language;
  try {
    locale = Intl.getCanonicalLocales(tag.replace(/_/g, "-"))[0] ?? language;
  } catch {
    // a malformed tag: the catalogue's own
  }
  return new I18n<WidgetKey>(locale, WIDGET_CATALOGUES[language], en);
}
