/** The widget's plain words: sync status, waiting, refusals; and arrow-key targets. */
import { describe, expect, it } from "vitest";
import { SocialSyncError } from "../src/index";
import { nearest } from "../ui/spatial";
import { describeError, ownSyncStatus, SYNC_KEY } from "../widget/format";
import { widgetI18n } from "../widget/i18n";

const en = widgetI18n(["en"]);

describe("the viewer's sync status", () => {
  it("is words, never milliseconds", () => {
    expect(en.t(SYNC_KEY[ownSyncStatus(0.009, false)])).toBe("in sync");
    expect(en.t(SYNC_KEY[ownSyncStatus(-0.4, false)])).toBe("catching up");
    expect(en.t(SYNC_KEY[ownSyncStatus(0, true)])).toBe("loading");
    expect(en.t(SYNC_KEY[ownSyncStatus(0, false, true)])).toBe("in an ad");
    expect(en.t("status.drift", { ms: 9, side: "ahead" })).toBe("9 ms ahead of the party");
  });

  it("names whom the party waits for", () => {
    const waiting = (names: string[]) => en.t("playback.waiting", {
      count: names.length, first: names[0] ?? "", second: names[1] ?? "", others: Math.max(0, names.length - 1),
    });
    expect(waiting(["Ana"])).toBe("Waiting for Ana");
    expect(waiting(["Ana", "Ben"])).toBe("Waiting for Ana and Ben");
    expect(waiting(["Ana", "Ben", "Cy", "Di"])).toBe("Waiting for Ana and 3 others");
    const ar = widgetI18n(["ar"]);
    expect(ar.t("playback.waiting", { count: 1, first: "آنا", second: "", others: 0 })).toBe("في انتظار \u2068آنا\u2069");
  });

  it("words refusals for what the person was doing", () => {
    expect(describeError(new SocialSyncError("forbidden", "forbidden: you are timed out"), "send", en))
      .toBe("You are not allowed to send messages here.");
    expect(describeError(new SocialSyncError("rate_limited", "slow", { error: { retry_after: 2.2 } }), "react", en))
      .toBe("Slow down: try again in 3 seconds.");
    expect(describeError(new SocialSyncError("forbidden", "x"), "send", widgetI18n(["fr"])))
      .toBe("Vous n’avez pas le droit d’envoyer des messages ici.");
  });
});

describe("arrow-key navigation", () => {
  const box = (left: number, top: number, width = 40, height = 30) =>
    ({ left, top, width, height, right: left + width, bottom: top + height, x: left, y: top }) as DOMRect;
  const el = (name: string) => ({ name }) as unknown as HTMLElement;
  // A row of three buttons, and a wide field under them.
  const a = el("a"), b = el("b"), c = el("c"), field = el("field");
  const all = [{ el: a, rect: box(0, 0) }, { el: b, rect: box(50, 0) }, { el: c, rect: box(100, 0) },
    { el: field, rect: box(0, 60, 140, 30) }];
  const from = (target: HTMLElement) => all.find((x) => x.el === target)!.rect;
  const others = (target: HTMLElement) => all.filter((x) => x.el !== target);

  it("moves along a row, and down to what is below", () => {
    expect(nearest(from(a), others(a), "right")).toBe(b);
    expect(nearest(from(c), others(c), "left")).toBe(b);
    expect(nearest(from(b), others(b), "down")).toBe(field);
    expect(nearest(from(field), others(field), "up")).toBe(a);
  });

  it("finds nothing past the edge", () => {
    expect(nearest(from(c), others(c), "right")).toBeNull();
    expect(nearest(from(a), others(a), "up")).toBeNull();
  });
});
