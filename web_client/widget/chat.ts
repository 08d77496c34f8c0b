import type { ChatMessage } from "../src/index";
import { Throttle } from "../ui/announce";
import { h, setText, uid } from "../ui/dom";
import { composer, type Composer } from "./composer";
import type { WidgetContext } from "./context";
import { describeError, formatClock, formatMediaTime, snippet } from "./format";
import { openReportForm } from "./report";

export { MAX_CHAT_CHARS } from "./composer";
/** Older messages leave the DOM beyond this many (they stay in party.messages). */
export const MAX_RENDERED_MESSAGES = 200;
/** Other members' messages are announced to screen readers at most this often, summed up. */
export const ANNOUNCE_CHAT_MS = 3000;
/** Within this many pixels of the bottom, new messages keep the list scrolled down. */
const STICK_TO_BOTTOM_PX = 48;

export interface Chat {
  el: HTMLElement;
  composer: Composer;
  /** The scrolling list of messages (focusable), where "Back" from the chat box goes. */
  list: HTMLElement;
}

/**
 * Chat with timeline comments (pinned to a media time), replies and reports. The list
 * is a `log` that does not speak by itself: what others write is announced through
 * `announce`, a burst as one summary.
 */
export function chatSection(ctx: WidgetContext, announce: (text: string) => void): Chat {
  const { party, t, i18n } = ctx;
  const headingId = uid("chat");
  const rendered = new Map<number, HTMLLIElement>();
  const compose = composer(ctx);

  const items = h("ol", { class: "ssw-message-list" });
  const list = h("div", {
    class: "ssw-messages", role: "log", "aria-live": "off", "aria-labelledby": headingId, tabindex: 0,
  }, items);
  const empty = h("p", { class: "ssw-empty" }, t("chat.empty"));

  const spoken = new Throttle<ChatMessage>(ANNOUNCE_CHAT_MS, (batch) => {
    const last = batch[batch.length - 1];
    announce(batch.length === 1
      ? t("chat.announce_one", { name: last.user.name, text: snippet(last.text, 140) })
      : t("chat.announce_many", { count: batch.length, name: last.user.name, text: snippet(last.text, 140) }));
  });
  ctx.disposer.add(() => spoken.dispose());

  // ------------------------------------------------------------ one message
  function seekButton(mediaTime: number): HTMLButtonElement {
    const label = formatMediaTime(mediaTime, i18n);
    const button = h("button", {
      type: "button", class: "ssw-seek", "data-media-time": mediaTime, "aria-label": t("chat.play_from", { time: label }),
      onclick: () => {
        if (!ctx.canControl()) return;
        const duration = party.playback.media.duration;
        const position = duration !== undefined ? Math.min(mediaTime, duration) : mediaTime;
        party.control("seek", { position }).catch((err) => compose.showError(describeError(err, "seek", i18n)));
      },
    }, `▶ ${label}`);
    button.disabled = !ctx.canControl();
    return button;
  }

  function fillQuote(q: HTMLElement, parentId: number): void {
    const parent = party.messages.find((m) => m.id === parentId);
    q.replaceChildren();
    if (parent) q.append(h("span", { class: "ssw-quote-author" }, parent.user.name), ": ", snippet(parent.text));
    else q.append(t("chat.earlier_message"));
  }

  function renderMessage(m: ChatMessage): HTMLLIElement {
    const mine = m.user.id === party.you.id;
    const sent = new Date(ctx.localTime(m.ts));
    const quote = m.reply_to !== undefined ? h("div", { class: "ssw-quote", "data-reply-to": m.reply_to }) : null;
    if (quote && m.reply_to !== undefined) fillQuote(quote, m.reply_to);
    const report: HTMLButtonElement | null = mine ? null : h("button", {
      type: "button", class: "ssw-link-button ssw-report-button",
      "aria-label": t("chat.report_label", { name: m.user.name }),
      onclick: () => report && openReportForm(li, report, ctx, {
        label: t("report.why_message", { name: m.user.name }),
        send: (reason) => party.client.request("chat.report", { party: party.id, id: m.id, reason }),
        describe: (err) => describeError(err, "report", i18n),
      }),
    }, t("chat.report"));
    const li = h("li", { class: mine ? "ssw-message ssw-mine" : "ssw-message", "data-id": m.id },
      h("div", { class: "ssw-message-meta" },
        h("span", { class: "ssw-author" }, m.user.name),
        mine ? h("span", { class: "ssw-member-you" }, t("people.you")) : null,
        h("time", { class: "ssw-time", datetime: sent.toISOString() }, formatClock(sent.getTime(), i18n)),
        m.media_time !== undefined ? seekButton(m.media_time) : null),
      quote,
      h("p", { class: "ssw-text", dir: "auto" }, m.text),
      h("div", { class: "ssw-message-actions" },
        h("button", {
          type: "button", class: "ssw-link-button ssw-reply", "aria-label": t("chat.reply_label", { name: m.user.name }),
          onclick: () => compose.setReply(m),
        }, t("chat.reply")),
        report));
    return li;
  }

  // ------------------------------------------------------------ the list
  function addMessage(m: ChatMessage, live: boolean): void {
    if (rendered.has(m.id)) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
    const li = renderMessage(m);
    // In id order: a restored message goes back where it was.
    let before: HTMLLIElement | null = null;
    for (const [id, el] of rendered) {
      if (id > m.id && (!before || id < Number(before.dataset.id))) before = el;
    }
    rendered.set(m.id, li);
    items.insertBefore(li, before);
    while (rendered.size > MAX_RENDERED_MESSAGES) {
      const oldest = Math.min(...rendered.keys());
      rendered.get(oldest)?.remove();
      rendered.delete(oldest);
    }
    empty.hidden = true;
    if (!before && (atBottom || m.user.id === party.you.id)) list.scrollTop = list.scrollHeight;
    if (live && m.user.id !== party.you.id) spoken.push(m);
  }

  function refreshQuotes(parentId: number, deleted: boolean): void {
    for (const q of items.querySelectorAll<HTMLElement>(`.ssw-quote[data-reply-to="${parentId}"]`)) {
      if (deleted) setText(q, t("chat.deleted"));
      else fillQuote(q, parentId);
    }
  }

  function removeMessage(id: number): void {
    rendered.get(id)?.remove();
    rendered.delete(id);
    refreshQuotes(id, true);
    if (compose.replyingTo()?.id === id) compose.setReply(null);
    empty.hidden = rendered.size > 0;
  }

  function refreshSeekButtons(): void {
    const allowed = ctx.canControl();
    for (const button of items.querySelectorAll<HTMLButtonElement>(".ssw-seek")) button.disabled = !allowed;
  }

  ctx.on("message", (m) => addMessage(m, true));
  ctx.on("restored", (m) => {
    addMessage(m, false);
    refreshQuotes(m.id, false);
  });
  ctx.on("deleted", removeMessage);
  ctx.on("members", refreshSeekButtons);
  ctx.on("party", refreshSeekButtons);
  ctx.on("ended", refreshSeekButtons);
  for (const m of party.messages.slice(-MAX_RENDERED_MESSAGES)) addMessage(m, false);
  empty.hidden = rendered.size > 0;
  // Once mounted, start at the newest message.
  ctx.disposer.timeout(() => (list.scrollTop = list.scrollHeight), 0);

  const el = h("section", { class: "ssw-section ssw-chat", "aria-labelledby": headingId },
    h("h3", { id: headingId, class: "ssw-heading" }, t("chat.heading")),
    list, empty, compose.el);
  return { el, composer: compose, list };
}
