import type { RoomContext } from "./context";
import { h, setText } from "./dom";
import { formatClock, formatDuration, plural } from "./format";
import type { ModMessage } from "./types";

/** Older messages leave the DOM beyond this many. */
const MAX_RENDERED = 500;
const STICK_TO_BOTTOM_PX = 48;
const BAN_DURATIONS: Array<[string, number | null]> = [
  ["for good", null], ["for 1 hour", 3600], ["for 1 day", 86400], ["for 7 days", 604800], ["for 30 days", 2592000],
];

interface Item {
  message: ModMessage;
  li: HTMLLIElement;
  deleted: boolean;
  mute: HTMLButtonElement;
  remove: HTMLButtonElement;
  note: HTMLElement;
}

/** The live chat of the watched room: every message as sent, newest at the bottom, with actions. */
export class ChatPane {
  private readonly items = new Map<string, Item>();
  private readonly muted = new Set<string>();
  private stick = true;

  constructor(
    private readonly ctx: RoomContext,
    private readonly list: HTMLOListElement,
    private readonly empty: HTMLElement,
  ) {
    list.addEventListener("scroll", () => {
      this.stick = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
    });
  }

  reset(messages: ModMessage[]): void {
    this.items.clear();
    this.muted.clear();
    this.list.replaceChildren();
    this.stick = true;
    for (const m of messages) this.upsert(m);
    this.refreshEmpty();
  }

  get(id: number | string): ModMessage | undefined {
    return this.items.get(String(id))?.message;
  }

  /** A new message, or a known one again (e.g. approved after it was held): shown once, in id order. */
  upsert(m: ModMessage): void {
    if (!m || m.id === undefined || !m.user) return;
    if (m.hidden === true) this.muted.add(m.user.id);
    else if (m.hidden === false) this.muted.delete(m.user.id);
    const key = String(m.id);
    const old = this.items.get(key);
    const merged: ModMessage = old ? { ...old.message, ...m } : m;
    const item = this.render(merged);
    if (old) {
      old.li.replaceWith(item.li);
    } else {
      const after = this.insertionPoint(m.id);
      this.list.insertBefore(item.li, after);
    }
    this.items.set(key, item);
    while (this.items.size > MAX_RENDERED) {
      const [oldest, el] = this.items.entries().next().value as [string, Item];
      el.li.remove();
      this.items.delete(oldest);
    }
    this.refreshMuteButtons(m.user.id);
    this.refreshEmpty();
    if (this.stick) this.scrollToEnd();
  }

  markDeleted(id: number | string): void {
    const item = this.items.get(String(id));
    if (!item) return;
    // Also after the event came first: the answer's button restore must not turn it back on.
    item.remove.disabled = true;
    if (item.deleted) return;
    item.deleted = true;
    item.li.classList.add("mp-deleted");
    const badges = item.li.querySelector(".mp-badges");
    badges?.appendChild(h("span", { class: "mp-badge mp-badge-deleted" }, "deleted"));
  }

  /** A message taken down by reports and approved: back in its place. */
  restore(id: number | string): void {
    const item = this.items.get(String(id));
    if (!item || !item.deleted) return;
    item.deleted = false;
    item.li.classList.remove("mp-deleted");
    item.remove.disabled = false;
    item.li.querySelector(".mp-badge-deleted")?.remove();
  }

  isDeleted(id: number | string): boolean {
    return this.items.get(String(id))?.deleted ?? false;
  }

