import type { ChatMessage } from "../src/index";
import { composer } from "./composer";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";
import { describeError, formatClock, formatMediaTime, snippet } from "./format";
import { openReportForm } from "./report";

export { MAX_CHAT_CHARS } from "./composer";
/** Older messages leave the DOM beyond this many (they stay in party.messages). */
export const MAX_RENDERED_MESSAGES = 200;
/** Within this many pixels of the bottom, new messages keep the list scrolled down. */
const STICK_TO_BOTTOM_PX = 48;

/** Chat with timeline comments (pinned to a media time), replies and reports. */
export function chatSection(ctx: WidgetContext): HTMLElement {
  const party = ctx.party;
  const headingId = uid("chat");
  const rendered = new Map<number, HTMLLIElement>();
  const compose = composer(ctx);

  const list = h("ol", {
    class: "ssw-messages", role: "log", "aria-live": "polite", "aria-labelledby": headingId, tabindex: 0,
  });
  const empty = h("p", { class: "ssw-empty" }, "No messages yet. Say hello!");

  // ------------------------------------------------------------ one message
  function seekButton(mediaTime: number): HTMLButtonElement {
    const label = formatMediaTime(mediaTime);
    const button = h("button", {
      type: "button", class: "ssw-seek", "data-media-time": mediaTime, "aria-label": `Play from ${label}`,
      onclick: () => {
        if (!ctx.canControl()) return;
        const duration = party.playback.media.duration;
        const position = duration !== undefined ? Math.min(mediaTime, duration) : mediaTime;
        party.control("seek", { position }).catch((err) => compose.showError(describeError(err, "seek")));
      },
    }, `▶ ${label}`);
    button.disabled = !ctx.canControl();
    return button;
  }

  function fillQuote(q: HTMLElement, parentId: number): void {
    const parent = party.messages.find((m) => m.id === parentId);
    q.replaceChildren();
    if (parent) q.append(h("span", { class: "ssw-quote-author" }, parent.user.name), ": ", snippet(parent.text));
    else q.append("An earlier message");
  }

  function reportForm(m: ChatMessage, li: HTMLLIElement, opener: HTMLButtonElement): HTMLFormElement {
    return openReportForm(li, opener, {
      label: `Why report this message from ${m.user.name}?`,
      send: (reason) => party.client.request("chat.report", { party: party.id, id: m.id, reason }),
      describe: (err) => describeError(err, "report messages"),
    });
  }

  function renderMessage(m: ChatMessage): HTMLLIElement {
    const mine = m.user.id === party.you.id;
    const sent = new Date(ctx.localTime(m.ts));
    const quote = m.reply_to !== undefined ? h("div", { class: "ssw-quote", "data-reply-to": m.reply_to }) : null;
    if (quote && m.reply_to !== undefined) fillQuote(quote, m.reply_to);
    const report: HTMLButtonElement | null = mine ? null : h("button", {
      type: "button", class: "ssw-link-button ssw-report-button", "aria-label": `Report message from ${m.user.name}`,
      onclick: () => report && reportForm(m, li, report),
    }, "Report");
    const li = h("li", { class: mine ? "ssw-message ssw-mine" : "ssw-message", "data-id": m.id },
      h("div", { class: "ssw-message-meta" },
        h("span", { class: "ssw-author" }, m.user.name),
        mine ? h("span", { class: "ssw-member-you" }, "(you)") : null,
        h("time", { class: "ssw-time", datetime: sent.toISOString() }, formatClock(sent.getTime())),
        m.media_time !== undefined ? seekButton(m.media_time) : null),
      quote,
      h("p", { class: "ssw-text" }, m.text),
      h("div", { class: "ssw-message-actions" },
        h("button", {
          type: "button", class: "ssw-link-button ssw-reply", "aria-label": `Reply to ${m.user.name}`,
          onclick: () => compose.setReply(m),
        }, "Reply"),
        report));
    return li;
  }

  // ------------------------------------------------------------ the list
  function addMessage(m: ChatMessage): void {
    if (rendered.has(m.id)) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
    const li = renderMessage(m);
    // In id order: a restored message goes back where it was.
    let before: HTMLLIElement | null = null;
    for (const [id, el] of rendered) {
      if (id > m.id && (!before || id < Number(before.dataset.id))) before = el;
    }
    rendered.set(m.id, li);
    list.insertBefore(li, before);
    while (rendered.size > MAX_RENDERED_MESSAGES) {
      const oldest = Math.min(...rendered.keys());
      rendered.get(oldest)?.remove();
      rendered.delete(oldest);
    }
    empty.hidden = true;
    if (!before && (atBottom || m.user.id === party.you.id)) list.scrollTop = list.scrollHeight;
  }

  function refreshQuotes(parentId: number, deleted: boolean): void {
    for (const q of list.querySelectorAll<HTMLElement>(`.ssw-quote[data-reply-to="${parentId}"]`)) {
      if (deleted) setText(q, "Message deleted");
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
    for (const button of list.querySelectorAll<HTMLButtonElement>(".ssw-seek")) button.disabled = !allowed;
  }

  ctx.on("message", addMessage);
  ctx.on("restored", (m) => {
    addMessage(m);
    refreshQuotes(m.id, false);
  });
  ctx.on("deleted", removeMessage);
  ctx.on("members", refreshSeekButtons);
  ctx.on("party", refreshSeekButtons);
  ctx.on("ended", refreshSeekButtons);
  for (const m of party.messages.slice(-MAX_RENDERED_MESSAGES)) addMessage(m);
  empty.hidden = rendered.size > 0;
  // Once mounted, start at the newest message.
  ctx.disposer.timeout(() => (list.scrollTop = list.scrollHeight), 0);

  return h("section", { class: "ssw-section ssw-chat", "aria-labelledby": headingId },
    h("h3", { id: headingId, class: "ssw-heading" }, "Chat"),
    list, empty, compose.el);
}
