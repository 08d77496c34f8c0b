/**
 * The filter's reason codes in words. The server writes `category:severity:term@start-end`
 * (socialsync/domain/moderation/result.py: "link:mild:spam.example@14-37"), "reports" for
 * a message that members' reports held, and "link" when the room has links off.
 * Unknown codes are shown as they are; the raw code goes in the tooltip either way.
 */
import { h } from "./dom";
import type { PanelKey } from "./i18n";
import { t } from "./i18n";

const FINDING = /^([a-z_]+):([a-z]+):(.*)@(\d+)-(\d+)$/s;

const CATEGORY: Record<string, PanelKey> = {
  profanity: "reason.profanity",
  slur: "reason.slur",
  sexual: "reason.sexual",
  harassment: "reason.harassment",
  custom: "reason.custom",
  link: "reason.link",
  mention_spam: "reason.mention_spam",
  caps_flood: "reason.caps_flood",
  repeat_flood: "reason.repeat_flood",
  duplicate: "reason.duplicate",
  raid: "reason.raid",
};
const SEVERITIES = new Set(["mild", "strong", "severe"]);

export interface Reason {
  /** The reason in words, in the panel's language. */
  text: string;
  /** The code as the server sent it. */
  code: string;
  /** mild, strong or severe, when the code says. */
  severity?: string;
}

export function describeReason(code: string): Reason {
  if (code === "reports") return { text: t("reason.reports"), code };
  if (code === "link") return { text: t("reason.links_off"), code };
  const m = FINDING.exec(code);
  const key = m ? CATEGORY[m[1]] : undefined;
  if (!m || !key) return { text: code, code };
  const [, category, severity, term] = m;
  // The rules' terms are counts in English ("sent 3 times", "12 mentions"): keep the number.
  const count = Number(/\d+/.exec(term)?.[0] ?? NaN);
  const what = t(key, { term, count: Number.isFinite(count) ? count : 0 });
  const level = SEVERITIES.has(severity) ? severity : "other";
  return {
    text: category === "link" || category === "custom" || level === "other" ? what
      : t("reason.with_severity", { what, severity: level }),
    code,
    severity: SEVERITIES.has(severity) ? severity : undefined,
  };
}

/** "Why: Link to spam.example, All capitals (mild)", each with its code as a tooltip; null without reasons. */
export function reasonsLine(codes: readonly string[] | undefined): HTMLElement | null {
  if (!codes?.length) return null;
  const parts: Array<Node | string> = [];
  codes.map(describeReason).forEach((reason, i) => {
    if (i > 0) parts.push(t("list.separator"));
    parts.push(h("span", { class: "mp-why", title: reason.code, "data-code": reason.code }, reason.text));
  });
  return h("p", { class: "mp-reasons" }, h("span", { class: "mp-label" }, t("reason.why")), " ", ...parts);
}
