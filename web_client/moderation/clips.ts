import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock, timeAttrs } from "./format";
import { i18n, t } from "./i18n";
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
      void this.ctx.act(t("act.clip_review", { name: who, decision }), "mod.clip_review", { id: clip.id, decision }, {
        button: b,
        done: () => {
          if (decision === "reject") this.remove(clip.id);
          else this.add({ ...clip, status: "visible" });
          return t("done.clip_reviewed", { name: who, decision });
        },
      });
    const remove = button(t("clips.delete"), "mp-button-danger", (b) => void this.ctx.act(t("act.clip_delete", { name: who }), "clip.delete", { id: clip.id }, {
      button: b,
      done: () => {
        this.remove(clip.id);
        return t("done.clip_deleted", { name: who });
      },
    }));
    const held = clip.status === "held";
    const reports = this.reports.get(clip.id);
    const count = Math.max(clip.reports ?? 0, reports?.count ?? 0);
    const status = t("clips.status", { status: held ? (count ? "held_reports" : "held") : clip.status });
    const at = this.ctx.localTime(clip.created_at);
    return h("li", { class: "mp-msg mp-clip", "data-clip": clip.id },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, who),
        h("span", { class: "mp-user-id" }, clip.user.id),
        h("time", { class: "mp-time", ...timeAttrs(at) }, formatClock(at)),
        h("span", { class: "mp-badges" },
          h("span", { class: held ? "mp-badge mp-badge-held" : "mp-badge" }, status),
          count ? h("span", { class: "mp-badge mp-badge-report" }, t("reports.count", { count })) : null)),
      h("p", { class: "mp-text" },
        t("clips.where", {
          at: i18n.number(clip.media_time, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
          media: clip.media_url,
          length: i18n.number(clip.duration, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
        }), " · ",
        h("a", { href: clip.url, target: "_blank", rel: "noopener noreferrer", class: "mp-clip-link" }, t("clips.play"))),
      reports?.newest.length ? h("ul", { class: "mp-report-list", "aria-label": t("reports.reasons_label") },
        reports.newest.map((r) => {
          const when = this.ctx.localTime(r.ts);
          return h("li", null,
            h("span", { class: "mp-author" }, r.reporter.name), t("reports.colon"), h("span", { dir: "auto" }, r.reason), " ",
            h("time", { class: "mp-time", ...timeAttrs(when) }, formatClock(when)));
        })) : null,
      h("div", { class: "mp-actions", role: "group", "aria-label": t("clips.actions_label", { name: who }) },
        held ? button(t("queue.approve"), "mp-button-ok", review("approve")) : null,
        held ? button(t("queue.reject"), "mp-button-danger", review("reject")) : null,
        remove));
  }
}
