/** The moderation panel's words for the server's codes: filter reasons and audit entries. */
import { describe, expect, it } from "vitest";
import { describeAudit } from "../moderation/audit";
import { describeReason } from "../moderation/reasons";
import type { AuditEntry } from "../moderation/types";

describe("describeReason", () => {
  it("puts the filter's codes in words and keeps the code", () => {
    expect(describeReason("link:mild:spam.example@14-37")).toEqual({
      text: "Link to spam.example", code: "link:mild:spam.example@14-37", severity: "mild",
    });
    expect(describeReason("profanity:strong:shit@9-13").text).toBe("Profanity (strong)");
    expect(describeReason("custom:strong:badword@0-7").text).toBe("Blocked term “badword”");
    expect(describeReason("duplicate:mild:sent 4 times@0-20").text).toBe("Same message again (4 times) (mild)");
    expect(describeReason("raid:strong:sent by 6 users@0-20").text).toBe("Same text from 6 people (strong)");
    expect(describeReason("caps_flood:mild:all caps@0-30").text).toBe("All capitals (mild)");
    expect(describeReason("reports").text).toBe("Reported by members");
    expect(describeReason("link").text).toBe("Links are off in this room");
  });

  it("shows a code it does not know as it is", () => {
    expect(describeReason("newthing:odd")).toEqual({ text: "newthing:odd", code: "newthing:odd" });
    expect(describeReason("unknowncat:mild:x@1-2").text).toBe("unknowncat:mild:x@1-2");
  });
});

describe("describeAudit", () => {
  const names = new Map([["u-ben", "Ben"], ["mod-1", "Moe"]]);
  const nameOf = (id: string) => names.get(id) ?? null;
  const local = (ms: number) => ms;
  const entry = (action: string, more: Partial<AuditEntry> = {}): AuditEntry => ({
    id: 1, party: "p", actor: { id: "mod-1", name: "Moe" }, action, ts: 0, ...more,
  });

  it("says who did what to whom, by name", () => {
    const words = describeAudit(entry("delete", { target_user: "u-ben", details: { text: "buy followers" } }), nameOf, local);
    expect(words.sentence).toBe("Moe deleted a message by Ben.");
    expect(words.fields).toEqual([["Message", "buy followers"]]);
    expect(describeAudit(entry("shadow_mute", { target_user: "u-ben" }), nameOf, local).sentence)
      .toBe("Moe shadow-muted Ben: their messages reach only them.");
    expect(describeAudit(entry("unban", { target_user: "u-ben", details: { scope: "tenant" } }), nameOf, local).sentence)
      .toBe("Moe lifted Ben’s ban from every room.");
    expect(describeAudit(entry("ban", { target_user: "u-x", details: { until: null } }), nameOf, local).sentence)
      .toBe("Moe banned u-x from this room for good.");
  });

  it("counts purges and reports, and lists changed settings in words", () => {
    expect(describeAudit(entry("purge", { target_user: "u-ben", details: { minutes: 10, deleted: [1, 2, 3] } }),
      nameOf, local).sentence).toBe("Moe removed 3 messages by Ben from the last 10 minutes.");
    const held = describeAudit(entry("held_by_reports", {
      actor: { id: "reports", name: "reports" }, target_user: "u-ben",
      details: { message: 5, held: 2, reports: [{ reporter: { id: "r1", name: "Rae" }, reason: "spam", ts: 0 }] },
    }), nameOf, local);
    expect(held.sentence).toBe("1 report took down a message by Ben and held it for review.");
    expect(held.fields[0][0]).toBe("Report by Rae");
    const rules = describeAudit(entry("rules", { details: { slow_mode_s: 5, links: false, blocked_terms: ["a", "b"] } }),
      nameOf, local);
    expect(rules.sentence).toBe("Moe changed the room settings.");
    expect(rules.fields).toEqual([["Slow mode", "5 s"], ["Links allowed", "off"], ["Blocked terms", "a, b"]]);
  });

  it("names an action it does not know by its code", () => {
    expect(describeAudit(entry("kick", { target_user: "u-ben" }), nameOf, local).sentence).toBe("Moe: kick.");
  });
});
