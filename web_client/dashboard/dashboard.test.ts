/** The dashboard's catalogues (every key of the English one, the same ICU arguments, each
 * message formats) and its arithmetic (ranges, resolutions, thinning, words). */
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { I18n } from "../ui/i18n";
import { analyticsUrl } from "./api";
import { bucketFor, concurrencyStep, customWindow, funnelWords, heatColor, MAX_RANGE_MS, mediaStep, percent,
  presetWindow, ratio, shade, stepWords, thin, watchTime, wrap } from "./data";
import { DASHBOARD_CATALOGUES, dashboardI18n } from "./i18n";
import { en, type DashboardKey } from "./messages/en";

// intl-messageformat's AST node kinds.
const KIND = ["literal", "argument", "number", "date", "time", "select", "plural", "pound", "tag"];
interface Node {
  type: number;
  value?: string;
  options?: Record<string, { value: Node[] }>;
  children?: Node[];
}

function icuArguments(message: string, locale: string): string[] {
  const found = new Set<string>();
  const walk = (nodes: Node[]) => {
    for (const node of nodes) {
      const kind = KIND[node.type];
      if (node.value !== undefined && !["literal", "pound"].includes(kind)) {
        const choices = kind === "select" ? `[${Object.keys(node.options ?? {}).sort().join("|")}]` : "";
        found.add(`${node.value}:${kind}${choices}`);
      }
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(new IntlMessageFormat(message, locale).getAst() as unknown as Node[]);
  return [...found].sort();
}

const english = dashboardI18n(["en"]);

describe("the dashboard's catalogues", () => {
  it("are English, French and Arabic (right to left)", () => {
    expect(Object.keys(DASHBOARD_CATALOGUES).sort()).toEqual(["ar", "en", "fr"]);
    expect(dashboardI18n(["ar"]).dir).toBe("rtl");
    expect(dashboardI18n(["fr-CA"]).locale).toBe("fr-CA");
  });

  for (const [language, catalogue] of Object.entries(DASHBOARD_CATALOGUES)) {
    it(`${language}: every key of the English one, no other, with the same arguments`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en) as DashboardKey[]) {
        expect(icuArguments(catalogue[key], language), key).toEqual(icuArguments(en[key], "en"));
        const values: Record<string, string | number> = {};
        for (const arg of icuArguments(en[key], "en")) {
          const [name, kind] = arg.split(":");
          values[name] = kind.startsWith("plural") || kind.startsWith("number") ? 3 : kind.startsWith("select") ? "other" : "x";
        }
        expect(() => new IntlMessageFormat(catalogue[key], language).format(values), key).not.toThrow();
      }
    });
  }
});

describe("ranges and resolutions", () => {
  const now = Date.UTC(2027, 0, 15, 12);

  it("end presets at the server's now", () => {
    expect(presetWindow("h24", now)).toEqual({ since: now - 86_400_000, until: now });
    expect(presetWindow("h1", 1000)).toEqual({ since: 0, until: 1000 });
  });

  it("refuse a custom window that ends before it starts, and cap a wide one", () => {
    expect(customWindow(now, now)).toBeNull();
    expect(customWindow(Number.NaN, now)).toBeNull();
    expect(customWindow(now - 5, now)).toEqual({ since: now - 5, until: now });
    expect(customWindow(0, now)).toEqual({ since: now - MAX_RANGE_MS, until: now });
  });

  it("draw at most 200 points of viewers over time, as finely as that allows", () => {
    expect(concurrencyStep(3_600_000)).toBe(60);
    expect(concurrencyStep(86_400_000)).toBe(900);
    expect(concurrencyStep(7 * 86_400_000)).toBe(3600);
    expect(concurrencyStep(90 * 86_400_000)).toBe(43_200);
    expect(concurrencyStep(400 * 86_400_000)).toBe(86_400);
  });

  it("split a media item into at most 120 heatmap buckets", () => {
    expect(bucketFor(null)).toBe(10);
    expect(bucketFor(60)).toBe(5);
    expect(bucketFor(1800)).toBe(15);
    expect(bucketFor(7200)).toBe(60);
    expect(bucketFor(1e6)).toBe(600);
  });

  it("thin long series evenly, keeping the rows asked for", () => {
    const rows = Array.from({ length: 100 }, (_, i) => i);
    const { rows: kept, every } = thin(rows, 10, (r) => r === 33);
    expect(every).toBe(10);
    expect(kept).toEqual([0, 10, 20, 30, 33, 40, 50, 60, 70, 80, 90]);
    expect(thin([1, 2], 10)).toEqual({ rows: [1, 2], every: 1 });
  });

  it("shade heatmap cells by their share of the row's most", () => {
    expect(shade(0, 5)).toBe(0);
    expect(shade(5, 0)).toBe(0);
    expect(shade(5, 10)).toBe(0.5);
    expect(heatColor(0)).not.toEqual(heatColor(0.01));
    expect(heatColor(1)).toBe("rgba(245, 192, 74, 1.000)");
  });

  it("tick media time at round steps, and wrap long labels", () => {
    expect(mediaStep(30)).toBe(5);
    expect(mediaStep(3600)).toBe(600);
    expect(mediaStep(7 * 3600)).toBe(3600);
    expect(wrap("Joined")).toBe("Joined");
    expect(wrap("Still watching after 5 min")).toEqual(["Still watching", "after 5 min"]);
  });

  it("build the API's paths without empty parameters (never a token)", () => {
    expect(analyticsUrl("top", { by: "media", party: null, media: "", since: 5 })).toBe("/api/v1/analytics/top?by=media&since=5");
  });
});

describe("numbers in words", () => {
  it("says lengths of time, shares and steps", () => {
    expect(watchTime(7500, english)).toBe("2 h 5 min");
    expect(watchTime(250, english)).toBe("4 min 10 s");
    expect(watchTime(42.4, english)).toBe("42 s");
    expect(watchTime(2940, english)).toBe("49 min");
    expect(watchTime(7200, english)).toBe("2 h");
    expect(watchTime(null, english)).toBe("—");
    expect(percent(62.5, english)).toBe("62.5%");
    expect(ratio(1.5, english)).toBe("150%");
    expect(ratio(null, english)).toBe("—");
    expect(stepWords(900, english)).toBe("15 min");
    expect(stepWords(3600, english)).toBe("1 h");
    expect(stepWords(10, english)).toBe("10 s");
    expect(percent(50, dashboardI18n(["fr"]))).toMatch(/^50\s?%$/u);
  });

  it("tells a funnel step by step with each step's conversion", () => {
    const steps = [
      { step: "created", count: 2, conversion: null },
      { step: "opened", count: 3, conversion: 1.5 },
      { step: "joined", count: 2, conversion: 2 / 3 },
      { step: "watching_5min", count: 1, conversion: 0.5 },
    ];
    expect(funnelWords(steps, english)).toBe(
      "Invites made 2 → Links opened 3 (150%) → Joined 2 (66.7%) → Still watching after 5 min 1 (50%)");
    const arabic: I18n<DashboardKey> = dashboardI18n(["ar"]);
    const words = funnelWords(steps.slice(0, 2), arabic);
    expect(words).toContain("←");
    expect(words.startsWith("\u2067") && words.endsWith("\u2069")).toBe(true); // right to left, whatever the digits
  });
});
