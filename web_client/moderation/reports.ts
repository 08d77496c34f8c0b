import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock, timeAttrs } from "./format";
import { t } from "./i18n";
import type { ModMessage, Report } from "./types";

interface Lookup {
  message(id: number | string): Pick<ModMessage, "text" | "user"> | undefined;
  isDeleted(id: number | string): boolean;
  show(id: number | string): boolean;
  deleted(id: number | string): void;
}

/** Reports from members, one entry per reported message, most recently reported first. */
export class ReportsPane {
  private readonly byMessage = new Map<string, { reports: Report[]; count: number; li: HTMLLIElement }>();

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly lookup: Lookup,
    private readonly onCount: (n: number) => void,
  ) {}

  reset(reports: Report[]): void {
    this.byMessage.clear();
    this.list.replaceChildren();
    for (const r of [...reports].sort((a, b) => a.ts - b.ts)) this.add(r);
    this.changed();
  }

  /** Reported messages listed (what the Reports tab and the room's card count). */
  get size(): number {
    return this.byMessage.size;
  }

  add(report: Report): void {
    if (!report || report.message === undefined) return;
    const key = String(report.message);
    const entry = this.byMessage.get(key);
    const reports = entry ? [report, ...entry.reports] : [report];
    const count = Math.max(report.count ?? 0, reports.length, entry?.count ?? 0);
    const li = this.render(report.message, reports, count);
    if (entry) entry.li.remove();
    this.list.prepend(li);
    this.byMessage.set(key, { reports, count, li });
    this.changed();
  }

  /** The reported message was reviewed: its reports are dealt with. */
  remove(id: number | string): void {
    const entry = this.byMessage.get(String(id));
    if (!entry) return;
    entry.li.remove();
    this.byMessage.delete(String(id));
    this.changed();
  }

  /** Re-render entries whose message text has become known. */
  refresh(id: number | string): void {
    const entry = this.byMessage.get(String(id));
    if (!entry) return;
    const li = this.render(entry.reports[0].message, entry.reports, entry.count);
    entry.li.replaceWith(li);
    entry.li = li;
  }

  private changed(): void {
    this.empty.hidden = this.byMessage.size > 0;
    this.onCount(this.byMessage.size);
  }

  private render(id: number | string, reports: Report[], count: number): HTMLLIElement {
    const message = this.lookup.message(id);
    const author = message?.user.name ?? t("reports.unknown_author");
    const remove: HTMLButtonElement = h("button", { type: "button", class: "mp-button mp-button-small mp-button-danger" },
      t("reports.delete"));
    remove.disabled = this.lookup.isDeleted(id);
    remove.addEventListener("click", () => void this.ctx.act(t("act.delete", { name: author }), "mod.delete", { id }, {
      button: remove, done: () => {
        this.lookup.deleted(id);
        remove.disabled = true;
        return t("done.deleted", { name: author });
      },
    }));
    const show: HTMLButtonElement = h("button", { type: "button", class: "mp-button mp-button-small" }, t("reports.show"));
    show.disabled = !message;
    show.addEventListener("click", () => this.lookup.show(id));
    return h("li", { class: "mp-msg mp-report", "data-message": id },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, author),
        h("span", { class: "mp-badges" }, h("span", { class: "mp-badge mp-badge-report" }, t("reports.count", { count })))),
      h("p", { class: "mp-text", dir: "auto" }, message ? message.text : t("reports.not_in_chat", { id: String(id) })),
      h("ul", { class: "mp-report-list", "aria-label": t("reports.reasons_label") },
        reports.slice(0, 10).map((r) => {
          const at = this.ctx.localTime(r.ts);
          return h("li", null,
            h("span", { class: "mp-author" }, r.reporter?.name ?? t("reports.someone")), t("reports.colon"),
            h("span", { dir: "auto" }, r.reason), " ",
            h("time", { class: "mp-time", ...timeAttrs(at) }, formatClock(at)));
        })),
      h("div", { class: "mp-actions", role: "group", "aria-label": t("reports.actions_label", { count }) },
        remove, show));
  }
}
