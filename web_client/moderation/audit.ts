import type { RoomContext } from "./context";
import { h } from "./dom";
import { describeError, formatClock, formatDateTime, formatDuration, timeAttrs } from "./format";
import { t } from "./i18n";
import type { PanelKey } from "./i18n";
import type { AuditEntry, UserRef } from "./types";

const PAGE = 50;

/** The id the server uses for takedowns by members' reports (services/moderation.py reports_actor). */
const REPORTS_ACTOR = "reports";

/** Actions whose sentence is a key of their own (the rest: "audit.other"). */
const SENTENCES: Record<string, PanelKey> = {
  delete: "audit.delete",
  purge: "audit.purge",
  timeout: "audit.timeout",
  ban: "audit.ban",
  ban_tenant: "audit.ban_tenant",
  shadow_mute: "audit.shadow_mute",
  unban: "audit.unban",
  end_timeout: "audit.end_timeout",
  unshadow_mute: "audit.unshadow_mute",
  rules: "audit.rules",
  review_approve: "audit.review_approve",
  review_reject: "audit.review_reject",
  held_by_reports: "audit.held_by_reports",
  clip_held_by_reports: "audit.clip_held_by_reports",
  clip_delete: "audit.clip_delete",
  clip_review_approved: "audit.clip_review_approved",
  clip_review_rejected: "audit.clip_review_rejected",
  tenant_terms: "audit.tenant_terms",
};

/** The settings a "rules" entry may change, in words. */
const SETTING_KEYS: Record<string, PanelKey> = {
  slow_mode_s: "setting.slow_mode_s",
  members_only: "setting.members_only",
  emote_only: "setting.emote_only",
  locked: "setting.locked",
  links: "setting.links",
  link_domains: "setting.link_domains",
  blocked_terms: "setting.blocked_terms",
  allowed_terms: "setting.allowed_terms",
};

export interface AuditWords {
  /** "Moe deleted a message by Ben." */
  sentence: string;
  /** More lines, label and value: the message, the changes, the reports. */
  fields: Array<[label: string, value: string]>;
}

function settingValue(value: unknown): string {
  if (typeof value === "boolean") return t(value ? "setting.on" : "setting.off");
  if (Array.isArray(value)) return value.length ? value.join(", ") : t("setting.none");
  return String(value);
}

/**
 * An audit entry in words: who did what to whom, with names (from the entry, else the
 * room's members and messages, else the id) and local times.
 */
export function describeAudit(e: AuditEntry, nameOf: (id: string) => string | null,
  localTime: (serverMs: number) => number): AuditWords {
  const d = (e.details ?? {}) as Record<string, unknown>;
  const person = (user: string | UserRef | null | undefined): string => {
    if (!user) return t("audit.someone");
    if (typeof user !== "string") return user.name || nameOf(user.id) || user.id;
    return nameOf(user) ?? user;
  };
  const actor = e.actor?.id === REPORTS_ACTOR ? t("audit.actor_reports") : e.actor?.name || person(e.actor?.id);
  const target = person(e.target_user);
  const until = typeof d.until === "number" ? formatDateTime(localTime(d.until)) : "";
  const reports = Array.isArray(d.reports) ? (d.reports as Array<Record<string, any>>) : [];
  const values = {
    actor, target, until, hasUntil: until ? "yes" : "no", action: e.action,
    count: typeof d.minutes === "number" ? (Array.isArray(d.deleted) ? d.deleted.length : 0) : reports.length,
    minutes: typeof d.minutes === "number" ? d.minutes : 0,
    scope: d.scope === "tenant" ? "tenant" : "room",
    own: d.by_author === true ? "yes" : "no",
  };
  const key = SENTENCES[e.action] ?? "audit.other";
  const fields: AuditWords["fields"] = [];
  if (typeof d.text === "string") fields.push([t("audit.field_message"), d.text]);
  if (e.action === "rules") {
    for (const [name, value] of Object.entries(d)) {
      if (value === null || value === undefined) continue;
      const label = SETTING_KEYS[name] ? t(SETTING_KEYS[name]) : name;
      fields.push([label, name === "slow_mode_s" && typeof value === "number"
        ? (value ? formatDuration(value) : t("setting.off")) : settingValue(value)]);
    }
  }
  if (e.action === "tenant_terms") {
    if (Array.isArray(d.blocked_terms)) fields.push([t("setting.blocked_terms"), settingValue(d.blocked_terms)]);
    if (Array.isArray(d.allowed_terms)) fields.push([t("setting.allowed_terms"), settingValue(d.allowed_terms)]);
  }
  for (const r of reports.slice(0, 5)) {
    const who = typeof r.reporter === "object" && r.reporter ? person(r.reporter as UserRef) : t("audit.someone");
    const when = typeof r.ts === "number" ? ` (${formatClock(localTime(r.ts))})` : "";
    fields.push([t("audit.field_report", { name: who }), `${String(r.reason ?? "")}${when}`]);
  }
  if (typeof d.media_time === "number") {
    fields.push([t("audit.field_clip"), t("audit.clip_at", { at: formatDuration(Math.round(d.media_time)) })]);
  }
  return { sentence: t(key, values), fields };
}

