import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock, timeAttrs } from "./format";
import { t } from "./i18n";
import { reasonsLine } from "./reasons";
import type { Held } from "./types";

/** Messages held for review (by the filter, or by reports): approve or reject each, with
 * the mouse or the keys: J/K next and previous, A approve, R reject (while the queue shows). */
export class QueuePane {
  private readonly items = new Map<string, { held: Held; li: HTMLLIElement }>();

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly onCount: (n: number) => void,
    /** This panel decided it (the `mod.resolved` event may come before or after the answer). */
    private readonly onDecided: (held: Held, decision: "approve" | "reject") => void,
  ) {
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  reset(held: Held[]): void {
    this.items.clear();
    this.list.replaceChildren();
    for (const item of held) this.add(item);
    this.changed();
  }

  get(id: number | string): Held | undefined {
    return this.items.get(String(id))?.held;
  }

  /** The held entry for a chat message that reports took down. */
  byMessage(messageId: number | string): Held | undefined {
    for (const { held } of this.items.values()) {
      if (held.message !== undefined && held.message !== null && String(held.message) === String(messageId)) return held;
    }
    return undefined;
  }

  add(held: Held): void {
    if (!held || held.id === undefined || !held.user) return;
    const key = String(held.id);
    const li = this.render(held);
    const old = this.items.get(key);
    if (old) old.li.replaceWith(li);
    else this.list.appendChild(li);
    this.items.set(key, { held, li });
    this.changed();
  }

  /** Take an entry out of the queue; the entry, if it was there. */
  remove(id: number | string): Held | undefined {
    const key = String(id);
    const item = this.items.get(key);
    if (!item) return undefined;
    // Keep keyboard focus in the queue when the item that had it goes: on the next one.
    const hadFocus = item.li.contains(document.activeElement);
    const next = (item.li.nextElementSibling ?? item.li.previousElementSibling) as HTMLElement | null;
    item.li.remove();
    this.items.delete(key);
    if (hadFocus) (next ?? this.list.closest<HTMLElement>("[role=tabpanel]"))?.focus();
    this.changed();
    return item.held;
  }

  private changed(): void {
    this.empty.hidden = this.items.size > 0;
    this.onCount(this.items.size);
  }

  /** J/K move between held messages, A/R decide the one in focus. Not while typing, and
   * only while the queue is the tab shown. */
  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    const key = event.key.toLowerCase();
    if (!["a", "r", "j", "k"].includes(key)) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable=true]")) return;
    if (this.list.closest<HTMLElement>("[role=tabpanel]")?.hidden !== false) return;
    const lis = [...this.list.children] as HTMLLIElement[];
    if (!lis.length) return;
    const current = lis.findIndex((li) => li.contains(document.activeElement));
    event.preventDefault();
    if (key === "j" || key === "k") {
      const next = current < 0 ? (key === "j" ? 0 : lis.length - 1)
        : Math.max(0, Math.min(lis.length - 1, current + (key === "j" ? 1 : -1)));
      lis[next].focus();
      lis[next].scrollIntoView({ block: "nearest" });
      return;
    }
    if (current < 0) return;
    lis[current].querySelector<HTMLButtonElement>(key === "a" ? ".mp-approve" : ".mp-reject")?.click();
  }

  private render(held: Held): HTMLLIElement {
    const who = held.user.name;
    const sent = this.ctx.localTime(held.ts);
    const decide = (decision: "approve" | "reject", button: HTMLButtonElement): void => {
      if (button.disabled) return;
      void this.ctx.act(t("act.review", { name: who, decision }), "mod.review", { held: held.id, decision }, {
        button, done: () => {
          this.remove(held.id);
          this.onDecided(held, decision);
          return t("done.reviewed", { name: who, decision });
        },
      });
    };
    const approve: HTMLButtonElement = h("button", {
      type: "button", class: "mp-button mp-button-small mp-button-ok mp-approve", "aria-keyshortcuts": "A",
    }, t("queue.approve"));
    const reject: HTMLButtonElement = h("button", {
      type: "button", class: "mp-button mp-button-small mp-button-danger mp-reject", "aria-keyshortcuts": "R",
    }, t("queue.reject"));
    approve.addEventListener("click", () => decide("approve", approve));
    reject.addEventListener("click", () => decide("reject", reject));
    return h("li", { class: "mp-msg mp-held", "data-held": held.id, tabindex: -1 },
    h("div", { class: "mp-msg-meta" },
      h("span", { class: "mp-author" }, who),
      h("span", { class: "mp-user-id" }, held.user.id),
      h("time", { class: "mp-time", ...timeAttrs(sent) }, formatClock(sent)),
      h("span", { class: "mp-badges" }, h("span", { class: "mp-badge mp-badge-held" },
        t("queue.source", { source: held.source === "reports" || held.source === "filter" ? held.source : "other" })))),
    h("p", { class: "mp-text", dir: "auto" }, held.text),
    reasonsLine(held.reasons?.filter((r) => !(held.source === "reports" && r === "reports"))),
    h("div", { class: "mp-actions", role: "group", "aria-label": t("queue.actions_label", { name: who }) }, approve, reject));
  }
}
