/** Every message catalogue has every key of the English one, no other, and the same ICU
 * arguments (names, kinds and select choices); each message parses and formats. */
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { DEMO_CATALOGUES } from "../demo/i18n";
import { en as demoEnglish } from "../demo/messages/en";
import { PANEL_CATALOGUES } from "../moderation/i18n";
import { en as panelEnglish } from "../moderation/messages/en";
import { WIDGET_CATALOGUES } from "../widget/i18n";
import { en as widgetEnglish } from "../widget/messages/en";

// intl-messageformat's AST node kinds (TYPE in @formatjs/icu-messageformat-parser).
const KIND = ["literal", "argument", "number", "date", "time", "select", "plural", "pound", "tag"];

interface Node {
  type: number;
  value?: string;
  options?: Record<string, { value: Node[] }>;
  children?: Node[];
}

/** Every argument of a message: "name:kind" (select arguments with their choices). */
function icuArguments(message: string, locale: string): string[] {
  const ast = new IntlMessageFormat(message, locale).getAst() as unknown as Node[];
  const found = new Set<string>();
  const walk = (nodes: Node[]) => {
    for (const node of nodes) {
      const kind = KIND[node.type];
      if (node.value !== undefined && !["literal", "pound"].includes(kind)) {
        const choices = kind === "select" ? `[${Object.keys(node.options ?? {}).sort().join("|")}]` : "";
        // plural's categories differ by language (Arabic has six): only the argument counts.
        found.add(`${node.value}:${kind}${choices}`);
      }
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(ast);
  return [...found].sort();
}

/** Values that fill any argument of these messages. */
function sampleValues(args: string[]): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const arg of args) {
    const [name, kind] = arg.split(":");
    values[name] = kind.startsWith("number") || kind.startsWith("plural") ? 3 : kind.startsWith("select") ? "other" : "x";
  }
  return values;
}

const suites = [
  { name: "widget", catalogues: WIDGET_CATALOGUES, english: widgetEnglish as Record<string, string> },
  { name: "moderation panel", catalogues: PANEL_CATALOGUES, english: panelEnglish as Record<string, string> },
  { name: "demo page", catalogues: DEMO_CATALOGUES, english: demoEnglish as Record<string, string> },
];

for (const { name, catalogues, english } of suites) {
  describe(`the ${name}'s catalogues`, () => {
    it("are English and at least two more languages, one of them right to left", () => {
      const languages = Object.keys(catalogues);
      expect(languages).toContain("en");
      expect(languages.length).toBeGreaterThanOrEqual(3);
      expect(languages.some((l) => ["ar", "he", "fa", "ur"].includes(l))).toBe(true);
    });

    for (const [language, catalogue] of Object.entries(catalogues)) {
      it(`${language}: has exactly the English keys`, () => {
        expect(Object.keys(catalogue).sort()).toEqual(Object.keys(english).sort());
      });

      it(`${language}: every message has the English one's ICU arguments and formats`, () => {
        const problems: string[] = [];
        for (const [key, reference] of Object.entries(english)) {
          const message = (catalogue as Record<string, string>)[key];
          if (message === undefined) continue;
          const want = icuArguments(reference, "en");
          let got: string[];
          try {
            got = icuArguments(message, language);
          } catch (err) {
            problems.push(`${key}: does not parse (${String(err)})`);
            continue;
          }
          if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${key}: ${got.join(", ")} ≠ ${want.join(", ")}`);
          const out = new IntlMessageFormat(message, language).format(sampleValues(want));
          if (typeof out !== "string") problems.push(`${key}: does not format to text`);
          if (language !== "en" && message.trim() === "" && reference.trim() !== "") problems.push(`${key}: empty`);
        }
        expect(problems).toEqual([]);
      });
    }
  });
}

describe("icuArguments", () => {
  it("finds arguments inside plural and select choices, with their kinds", () => {
    expect(icuArguments("{n, plural, one {# by {who}} other {# by {who} and {rest, number}}}", "en"))
      .toEqual(["n:plural", "rest:number", "who:argument"]);
    expect(icuArguments("{s, select, a {A} other {{x}}}", "en")).toEqual(["s:select[a|other]", "x:argument"]);
  });
});
