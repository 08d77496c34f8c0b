import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock, plural } from "./format";
import type { ClipReport, ModClip } from "./types";

/** Reasons shown per clip, newest first. */
const SHOWN_REPORTS = 10;

/** The room's reaction clips: every one, held ones first in line for review (approve or
 * reject), each with its author, media time, its members' reports and a link that plays
 * it; delete any. */
export class ClipsPane {
  private readonly items = new Map<string, { clip: ModClip; li: HTMLLIElement }>();
  /** By clip: how many members reported it, and the newest reasons known here. */
  private readonly reports = new Map<string, { count: number; newest: ClipReport[] }>();

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly onCount: (held: number) => void,
  ) {}

  reset(clips: ModClip[], reports: ClipReport[] = []): void {
    this.items.clear();
    this.reports.clear();
    this.list.replaceChildren();
    for (const r of [...reports].sort((a, b) => a.ts - b.ts)) this.note(r);
    for (const clip of clips) this.add(clip);
    this.changed();
  }

  /** A member reported a clip (`mod.clip_report`): its count and reasons, in place. */
  report(r: ClipReport): void {
    if (!r?.clip || !r.reporter) return;
    this.note(r);
    const item = this.items.get(r.clip);
    if (item) this.add(item.clip);
  }

  private note(r: ClipReport): void {
    const entry = this.reports.get(r.clip) ?? { count: 0, newest: [] };
    // The live event's count is the server's; the watch answer's list is counted here.
    entry.count = r.count ?? entry.count + 1;
    entry.newest = [r, ...entry.newest].slice(0, SHOWN_REPORTS);
    this.reports.set(r.clip, entry);
  }

  add(clip: ModClip): void {
    if (!clip?.id || !clip.user) return;
    const li = this.render(clip);
    const old = this.items.get(clip.id);
    if (old) old.li.replaceWith(li);
    else if (clip.status === "held") this.list.prepend(li);
    else this.list.appendChild(li);
    this.items.set(clip.id, { clip, li });
    this.changed();
  }

  remove(id: string): void {
    const item = this.items.get(id);
    if (!item) return;
    item.li.remove();
    this.items.delete(id);
    this.reports.delete(id);
    this.changed();
  }

  private changed(): void {
    this.empty.hidden = this.items.size > 0;
    this.onCount([...this.items.values()].filter((i) => i.clip.status === "held").length);
  }

  private render(clip: ModClip): HTMLLIElement {
    const who = clip.user.name;
    const button = (label: string, cls: string, run: (b: HTMLButtonElement) => void) => {
      const b: HTMLButtonElement = h("button", { type: "button", class: `mp-button mp-button-small ${cls}` }, label);
      b.addEventListener("click", () => run(b));
      return b;
    };
    const review = (decision: "approve" | "reject") => (b: HTMLButtonElement) =>
      void this.ctx.act(`${decision} ${who}'s clip`, "mod.clip_review", { id: clip.id, decision }, {
        button: b,
        done: () => {
          if (decision === "reject") this.remove(clip.id);
          else this.add({ ...clip, status: "visible" });
          return decision === "approve" ? `Approved ${who}'s clip: everyone sees it.` : `Rejected ${who}'s clip: it is deleted.`;
        },
      });
    const remove = button("Delete", "mp-button-danger", (b) => void this.ctx.act(`delete ${who}'s clip`, "clip.delete", { id: clip.id }, {
      button: b,
      done: () => {
        this.remove(clip.id);
        return `Deleted ${who}'s clip.`;
      },
    }));
    const held = clip.status === "held";
    const reports = this.reports.get(clip.id);
    const count = Math.max(clip.reports ?? 0, reports?.count ?? 0);
    const status = held ? (count ? "held after reports" : "waiting for review") : clip.status;
    const at = new Date(this.ctx.localTime(clip.created_at));
    return h("li", { class: "mp-msg mp-clip", "data-clip": clip.id },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, who),
        h("span", { class: "mp-user-id" }, clip.user.id),
        h("time", { class: "mp-time", datetime: at.toISOString() }, formatClock(at.getTime())),
        h("span", { class: "mp-badges" },
          h("span", { class: held ? "mp-badge mp-badge-held" : "mp-badge" }, status),
          count ? h("span", { class: "mp-badge mp-badge-report" }, plural(count, "report")) : null)),
      h("p", { class: "mp-text" },
        `Room ${clip.party} · at ${clip.media_time.toFixed(1)} s of ${clip.media_url} · ${clip.duration.toFixed(1)} s · `,
        h("a", { href: clip.url, target: "_blank", rel: "noopener noreferrer", class: "mp-clip-link" }, "Play clip")),
      reports?.newest.length ? h("ul", { class: "mp-report-list", "aria-label": "Reports" },
        reports.newest.map((r) => h("li", null,
          h("span", { class: "mp-author" }, r.reporter.name), ": ", r.reason, " ",
          h("time", { class: "mp-time", datetime: new Date(this.ctx.localTime(r.ts)).toISOString() },
            formatClock(this.ctx.localTime(r.ts)))))) : null,
      h("div", { class: "mp-actions", role: "group", "aria-label": `${who}'s clip` },
        held ? button("Approve", "mp-button-ok", review("approve")) : null,
        held ? button("Reject", "mp-button-danger", review("reject")) : null,
        remove));
  }
}
