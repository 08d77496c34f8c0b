// The embed's attribute and deep-link rules (config.ts). Run by npm test (vitest.config.mjs).
import { describe, expect, it } from "vitest";
import { EmbedConfigError, flag, inviteLink, parseMoment, readConfig } from "./config";

const SCRIPT = "https://sync.example.com/embed/socialsync.js";
const PAGE = "https://tv.example/films/42";

describe("readConfig", () => {
  it("defaults: the script's origin, the start button, the page's own URL for deep links", () => {
    const c = readConfig({ tokenUrl: "/api/token", player: "#video" }, SCRIPT, PAGE);
    expect(c.server).toBe("https://sync.example.com");
    expect(c.viewer).toEqual({ tokenUrl: "https://tv.example/api/token" });
    expect(c.target).toBeNull();
    expect(c.start && c.invite && c.sync && c.css).toBe(true);
    expect(c.tv).toBe(false);
    expect(c.t).toBeNull();
  });

  it("takes the party from the attributes first, else from ?invite= or ?party=", () => {
    expect(readConfig({ guest: "Ann", party: "p1" }, SCRIPT, `${PAGE}?invite=zz`).target).toEqual({ party: "p1" });
    expect(readConfig({ guest: "Ann", inviteCode: "c-1" }, SCRIPT, PAGE).target).toEqual({ invite: "c-1" });
    expect(readConfig({ guest: "Ann" }, SCRIPT, `${PAGE}?invite=abc_D&party=p9`).target).toEqual({ invite: "abc_D" });
    expect(readConfig({ guest: "Ann" }, SCRIPT, `${PAGE}?party=p9`).target).toEqual({ party: "p9" });
    expect(readConfig({ guest: "Ann" }, SCRIPT, `${PAGE}?party=p9`).linked).toBe(true);
    expect(readConfig({ guest: "Ann", party: "p1" }, SCRIPT, PAGE).linked).toBe(false);
    expect(() => readConfig({ guest: "Ann", party: "p", inviteCode: "c" }, SCRIPT, PAGE)).toThrow(EmbedConfigError);
    expect(() => readConfig({ guest: "Ann" }, SCRIPT, `${PAGE}?party=${encodeURIComponent("<x>")}`)).toThrow(EmbedConfigError);
  });

  it("reads ?t= (or data-t) as the deep link's moment", () => {
    expect(readConfig({ guest: "A" }, SCRIPT, `${PAGE}?t=90`).t).toBe(90);
    expect(readConfig({ guest: "A" }, SCRIPT, `${PAGE}?t=1m30s`).t).toBe(90);
    expect(readConfig({ guest: "A", t: "12.5" }, SCRIPT, `${PAGE}?t=90`).t).toBe(12.5);
    expect(readConfig({ guest: "A" }, SCRIPT, `${PAGE}?t=soon`).t).toBeNull();
    expect(() => readConfig({ guest: "A", t: "soon" }, SCRIPT, PAGE)).toThrow(EmbedConfigError);
  });

  it("needs a way to identify the viewer", () => {
    expect(() => readConfig({}, SCRIPT, PAGE)).toThrow(/data-token-url/);
    expect(readConfig({ guest: "", tenant: "demo" }, SCRIPT, PAGE).viewer).toEqual({ guest: null, tenant: "demo" });
  });

  it("switches", () => {
    const c = readConfig({ guest: "A", tv: "", invite: "off", sync: "false", locale: "fr", server: "https://s.example/" }, SCRIPT, PAGE);
    expect([c.tv, c.invite, c.sync, c.locale, c.server]).toEqual([true, false, false, "fr", "https://s.example"]);
    expect(flag(undefined, true)).toBe(true);
    expect(flag("no", true)).toBe(false);
    expect(flag("yes", false)).toBe(true);
  });
});

describe("parseMoment", () => {
  it.each([
    ["0", 0], ["75", 75], ["75s", 75], ["2.5", 2.5], ["1h2m3s", 3723], ["10m", 600], ["", null], ["-3", null],
    ["1e3", null], ["abc", null], [null, null],
  ])("%s -> %s", (text, seconds) => expect(parseMoment(text)).toBe(seconds));
});

describe("inviteLink", () => {
  it("is this page with the party, without a moment or the other kind of link", () => {
    expect(inviteLink("https://tv.example/films/42?lang=fr&t=30&party=old#x", { invite: "c1" }))
      .toBe("https://tv.example/films/42?lang=fr&invite=c1");
    expect(inviteLink("https://tv.example/films/42?invite=c1", { party: "p1" })).toBe("https://tv.example/films/42?party=p1");
  });
});
