import { describe, expect, it } from "vitest";
import { directionOf, I18n, negotiate } from "../ui/i18n";
import { widgetI18n } from "../widget/i18n";

describe("choosing the language", () => {
  it("takes the first wanted tag the catalogues have, by exact tag then by language", () => {
    expect(negotiate(["de-DE", "fr-CA", "en"], ["en", "fr", "ar"])).toBe("fr");
    expect(negotiate([null, undefined, "", "AR_eg"], ["en", "fr", "ar"])).toBe("ar");
    expect(negotiate(["ja"], ["en", "fr"])).toBe("en");
  });

  it("knows which languages are written right to left", () => {
    expect(directionOf("ar")).toBe("rtl");
    expect(directionOf("he-IL")).toBe("rtl");
    expect(directionOf("fr")).toBe("ltr");
    expect(directionOf("not a tag")).toBe("ltr");
  });

  it("lets the platform's choice win over the browser's, and keeps the region for formats", () => {
    const i18n = widgetI18n(["fr-CA"]);
    expect(i18n.locale).toBe("fr-CA");
    expect(i18n.t("chat.send")).toBe("Envoyer");
    expect(widgetI18n(["ar"]).dir).toBe("rtl");
  });
});

describe("I18n", () => {
  const en = { hello: "Hello {name}", count: "{n, plural, one {# item} other {# items}}" } as const;
  it("formats ICU messages and numbers in its language", () => {
    const fr = new I18n<keyof typeof en>("fr", { hello: "Bonjour {name}", count: "{n, plural, one {# élément} other {# éléments}}" }, en);
    expect(fr.t("hello", { name: "Ana" })).toBe("Bonjour Ana");
    expect(fr.t("count", { n: 1200 })).toBe("1\u202f200 éléments");
    expect(fr.duration(3675)).toBe("1:01:15");
  });

  it("falls back to English for a message a catalogue lacks", () => {
    const partial = new I18n<keyof typeof en>("fr", { hello: "Bonjour {name}" } as never, en);
    expect(partial.t("count", { n: 2 })).toBe("2 items");
  });

  it("writes media times with the language's digits", () => {
    expect(new I18n("ar-EG", en, en).duration(75)).toBe("١:١٥");
    expect(new I18n("en", en, en).duration(75)).toBe("1:15");
  });
});

describe("right-to-left messages", () => {
  it("isolate names and titles (FSI…PDI) so that Latin text does not reorder the sentence", () => {
    const ar = widgetI18n(["ar"]);
    expect(ar.t("header.subtitle", { hasHost: "yes", host: "Amélie", show: "clip.mp4" }))
      .toBe("يستضيفها \u2068Amélie\u2069 · \u2068clip.mp4\u2069");
    // An argument a message chooses on is left as it is.
    expect(ar.t("clips.badge_held")).toBe("بانتظار المراجعة");
    expect(widgetI18n(["en"]).t("header.subtitle", { hasHost: "yes", host: "Ana", show: "Film" }))
      .toBe("Hosted by Ana · Film");
  });
});
