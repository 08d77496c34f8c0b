import type { ChatMessage } from "../src/types";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "./dom";
import { codePoints, describeError, formatClock, formatMediaTime, snippet } from "./format";

/** The server's limit on a message, in code points after trimming. */
export const MAX_CHAT_CHARS = 500;
/** Older messages leave the DOM beyond this many (they stay in party.messages). */
export const MAX_RENDERED_MESSAGES = 200;
/** Within this many pixels of the bottom, new messages keep the list scrolled down. */
const STICK_TO_BOTTOM_PX = 48;

/** Chat with timeline comments (pinned to a media time) and replies. */
export function chatSection(ctx: WidgetContext): HTMLElement {
  const party = ctx.party;
  const ids = { heading: uid("chat"), input: uid("chat-input"), counter: uid("chat-count"), pin: uid("chat-pin") };
  const rendered = new Map<number, HTMLLIElement>();
  let replyTo: ChatMessage | null = null;
  let sending = false;

  const list = h("ol", {
    class: "ssw-messages", role: "log", "aria-live": "polite", "aria-labelledby": ids.heading, tabindex: 0,
  });
  const empty = h("p", { class: "ssw-empty" }, "No messages yet. Say hello!");
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const input = h("input", {
    id: ids.input, class: "ssw-input", type: "text", autocomplete: "off", enterkeyhint: "send",
    placeholder: "Say something…", "aria-describedby": ids.counter,
  });
  const send = h("button", { type: "submit", class: "ssw-button ssw-button-primary" }, "Send");
  const pin = h("input", { id: ids.pin, type: "checkbox", class: "ssw-checkbox" });
  const counter = h("span", { id: ids.counter, class: "ssw-counter" });
  const replyName = h("strong", null);
  const replyBar = h("div", { class: "ssw-replying" },
    h("span", null, "Replying to ", replyName),
    h("button", { type: "button", class: "ssw-icon-button", "aria-label": "Cancel reply", onclick: () => setReply(null) }, "×"));

  // ------------------------------------------------------------ rendering messages
  function seekButton(mediaTime: number): HTMLButtonElement {
    const label = formatMediaTime(mediaTime);
    const button = h("button", {
      type: "button", class: "ssw-seek", "data-media-time": mediaTime, "aria-label": `Play from ${label}`,
      onclick: () => {
        if (!ctx.canControl()) return;
        const duration = party.playback.media.duration;
        const position = duration !== undefined ? Math.min(mediaTime, duration) : mediaTime;
        party.control("seek", { position }).catch((err) => setText(alert, describeError(err, "seek")));
      },
    }, `▶ ${label}`);
    button.disabled = !ctx.canControl();
    return button;
  }

  function quote(parentId: number): HTMLElement {
    const parent = party.messages.find((m) => m.id === parentId);
    return h("div", { class: "ssw-quote", "data-reply-to": parentId },
      parent
        ? [h("span", { class: "ssw-quote-author" }, parent.user.name), ": ", snippet(parent.text)]
        : "An earlier message");
  }

  function renderMessage(m: ChatMessage): HTMLLIElement {
    const mine = m.user.id === party.you.id;
    const sent = new Date(ctx.localTime(m.ts));
    return h("li", { class: mine ? "ssw-message ssw-mine" : "ssw-message", "data-id": m.id },
      h("div", { class: "ssw-message-meta" },
        h("span", { class: "ssw-author" }, m.user.name),
        mine ? h("span", { class: "ssw-member-you" }, "(you)") : null,
        h("time", { class: "ssw-time", datetime: sent.toISOString() }, formatClock(sent.getTime())),
        m.media_time !== undefined ? seekButton(m.media_time) : null),
      m.reply_to !== undefined ? quote(m.reply_to) : null,
      h("p", { class: "ssw-text" }, m.text),
      h("button", {
        type: "button", class: "ssw-link-button ssw-reply", "aria-label": `Reply to ${m.user.name}`,
        onclick: () => setReply(m),
      }, "Reply"));
  }

  function addMessage(m: ChatMessage): void {
    if (rendered.has(m.id)) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
    const li = renderMessage(m);
    rendered.set(m.id, li);
    list.appendChild(li);
    while (rendered.size > MAX_RENDERED_MESSAGES) {
      const [oldest, el] = rendered.entries().next().value as [number, HTMLLIElement];
      el.remove();
      rendered.delete(oldest);
    }
    empty.hidden = true;
    if (atBottom || m.user.id === party.you.id) list.scrollTop = list.scrollHeight;
  }

  function removeMessage(id: number): void {
    rendered.get(id)?.remove();
    rendered.delete(id);
    for (const q of list.querySelectorAll<HTMLElement>(`.ssw-quote[data-reply-to="${id}"]`)) {
      setText(q, "Message deleted");
    }
    if (replyTo?.id === id) setReply(null);
    empty.hidden = rendered.size > 0;
  }

  function refreshSeekButtons(): void {
    const allowed = ctx.canControl();
    for (const button of list.querySelectorAll<HTMLButtonElement>(".ssw-seek")) button.disabled = !allowed;
  }

  // ------------------------------------------------------------ the composer
  function setReply(m: ChatMessage | null): void {
    replyTo = m;
    replyBar.hidden = !m;
    setText(replyName, m ? m.user.name : "");
    if (m) input.focus();
  }

  function refreshComposer(): void {
    const n = codePoints(input.value);
    setText(counter, `${n}/${MAX_CHAT_CHARS}`);
    counter.classList.toggle("ssw-over", n > MAX_CHAT_CHARS);
    send.disabled = sending || ctx.ended || n === 0 || n > MAX_CHAT_CHARS;
    input.disabled = pin.disabled = ctx.ended;
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const text = input.value.trim();
    if (sending || ctx.ended || !text) return;
    if (codePoints(text) > MAX_CHAT_CHARS) {
      setText(alert, `That is too long: ${MAX_CHAT_CHARS} characters at most.`);
      return;
    }
    const options: { replyTo?: number; mediaTime?: number } = {};
    if (replyTo) options.replyTo = replyTo.id;
    if (pin.checked) options.mediaTime = party.expectedPosition();
    sending = true;
    refreshComposer();
    try {
      const sentReply = replyTo;
      const sent = await party.sendChat(text, options);
      // Clear only what was sent: the person may have typed on while it was on its way.
      if (input.value.trim() === text) input.value = "";
      if (replyTo === sentReply) setReply(null);
      setText(alert, sent ? "" : "Your message is waiting for a moderator's review.");
    } catch (err) {
      setText(alert, describeError(err, "send messages"));
    } finally {
      sending = false;
      refreshComposer();
    }
  }

  input.addEventListener("input", refreshComposer);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && replyTo) setReply(null);
  });

  const form = h("form", { class: "ssw-composer", onsubmit: (event: Event) => void submit(event) },
    replyBar,
    h("div", { class: "ssw-composer-row" },
      h("label", { for: ids.input, class: "ssw-visually-hidden" }, "Message"),
      input,
      send),
    h("div", { class: "ssw-composer-row ssw-composer-options" },
      h("span", { class: "ssw-toggle" }, pin, h("label", { for: ids.pin }, "Pin to current moment")),
      counter),
    alert);

  ctx.on("message", addMessage);
  ctx.on("deleted", removeMessage);
  ctx.on("members", refreshSeekButtons);
  ctx.on("party", refreshSeekButtons);
  ctx.on("ended", () => {
    refreshSeekButtons();
    refreshComposer();
  });
  for (const m of party.messages.slice(-MAX_RENDERED_MESSAGES)) addMessage(m);
  empty.hidden = rendered.size > 0;
  // Once mounted, start at the newest message.
  ctx.disposer.timeout(() => (list.scrollTop = list.scrollHeight), 0);
  setReply(null);
  refreshComposer();

  return h("section", { class: "ssw-section ssw-chat", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, "Chat"),
    list, empty, form);
}
