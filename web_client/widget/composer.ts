import { SocialSyncError, type ChatMessage, type ChatRules } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { codePoints, describeError } from "./format";
import type { WidgetI18n } from "./i18n";

/** The server's limit on a message, in code points after trimming. */
export const MAX_CHAT_CHARS = 500;
/** Messages typed while earlier ones are on their way wait in order, up to this many. */
export const MAX_QUEUED = 5;
/** A rate-limited message is sent again by itself when the wait is at most this long. */
export const MAX_AUTO_RETRY_S = 10;

interface Outgoing {
  text: string;
  options: { replyTo?: number; mediaTime?: number };
}

export interface Composer {
  el: HTMLFormElement;
  setReply(message: ChatMessage | null): void;
  /** The message being answered, if any. */
  replyingTo(): ChatMessage | null;
  showError(text: string): void;
  /** Where focus goes when "Back" leaves the chat box (default: nowhere). */
  onLeave: (() => void) | null;
}

/** Chat rules as one line for people, or "" when none apply. */
export function describeRules(rules: ChatRules | null, i18n: WidgetI18n): string {
  if (!rules) return "";
  const parts: string[] = [];
  if (rules.locked) parts.push(i18n.t("rules.locked"));
  if (rules.emote_only) parts.push(i18n.t("rules.emote_only"));
  if (rules.members_only) parts.push(i18n.t("rules.members_only"));
  if (rules.slow_mode_s > 0) parts.push(i18n.t("rules.slow_mode", { seconds: rules.slow_mode_s }));
  if (rules.links === false) parts.push(i18n.t("rules.no_links"));
  return parts.join(" · ");
}

/**
 * Input, send, "pin to current moment", the reply bar and the character counter.
 * Sends go out one at a time in order (the server may reorder concurrent ones); what
 * is typed meanwhile waits its turn, and a short rate limit is waited out.
 */
export function composer(ctx: WidgetContext): Composer {
  const { party, t, i18n } = ctx;
  const ids = { input: uid("chat-input"), counter: uid("chat-count"), pin: uid("chat-pin") };
  const queue: Outgoing[] = [];
  let replyTo: ChatMessage | null = null;
  let pumping = false;
  let alive = true;
  ctx.disposer.add(() => {
    alive = false;
    queue.length = 0;
  });

  const alert = h("p", { class: "ssw-error", role: "alert" });
  const rules = h("p", { class: "ssw-rules" });
  const input = h("input", {
    id: ids.input, class: "ssw-input", type: "text", autocomplete: "off", enterkeyhint: "send",
    placeholder: t("chat.placeholder"), "aria-describedby": ids.counter,
  });
  const send = h("button", { type: "submit", class: "ssw-button ssw-button-primary" }, t("chat.send"));
  const pin = h("input", { id: ids.pin, type: "checkbox", class: "ssw-checkbox" });
  const counter = h("span", { id: ids.counter, class: "ssw-counter" });
  const replyName = h("strong", null);
  const replyBar = h("div", { class: "ssw-replying" },
    h("span", null, t("chat.replying_to"), " ", replyName),
    h("button", { type: "button", class: "ssw-icon-button", "aria-label": t("chat.cancel_reply"), onclick: () => setReply(null) }, "×"));

  function setReply(m: ChatMessage | null): void {
    replyTo = m;
    replyBar.hidden = !m;
    setText(replyName, m ? m.user.name : "");
    if (m) input.focus();
  }

  function refresh(): void {
    const n = codePoints(input.value);
    setText(counter, t("chat.counter", { n, max: MAX_CHAT_CHARS }));
    counter.classList.toggle("ssw-over", n > MAX_CHAT_CHARS);
    send.disabled = ctx.ended || n === 0 || n > MAX_CHAT_CHARS || queue.length >= MAX_QUEUED;
    input.disabled = pin.disabled = ctx.ended;
    setText(rules, describeRules(party.rules, i18n));
    rules.hidden = !rules.textContent;
  }

  function submit(event: Event): void {
    event.preventDefault();
    const text = input.value.trim();
    if (ctx.ended || !text) return;
    if (codePoints(text) > MAX_CHAT_CHARS) {
      setText(alert, t("error.too_large", { max: MAX_CHAT_CHARS }));
      return;
    }
    if (queue.length >= MAX_QUEUED) {
      setText(alert, t("chat.queue_full"));
      return;
    }
    const options: Outgoing["options"] = {};
    if (replyTo) options.replyTo = replyTo.id;
    if (pin.checked) options.mediaTime = party.expectedPosition();
    queue.push({ text, options });
    input.value = "";
    setReply(null);
    refresh();
    void pump();
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (alive && queue.length > 0 && !ctx.ended) {
        const next = queue[0];
        try {
          const sent = await party.sendChat(next.text, next.options);
          queue.shift();
          setText(alert, "held" in sent ? t("chat.held") : "");
        } catch (err) {
          const wait = err instanceof SocialSyncError && err.code === "rate_limited" ? (err.retryAfter ?? 1) : null;
          if (wait !== null && wait <= MAX_AUTO_RETRY_S) {
            setText(alert, t("chat.retrying", { seconds: Math.max(1, Math.ceil(wait)) }));
            await new Promise<void>((resolve) => ctx.disposer.timeout(resolve, Math.max(200, wait * 1000 + 50)));
            continue;
          }
          queue.shift();
          setText(alert, describeError(err, "send", i18n));
          // Give the text back, so that it need not be typed again.
          if (alive && !input.value.trim()) input.value = next.text;
        }
        if (alive) refresh();
      }
    } finally {
      pumping = false;
      if (alive) refresh();
    }
  }

  input.addEventListener("input", refresh);
  // "Back" (Escape, a remote's Back, Backspace in an empty box that was not just emptied
  // by Backspace) cancels the reply first, then leaves the chat box.
  let lastKey = "";
  input.addEventListener("keydown", (event) => {
    const previous = lastKey;
    lastKey = event.key;
    const back = event.key === "Escape" || event.key === "GoBack" || event.key === "BrowserBack"
      || (event.key === "Backspace" && input.value === "" && previous !== "Backspace" && !event.repeat);
    if (!back) return;
    event.preventDefault();
    if (replyTo) setReply(null);
    else api.onLeave?.();
  });
  ctx.on("rules", refresh);
  ctx.on("joined", refresh);
  ctx.on("ended", refresh);
  setReply(null);
  refresh();

  const el = h("form", { class: "ssw-composer", onsubmit: submit },
    rules,
    replyBar,
    h("div", { class: "ssw-composer-row" },
      h("label", { for: ids.input, class: "ssw-visually-hidden" }, t("chat.message_label")),
      input,
      send),
    h("div", { class: "ssw-composer-row ssw-composer-options" },
      h("span", { class: "ssw-toggle" }, pin, h("label", { for: ids.pin }, t("chat.pin"))),
      counter),
    alert);
  const api: Composer = { el, setReply, replyingTo: () => replyTo, showError: (text) => setText(alert, text), onLeave: null };
  return api;
}