  /** Bring a message into view and give it focus (from a report). */
  focusMessage(id: number | string): boolean {
    const item = this.items.get(String(id));
    if (!item) return false;
    item.li.scrollIntoView({ block: "center" });
    item.li.focus();
    return true;
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private insertionPoint(id: number | string): Node | null {
    if (typeof id !== "number") return null;
    // Messages come in id order; an approved one (its original id) may belong further up.
    let next: Node | null = null;
    for (const item of [...this.items.values()].reverse()) {
      if (typeof item.message.id === "number" && item.message.id > id) next = item.li;
      else break;
    }
    return next;
  }

  private refreshEmpty(): void {
    this.empty.hidden = this.items.size > 0;
  }

  private refreshMuteButtons(userId: string): void {
    const on = this.muted.has(userId);
    for (const item of this.items.values()) {
      if (item.message.user.id !== userId) continue;
      item.mute.setAttribute("aria-pressed", String(on));
      item.li.classList.toggle("mp-author-muted", on);
    }
  }

  private render(m: ModMessage): Item {
    const ctx = this.ctx;
    const user = m.user;
    const sent = new Date(ctx.localTime(m.ts));
    const who = user.name;
    const note = h("div", { class: "mp-msg-note" });
    const badges = h("span", { class: "mp-badges" },
      m.verdict && m.verdict !== "allow"
        ? h("span", { class: `mp-badge mp-badge-${m.verdict}` }, m.verdict === "mask" ? "masked" : m.verdict)
        : null,
      m.hidden ? h("span", { class: "mp-badge mp-badge-hidden", title: "Shadow-muted: only the author sees it" }, "hidden")
        : null);

    const button = (label: string, onclick: (b: HTMLButtonElement) => void, cls = ""): HTMLButtonElement => {
      const b: HTMLButtonElement = h("button", { type: "button", class: `mp-button mp-button-small ${cls}`.trim() }, label);
      b.addEventListener("click", () => onclick(b));
      return b;
    };

    const remove = button("Delete", (b) => void ctx.act(`delete ${who}'s message`, "mod.delete", { id: m.id }, {
      button: b, done: () => {
        this.markDeleted(m.id);
        return `Deleted ${who}'s message.`;
      },
    }), "mp-button-danger");
    const timeout = (seconds: number) => button(`Timeout ${formatDuration(seconds)}`, (b) =>
      void ctx.act(`time out ${who}`, "mod.timeout", { user: user.id, seconds }, {
        button: b, done: (a) => `${who} may not chat or react until ${this.until(a.until, seconds)}.`,
      }));
    const mute = button("Shadow-mute", (b) => {
      const on = !this.muted.has(user.id);
      void ctx.act(on ? `shadow-mute ${who}` : `lift ${who}'s shadow-mute`, "mod.shadow_mute", { user: user.id, on }, {
        button: b, done: () => {
          if (on) this.muted.add(user.id);
          else this.muted.delete(user.id);
          this.refreshMuteButtons(user.id);
          return on ? `${who} is shadow-muted: their messages now reach only them.` : `${who} is no longer shadow-muted.`;
        },
      });
    }, "mp-toggle");
    mute.setAttribute("aria-pressed", String(this.muted.has(user.id)));
    mute.title = "Their messages reach only them";
    const purge = button("Purge 10 min", (b) => void ctx.act(`purge ${who}'s messages`, "mod.purge",
      { user: user.id, minutes: 10 }, {
        button: b, done: (a) => {
          const ids: Array<number | string> = Array.isArray(a.deleted) ? a.deleted : [];
          for (const id of ids) this.markDeleted(id);
          return `Purged ${plural(ids.length, "message")} from ${who} (last 10 min).`;
        },
      }));
    const banRoom = button("Ban from room", (b) => this.confirmBan(item, b, "room"), "mp-button-danger");
    const banTenant = button("Ban from tenant", (b) => this.confirmBan(item, b, "tenant"), "mp-button-danger");

    const li = h("li", { class: "mp-msg", "data-id": m.id, "data-user": user.id, tabindex: -1 },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, who),
        h("span", { class: "mp-user-id" }, user.id),
        h("time", { class: "mp-time", datetime: sent.toISOString() }, formatClock(sent.getTime())),
        badges),
      h("p", { class: "mp-text" }, m.text),
      m.reasons?.length ? h("p", { class: "mp-reasons" }, "Why: ", m.reasons.join(", ")) : null,
      h("div", { class: "mp-actions", role: "group", "aria-label": `Actions for ${who}'s message at ${formatClock(sent.getTime())}` },
        remove, timeout(60), timeout(600), mute, purge, banRoom, banTenant),
      note);
    const item: Item = { message: m, li, deleted: false, mute, remove, note };
    return item;
  }

  private until(until: unknown, seconds: number): string {
    if (typeof until === "number") return formatClock(this.ctx.localTime(until));
    return `${formatDuration(seconds)} from now`;
  }

  /** A ban asks first, inline: for how long, then confirm or cancel (Escape). */
  private confirmBan(item: Item, opener: HTMLButtonElement, scope: "room" | "tenant"): void {
    const who = item.message.user.name;
    const user = item.message.user.id;
    const where = scope === "room" ? "this room" : "every room of the tenant";
    const select = h("select", { class: "mp-select", "aria-label": "How long" },
      BAN_DURATIONS.map(([label, s]) => h("option", { value: s ?? "" }, label)));
    const close = (): void => {
      item.note.replaceChildren();
      opener.focus();
    };
    const confirm = h("button", { type: "button", class: "mp-button mp-button-small mp-button-danger" }, `Ban ${who}`);
    confirm.addEventListener("click", () => {
      const payload: Record<string, unknown> = { user, scope };
      if (select.value) payload.seconds = Number(select.value);
      void this.ctx.act(`ban ${who}`, "mod.ban", payload, {
        button: confirm,
        done: (a) => {
          this.showUnban(item, user, who, scope);
          const until = typeof a.until === "number" ? ` until ${formatClock(this.ctx.localTime(a.until))}` : " for good";
          return `${who} is banned from ${where}${until}.`;
        },
      });
    });
    const cancel = h("button", { type: "button", class: "mp-button mp-button-small", onclick: close }, "Cancel");
    const box = h("div", { class: "mp-confirm", role: "group", "aria-label": `Confirm ban of ${who}` },
      h("span", null, `Ban ${who} from ${where}?`), select, confirm, cancel);
    box.addEventListener("keydown", (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    item.note.replaceChildren(box);
    confirm.focus();
  }

  private showUnban(item: Item, user: string, who: string, scope: "room" | "tenant"): void {
    const undo = h("button", { type: "button", class: "mp-button mp-button-small" }, "Unban");
    undo.addEventListener("click", () => void this.ctx.act(`unban ${who}`, "mod.unban", { user, scope }, {
      reason: false, button: undo, done: () => {
        item.note.replaceChildren();
        return `${who} is no longer banned.`;
      },
    }));
    item.note.replaceChildren(h("div", { class: "mp-confirm" },
      h("span", null, `${who} is banned (${scope}).`), undo));
    undo.focus();
  }
}
