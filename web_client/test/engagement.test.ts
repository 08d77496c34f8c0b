/** Badges' and the feedback prompt's words (docs/engagement.md): every kind and score in
 * plain language, in each catalogue; the scales a prompt offers; how refusals read. */
import { describe, expect, it } from "vitest";
import { SocialSyncError } from "../src/index";
import { badgeWords } from "../widget/badges";
import { refusal, scoreLabel, scores } from "../widget/feedback";
import { widgetI18n } from "../widget/i18n";

const en = widgetI18n(["en"]);
const fr = widgetI18n(["fr"]);
const ar = widgetI18n(["ar"]);

describe("badges", () => {
  it("say what they mean, with their level", () => {
    expect(badgeWords(en, { kind: "first_party", n: 1 })).toEqual({ short: "", full: "First watch party" });
    expect(badgeWords(en, { kind: "top_reactor", n: 3 }).short).toBe("3");
    expect(badgeWords(en, { kind: "watched_together", n: 10 })).toEqual({ short: "10 h", full: "Watched 10 hours together" });
    expect(badgeWords(en, { kind: "hosted", n: 1 }).full).toBe("Hosted 1 party");
    expect(badgeWords(en, { kind: "top_reactor", n: 2 }).full).toBe("Top reactor of 2 live events");
    expect(badgeWords(en, { kind: "streak", n: 4 }).full).toBe("4 weeks in a row");
    expect(badgeWords(fr, { kind: "hosted", n: 5 }).full).toBe("A animé 5 soirées");
    expect(badgeWords(ar, { kind: "streak", n: 2 }).full).toBe("أسبوعان متتاليان");
  });

  it("leave out a kind this widget does not know", () => {
    expect(badgeWords(en, { kind: "from_the_future" as "streak", n: 3 })).toEqual({ short: "", full: "" });
  });
});

describe("the feedback prompt", () => {
  const csat = { survey: "csat" as const, min: 1, max: 5 };
  const nps = { survey: "nps" as const, min: 0, max: 10 };

  it("offers the survey's scale", () => {
    expect(scores(csat)).toEqual([1, 2, 3, 4, 5]);
    expect(scores(nps)).toHaveLength(11);
  });

  it("names every score for screen readers", () => {
    expect(scoreLabel(en, csat, 1)).toBe("1, very dissatisfied");
    expect(scoreLabel(en, csat, 5)).toBe("5, very satisfied");
    expect(scoreLabel(en, nps, 0)).toBe("0, not at all likely");
    expect(scoreLabel(en, nps, 7)).toBe("7");
    expect(scoreLabel(fr, nps, 10)).toBe("10, extrêmement probable");
    expect(en.t("feedback.question", { survey: "nps" })).toMatch(/recommend/);
    expect(ar.t("feedback.question", { survey: "csat" })).toBe("ما مدى رضاك عن حفلة المشاهدة هذه؟");
  });

  it("words refusals", () => {
    expect(refusal(new SocialSyncError("moderated", "no"), en)).toMatch(/comment was not accepted/);
    expect(refusal(new SocialSyncError("not_found", "gone"), fr)).toBe("Cette question a expiré.");
    expect(refusal(new Error("offline"), en)).toBe("That did not work. Please try again.");
  });
});
