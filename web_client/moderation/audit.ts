import type { RoomContext } from "./context";
import { h } from "./dom";
import { describeError, formatDateTime, formatDetails, userLabel } from "./format";
import type { AuditEntry } from "./types";

const PAGE = 50;

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
      this.error.textContent = `Could not load the audit log: ${describeError(err)}`;
    } finally {
      this.more.disabled = false;
    }
  }

  add(entry: AuditEntry): void {
    if (!entry || entry.id === undefined) return;
    this.entries.set(String(entry.id), entry);
    this.render();
  }

  private sorted(): AuditEntry[] {
    return [...this.entries.values()].sort((a, b) => b.ts - a.ts || compareIds(b.id, a.id));
  }

  private render(): void {
    this.list.replaceChildren(...this.sorted().map((e) => this.row(e)));
    this.empty.hidden = this.entries.size > 0;
  }

  private row(e: AuditEntry): HTMLLIElement {
    const at = new Date(this.ctx.localTime(e.ts));
    const target = [
      e.target_user ? `user ${userLabel(e.target_user)}` : "",
      e.target_message !== undefined && e.target_message !== null ? `message #${e.target_message}` : "",
    ].filter(Boolean).join(", ");
    const details = formatDetails(e.details);
    return h("li", { class: "mp-audit-entry", "data-id": e.id },
      h("div", { class: "mp-msg-meta" },
        h("time", { class: "mp-time", datetime: at.toISOString() }, formatDateTime(at.getTime())),
        h("span", { class: "mp-author" }, e.actor?.name ?? "system"),
        h("span", { class: "mp-badge mp-badge-action" }, e.action)),
      h("dl", { class: "mp-audit-fields" },
        target ? [h("dt", null, "Target"), h("dd", null, target)] : null,
        e.reason ? [h("dt", null, "Reason"), h("dd", null, e.reason)] : null,
        details ? [h("dt", null, "Details"), h("dd", null, details)] : null));
  }
}

function compareIds(a: number | string, b: number | string): number {
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
}
