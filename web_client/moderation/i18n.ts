import { browserLocales, I18n, negotiate, translateStatic } from "../ui/i18n";
import { ar } from "./messages/ar";
import { en, type PanelKey } from "./messages/en";
import { fr } from "./messages/fr";

export type { PanelKey };
export type PanelI18n = I18n<PanelKey>;

/** The panel's languages: English, French and Arabic (right to left). */
export const PANEL_CATALOGUES: Readonly<Record<string, Readonly<Record<PanelKey, string>>>> = { en, fr, ar };

/** The panel's language: `?lang=`, else `data-ssw-locale` on <html>, else the browser's, else English. */
export function panelI18n(wanted: ReadonlyArray<string | null | undefined> = []): PanelI18n {
  const asked = [...wanted, ...browserLocales()].filter((tag): tag is string => !!tag);
  const language = negotiate(asked, Object.keys(PANEL_CATALOGUES));
  const tag = asked.find((t) => t.toLowerCase().split(/[-_]/)[0] === language) ?? language;
  let locale = language;
  try {
    locale = Intl.getCanonicalLocales(tag.replace(/_/g, "-"))[0] ?? language;
  } catch {
    // a malformed tag: the catalogue's own
  }
  return new I18n<PanelKey>(locale, PANEL_CATALOGUES[language], en);
}

/** This page's language, chosen once. */
export const i18n: PanelI18n = typeof document === "undefined" ? panelI18n(["en"]) : panelI18n([
  new URLSearchParams(location.search).get("lang"),
  document.documentElement.dataset.sswLocale,
]);
export const t = i18n.t;

/** The page's static words, its language and its direction. */
export function translatePage(): void {
  document.documentElement.lang = i18n.locale;
  document.documentElement.dir = i18n.dir;
  document.title = t("page.title");
  translateStatic(document, i18n);
}
