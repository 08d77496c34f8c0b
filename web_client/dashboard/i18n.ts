import { browserLocales, I18n, negotiate, translateStatic } from "../ui/i18n";
import { ar } from "./messages/ar";
import { en, type DashboardKey } from "./messages/en";
import { fr } from "./messages/fr";

export type { DashboardKey };
export type DashboardI18n = I18n<DashboardKey>;

/** The dashboard's languages: English, French and Arabic (right to left). */
export const DASHBOARD_CATALOGUES: Readonly<Record<string, Readonly<Record<DashboardKey, string>>>> = { en, fr, ar };

/** The dashboard's language: `?lang=`, else `data-ssw-locale` on <html>, else the browser's, else English. */
export function dashboardI18n(wanted: ReadonlyArray<string | null | undefined> = []): DashboardI18n {
  const asked = [...wanted, ...browserLocales()].filter((tag): tag is string => !!tag);
  const language = negotiate(asked, Object.keys(DASHBOARD_CATALOGUES));
  const tag = asked.find((t) => t.toLowerCase().split(/[-_]/)[0] === language) ?? language;
  let locale = language;
  try {
    locale = Intl.getCanonicalLocales(tag.replace(/_/g, "-"))[0] ?? language;
  } catch {
    // a malformed tag: the catalogue's own
  }
  return new I18n<DashboardKey>(locale, DASHBOARD_CATALOGUES[language], en);
}

/** This page's language, chosen once. */
export const i18n: DashboardI18n = typeof document === "undefined" ? dashboardI18n(["en"]) : dashboardI18n([
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
