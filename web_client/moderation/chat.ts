import type { RoomContext } from "./context";
import { h } from "./dom";
import { formatClock, formatDuration, timeAttrs } from "./format";
import { t } from "./i18n";
import { actionRow } from "./menu";
import { reasonsLine } from "./reasons";
import type { ModMessage } from "./types";

/** Older messages leave the DOM beyond this many. */
const MAX_RENDERED = 500;
const STICK_TO_BOTTOM_PX = 48;
const BAN_DURATIONS: Array<[seconds: number | null]> = [[null], [3600], [86400], [604800], [2592000]];

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
    /** The scrolling log around the list. */
    private readonly scroller: HTMLElement,
    private readonly empty: HTMLElement,
  ) {
    scroller.addEventListener("scroll", () => {
      this.stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX;
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
    badges?.appendChild(h("span", { class: "mp-badge mp-badge-deleted" }, t("badge.deleted")));
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
    this.scroller.scrollTop = this.scroller.scrollHeight;
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
      const badge = item.li.querySelector(".mp-badge-muted");
      if (on && !badge) item.li.querySelector(".mp-badges")?.appendChild(h("span", { class: "mp-badge mp-badge-muted" }, t("badge.muted")));
      else if (!on) badge?.remove();
    }
  }

  private render(m: ModMessage): Item {
    const ctx = this.ctx;
    const user = m.user;
    const sent = ctx.localTime(m.ts);
    const who = user.name;
    const note = h("div", { class: "mp-msg-note" });
    const badges = h("span", { class: "mp-badges" },
      m.verdict && m.verdict !== "allow"
        ? h("span", { class: `mp-badge mp-badge-${m.verdict}` }, t("badge.verdict", { verdict: m.verdict }))
        : null,
      m.hidden ? h("span", { class: "mp-badge mp-badge-hidden", title: t("badge.hidden_title") }, t("badge.hidden"))
        : null);

    const button = (label: string, onclick: (b: HTMLButtonElement) => void, cls = ""): HTMLButtonElement => {
      const b: HTMLButtonElement = h("button", { type: "button", class: `mp-button mp-button-small ${cls}`.trim() }, label);
      b.addEventListener("click", () => onclick(b));
      return b;
    };

    const remove = button(t("chat.delete"), (b) => void ctx.act(t("act.delete", { name: who }), "mod.delete", { id: m.id }, {
      button: b, done: () => {
        this.markDeleted(m.id);
        return t("done.deleted", { name: who });
      },
    }), "mp-button-danger");
    const timeout = (seconds: number) => button(t("chat.timeout", { duration: formatDuration(seconds) }), (b) =>
      void ctx.act(t("act.timeout", { name: who }), "mod.timeout", { user: user.id, seconds }, {
        button: b, done: (a) => t("done.timeout", { name: who, until: this.until(a.until, seconds) }),
      }));
    const mute = button(t("chat.shadow_mute"), (b) => {
      const on = !this.muted.has(user.id);
      void ctx.act(t("act.shadow_mute", { name: who, on: on ? "yes" : "no" }), "mod.shadow_mute", { user: user.id, on }, {
        button: b, done: () => {
          if (on) this.muted.add(user.id);
          else this.muted.delete(user.id);
          this.refreshMuteButtons(user.id);
          return t("done.shadow_mute", { name: who, on: on ? "yes" : "no" });
        },
      });
    }, "mp-toggle");
    mute.setAttribute("aria-pressed", String(this.muted.has(user.id)));
    mute.title = t("chat.shadow_mute_title");
    const purge = button(t("chat.purge", { minutes: 10 }), (b) => void ctx.act(t("act.purge", { name: who }), "mod.purge",
      { user: user.id, minutes: 10 }, {
        button: b, done: (a) => {
          const ids: Array<number | string> = Array.isArray(a.deleted) ? a.deleted : [];
          for (const id of ids) this.markDeleted(id);
          return t("done.purged", { count: ids.length, name: who, minutes: 10 });
        },
      }));
    const banRoom = button(t("chat.ban_room"), (b) => this.confirmBan(item, b, "room"), "mp-button-danger");
    const banTenant = button(t("chat.ban_tenant"), (b) => this.confirmBan(item, b, "tenant"), "mp-button-danger");

    const li = h("li", { class: "mp-msg", "data-id": m.id, "data-user": user.id, tabindex: -1 },
      h("div", { class: "mp-msg-meta" },
        h("span", { class: "mp-author" }, who),
        h("span", { class: "mp-user-id" }, user.id),
        h("time", { class: "mp-time", ...timeAttrs(sent) }, formatClock(sent)),
        badges),
      h("p", { class: "mp-text", dir: "auto" }, m.text),
      // What the author wrote, when the filter masked it (moderators only).
      m.original !== undefined && m.original !== m.text
        ? h("p", { class: "mp-original" }, h("span", { class: "mp-label" }, t("chat.original")), " ",
          h("span", { dir: "auto" }, m.original))
        : null,
      reasonsLine(m.reasons),
      actionRow(t("chat.actions_label", { name: who, time: formatClock(sent) }),
        [remove, timeout(60)], [timeout(600), mute, purge, banRoom, banTenant]),
      note);
    const item: Item = { message: m, li, deleted: false, mute, remove, note };
    return item;
  }

  private until(until: unknown, seconds: number): string {
    if (typeof until === "number") return formatClock(this.ctx.localTime(until));
    return t("chat.from_now", { duration: formatDuration(seconds) });
  }

  /** A ban asks first, inline: for how long, then confirm or cancel (Escape). */
  private confirmBan(item: Item, opener: HTMLButtonElement, scope: "room" | "tenant"): void {
    const who = item.message.user.name;
    const user = item.message.user.id;
    const select = h("select", { class: "mp-select", "aria-label": t("ban.how_long") },
      BAN_DURATIONS.map(([s]) => h("option", { value: s ?? "" },
        s === null ? t("ban.for_good") : t("ban.for", { duration: formatDuration(s) }))));
    const close = (): void => {
      item.note.replaceChildren();
      opener.focus();
    };
    const confirm = h("button", { type: "button", class: "mp-button mp-button-small mp-button-danger" },
      t("ban.confirm", { name: who }));
    confirm.addEventListener("click", () => {
      const payload: Record<string, unknown> = { user, scope };
      if (select.value) payload.seconds = Number(select.value);
      void this.ctx.act(t("act.ban", { name: who }), "mod.ban", payload, {
        button: confirm,
        done: (a) => {
          this.showUnban(item, user, who, scope);
          return typeof a.until === "number"
            ? t("done.banned_until", { name: who, scope, until: formatClock(this.ctx.localTime(a.until)) })
            : t("done.banned", { name: who, scope });
        },
      });
    });
    const cancel = h("button", { type: "button", class: "mp-button mp-button-small", onclick: close }, t("ban.cancel"));
    const box = h("div", { class: "mp-confirm", role: "group", "aria-label": t("ban.label", { name: who }) },
      h("span", null, t("ban.question", { name: who, scope })), select, confirm, cancel);
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
    const undo = h("button", { type: "button", class: "mp-button mp-button-small" }, t("ban.unban"));
    undo.addEventListener("click", () => void this.ctx.act(t("act.unban", { name: who }), "mod.unban", { user, scope }, {
      reason: false, button: undo, done: () => {
        item.note.replaceChildren();
        return t("done.unbanned", { name: who });
      },
    }));
    item.note.replaceChildren(h("div", { class: "mp-confirm" },
      h("span", null, t("ban.is_banned", { name: who, scope })), undo));
    undo.focus();
  }
}

