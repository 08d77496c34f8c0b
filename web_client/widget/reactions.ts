import type { ReactionBurst } from "../src/index";
import { Throttle } from "../ui/announce";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { emojiSvg } from "./emoji";
import { describeError } from "./format";
import type { WidgetKey } from "./i18n";

/** The server's allowed set (socialsync/domain/reactions.py), with English names. */
export const REACTIONS: ReadonlyArray<readonly [emoji: string, name: string]> = [
  ["😂", "Laugh"], ["❤️", "Love"], ["👍", "Thumbs up"], ["👏", "Applause"],
  ["😮", "Wow"], ["😢", "Sad"], ["🔥", "Fire"], ["🎉", "Party"],
];
/** Each reaction's name in the catalogue. */
export const REACTION_KEYS: Readonly<Record<string, WidgetKey>> = {
  "😂": "reaction.laugh", "❤️": "reaction.love", "👍": "reaction.thumbs_up", "👏": "reaction.applause",
  "😮": "reaction.wow", "😢": "reaction.sad", "🔥": "reaction.fire", "🎉": "reaction.party",
};

/** At most this many floating emoji at once, whatever the storm. */
export const MAX_FLOATING = 30;
/** At most this many nodes for one burst; bigger counts are scaled down. */
export const MAX_PER_BURST = 12;
/** Reactions are announced to screen readers at most this often, summed up. */
export const ANNOUNCE_REACTIONS_MS = 5000;
const FLOAT_MS = 2600;

/** The emoji's picture, and the character itself for copy and find (not read: the button is named). */
function emojiContent(emoji: string): Node[] {
  const svg = emojiSvg(emoji);
  return svg ? [svg, h("span", { class: "ssw-emoji-text" }, emoji)] : [document.createTextNode(emoji)];
}

/** The reaction bar; bursts float up over `overlay` (the video container) and are announced politely. */
export function reactionsSection(ctx: WidgetContext, overlay: HTMLElement, announce: (text: string) => void): HTMLElement {
  const { t, i18n } = ctx;
  const headingId = uid("reactions");
  const notice = h("p", { class: "ssw-error", role: "alert" });
  const layer = h("div", { class: "ssw-float-layer", "aria-hidden": "true" });
  const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");
  const nameOf = (emoji: string) => (REACTION_KEYS[emoji] ? t(REACTION_KEYS[emoji]) : emoji);

  // The layer is absolutely positioned: the overlay must be a containing block.
  const previousPosition = overlay.style.position;
  if (getComputedStyle(overlay).position === "static") overlay.style.position = "relative";
  overlay.appendChild(layer);
  ctx.disposer.add(() => {
    layer.remove();
    overlay.style.position = previousPosition;
  });

  const buttons = REACTIONS.map(([emoji]) =>
    h("button", {
      type: "button", class: "ssw-reaction", "aria-label": t("reactions.send", { name: nameOf(emoji) }),
      title: nameOf(emoji), "data-emoji": emoji,
      onclick: () => {
        ctx.party.react(emoji, ctx.party.expectedPosition()).then(
          () => setText(notice, ""),
          (err) => setText(notice, describeError(err, "react", i18n)),
        );
      },
    }, emojiContent(emoji)));

  function float(emoji: string, count: number | null, delayMs: number): void {
    const node = h("span", { class: "ssw-float" }, emojiContent(emoji),
      count ? h("small", null, t("reactions.count", { count })) : null);
    node.style.insetInlineStart = `${5 + Math.random() * 85}%`;
    node.style.animationDelay = `${Math.round(delayMs)}ms`;
    node.style.setProperty("--ssw-drift", `${Math.round((Math.random() - 0.5) * 60)}px`);
    layer.appendChild(node);
    const remove = () => node.remove();
    node.addEventListener("animationend", remove);
    ctx.disposer.timeout(remove, FLOAT_MS + delayMs + 500); // in case animations are off
  }

  // "Reactions: Fire ×3, Laugh", once per few seconds however many bursts came.
  const spoken = new Throttle<ReactionBurst>(ANNOUNCE_REACTIONS_MS, (bursts) => {
    const totals = new Map<string, number>();
    for (const burst of bursts) {
      for (const [emoji, n] of Object.entries(burst.counts)) if (n > 0) totals.set(emoji, (totals.get(emoji) ?? 0) + n);
    }
    if (!totals.size) return;
    const parts = [...totals].map(([emoji, n]) => t("reactions.part", { name: nameOf(emoji), count: n }));
    announce(t("reactions.announce", { list: parts.join(t("list.separator")) }));
  });
  ctx.disposer.add(() => spoken.dispose());

  function onBurst(burst: ReactionBurst): void {
    spoken.push(burst);
    const entries = Object.entries(burst.counts).filter(([, n]) => n > 0);
    const total = entries.reduce((sum, [, n]) => sum + n, 0);
    const quiet = reducedMotion?.matches ?? false; // one fade in place per emoji, nothing rising
    let budget = Math.min(MAX_PER_BURST, MAX_FLOATING - layer.childElementCount);
    if (budget <= 0 || total === 0) return;
    layer.style.setProperty("--ssw-rise", `${-Math.round(Math.max(120, overlay.clientHeight * 0.75))}px`);
    const scale = Math.min(1, budget / total);
    for (const [emoji, n] of entries) {
      const nodes = quiet ? 1 : Math.min(budget, Math.max(1, Math.round(n * scale)));
      budget -= nodes;
      for (let i = 0; i < nodes; i++) {
        // Spread over the burst's window, as the clicks were; the first carries the true count.
        float(emoji, i === 0 && n > nodes ? n : null, quiet ? 0 : (i / nodes) * (burst.window_ms || 250));
      }
      if (budget <= 0) break;
    }
  }

  ctx.on("reaction", onBurst);
  ctx.on("ended", () => buttons.forEach((b) => (b.disabled = true)));

  return h("section", { class: "ssw-section ssw-reactions", "aria-labelledby": headingId },
    h("h3", { id: headingId, class: "ssw-visually-hidden" }, t("reactions.heading")),
    h("div", { class: "ssw-reaction-bar", role: "group", "aria-labelledby": headingId }, buttons),
    notice);
}
