import type { Badge } from "../src/index";
import { h, setText } from "../ui/dom";
import { emojiSvg } from "./emoji";
import type { WidgetI18n, WidgetKey } from "./i18n";

/** Drawn beside the short words (the widget's own emoji pictures: no emoji font needed). */
const ICONS: Partial<Record<Badge["kind"], string>> = { first_party: "🎉", top_reactor: "🔥" };

/** Each badge's words: a short mark shown beside the name, and what it means in full. */
const WORDS: Record<Badge["kind"], { short: WidgetKey; full: WidgetKey }> = {
  first_party: { short: "badges.first_party_short", full: "badges.first_party" },
  watched_together: { short: "badges.watched_together_short", full: "badges.watched_together" },
  hosted: { short: "badges.hosted_short", full: "badges.hosted" },
  top_reactor: { short: "badges.top_reactor_short", full: "badges.top_reactor" },
  streak: { short: "badges.streak_short", full: "badges.streak" },
};

/** A badge in words: `full` for screen readers and tooltips, `short` for the mark. */
export function badgeWords(i18n: WidgetI18n, badge: Badge): { short: string; full: string } {
  const words = WORDS[badge.kind];
  if (!words) return { short: "", full: "" }; // a kind a newer server added
  return { short: i18n.t(words.short, { n: badge.n }), full: i18n.t(words.full, { n: badge.n }) };
}

/**
 * A member's badges (protocol 19.1), beside its name: a small mark each, its meaning in
 * a tooltip and, for screen readers, as text ("Badges: Hosted 5 parties, ...").
 */
export class BadgeMarks {
  readonly el = h("span", { class: "ssw-awards" });
  private shown = "";

  constructor(private readonly i18n: WidgetI18n) {
    this.el.hidden = true;
  }

  update(badges: readonly Badge[] | undefined): void {
    const known = (badges ?? []).filter((b) => WORDS[b.kind]);
    const key = known.map((b) => `${b.kind}:${b.n}`).join(",");
    if (key === this.shown) return;
    this.shown = key;
    this.el.hidden = known.length === 0;
    const label = h("span", { class: "ssw-visually-hidden" });
    const fulls = known.map((b) => badgeWords(this.i18n, b).full);
    setText(label, this.i18n.t("badges.label", { list: fulls.join(this.i18n.t("list.separator")) }));
    const marks = known.map((badge, i) => {
      const icon = ICONS[badge.kind];
      return h("span", { class: `ssw-award ssw-award-${badge.kind}`, title: fulls[i], "aria-hidden": "true" },
        icon ? emojiSvg(icon) : null, badgeWords(this.i18n, badge).short);
    });
    this.el.replaceChildren(label, ...marks);
  }
}
