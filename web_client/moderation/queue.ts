import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock } from "./format";
import type { Held } from "./types";

/** Messages held for review (by the filter, or by reports): approve or reject each. */
export class QueuePane {
  private readonly items = new Map<string, { held: Held; li: HTMLLIElement }>();

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly onCount: (n: number) => void,
    /** This panel decided it (the `mod.resolved` event may come before or after the answer). */
    private readonly onDecided: (held: Held, decision: "approve" | "reject") => void,
  ) {}

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
    // Keep keyboard focus in the queue when the item that had it goes.
    const hadFocus = item.li.contains(document.activeElement);
    const next = (item.li.nextElementSibling ?? item.li.previousElementSibling) as HTMLElement | null;
    item.li.remove();
    this.items.delete(key);
    if (hadFocus) (next?.querySelector("button") ?? this.list.closest<HTMLElement>("[role=tabpanel]"))?.focus();
    this.changed();
    return item.held;
  }

  private changed(): void {
    this.empty.hidden = this.items.size > 0;
    this.onCount(this.items.size);
  }

  private render(held: Held): HTMLLIElement {
    const who = held.user.name;
    const sent = new Date(this.ctx.localTime(held.ts));
    const source = held.source === "reports" ? "held after reports" : held.source === "filter" ? "held by the filter" : "held";
    const decide = (decision: "approve" | "reject", button: HTMLButtonElement): void => {
      void this.ctx.act(`${decision} ${who}'s message`, "mod.review", { held: held.id, decision }, {
        button, done: () => {
          this.remove(held.id);
          this.onDecided(held, decision);
          return decision === "approve" ? `Approved ${who}'s message: it is delivered.` : `Rejected ${who}'s message.`;
        },
      });
    };
    const approve: HTMLButtonElement = h("button", { type: "button", class: "mp-button mp-button-small mp-button-ok" }, "Approve");
    const reject: HTMLButtonElement = h("button", { type: "button", class: "mp-button mp-button-small mp-button-danger" }, "Reject");
    approve.addEventListener("click", () => decide("approve", approve));
    reject.addEventListener("click", () => decide("reject", reject));
    return h("li", { class: "mp-msg mp-held", "data-held": held.id },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, who),
        h("span", { class: "mp-user-id" }, held.user.id),
        h("time", { class: "mp-time", datetime: sent.toISOString() }, formatClock(sent.getTime())),
        h("span", { class: "mp-badges" }, h("span", { class: "mp-badge mp-badge-held" }, source))),
      h("p", { class: "mp-text" }, held.text),
      held.reasons?.length ? h("p", { class: "mp-reasons" }, "Why: ", held.reasons.join(", ")) : null,
      h("div", { class: "mp-actions", role: "group", "aria-label": `Review ${who}'s message` }, approve, reject));
  }
}