/** The room's audit log, newest first; read-only (no event can edit it). */
export class AuditPane {
  private readonly entries = new Map<string, AuditEntry>();
  private oldest: number | string | undefined;

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLOListElement,
    private readonly empty: HTMLElement,
    private readonly more: HTMLButtonElement,
    private readonly error: HTMLElement,
  ) {
    more.addEventListener("click", () => void this.load(true));
  }

  reset(): void {
    this.entries.clear();
    this.oldest = undefined;
    this.list.replaceChildren();
    this.more.hidden = true;
    this.error.textContent = "";
    this.render();
  }

  async load(older = false): Promise<void> {
    const payload: Record<string, unknown> = { party: this.ctx.party, limit: PAGE };
    if (older && this.oldest !== undefined) payload.before = this.oldest;
    this.more.disabled = true;
    try {
      const answer = await this.ctx.client.request("mod.audit", payload);
      const page: AuditEntry[] = Array.isArray(answer.entries) ? answer.entries : [];
      for (const e of page) this.entries.set(String(e.id), e);
      if (page.length) this.oldest = page[page.length - 1].id;
      this.more.hidden = page.length < PAGE;
      this.error.textContent = "";
      this.render();
    } catch (err) {
      this.error.textContent = t("audit.load_failed", { error: describeError(err) });
    } finally {
      this.more.disabled = false;
    }
  }

  add(entry: AuditEntry): void {
    if (!entry || entry.id === undefined) return;
    this.entries.set(String(entry.id), entry);
    this.render();
  }

  /** Names became known (members, messages): the sentences say them. */
  rerender(): void {
    if (this.entries.size) this.render();
  }

  private sorted(): AuditEntry[] {
    return [...this.entries.values()].sort((a, b) => b.ts - a.ts || compareIds(b.id, a.id));
  }

  private render(): void {
    this.list.replaceChildren(...this.sorted().map((e) => this.row(e)));
    this.empty.hidden = this.entries.size > 0;
  }

  private row(e: AuditEntry): HTMLLIElement {
    const at = this.ctx.localTime(e.ts);
    const words = describeAudit(e, (id) => this.ctx.nameOf(id), (ms) => this.ctx.localTime(ms));
    const fields = [...words.fields];
    if (e.reason) fields.unshift([t("audit.field_reason"), e.reason]);
    return h("li", { class: "mp-audit-entry", "data-id": e.id, "data-action": e.action },
      h("div", { class: "mp-msg-meta" },
        h("time", { class: "mp-time", ...timeAttrs(at) }, formatDateTime(at)),
        h("span", { class: "mp-badge mp-badge-action", title: e.action }, t("audit.action", { action: e.action }))),
      h("p", { class: "mp-audit-sentence" }, words.sentence),
      fields.length ? h("dl", { class: "mp-audit-fields" },
        fields.map(([label, value]) => [h("dt", null, label), h("dd", { dir: "auto" }, value)])) : null);
  }
}

function compareIds(a: number | string, b: number | string): number {
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
}
