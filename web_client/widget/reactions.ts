import type { ReactionBurst } from "../src/index";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";
import { describeError } from "./format";

/** The server's allowed set (socialsync/domain/reactions.py), with names for screen readers. */
export const REACTIONS: ReadonlyArray<readonly [emoji: string, name: string]> = [
  ["😂", "Laugh"], ["❤️", "Love"], ["👍", "Thumbs up"], ["👏", "Applause"],
  ["😮", "Wow"], ["😢", "Sad"], ["🔥", "Fire"], ["🎉", "Party"],
];

/** At most this many floating emoji at once, whatever the storm. */
export const MAX_FLOATING = 30;
/** At most this many nodes for one burst; bigger counts are scaled down. */
export const MAX_PER_BURST = 12;
const FLOAT_MS = 2600;

/** The reaction bar; bursts float up over `overlay` (the video container). */
export function reactionsSection(ctx: WidgetContext, overlay: HTMLElement): HTMLElement {
  const headingId = uid("reactions");
  const notice = h("p", { class: "ssw-error", role: "alert" });
  const layer = h("div", { class: "ssw-float-layer", "aria-hidden": "true" });
  const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");

  // The layer is absolutely positioned: the overlay must be a containing block.
  const previousPosition = overlay.style.position;
  if (getComputedStyle(overlay).position === "static") overlay.style.position = "relative";
  overlay.appendChild(layer);
  ctx.disposer.add(() => {
    layer.remove();
    overlay.style.position = previousPosition;
  });

  const buttons = REACTIONS.map(([emoji, name]) =>
    h("button", {
      type: "button", class: "ssw-reaction", "aria-label": `React: ${name}`, title: name, "data-emoji": emoji,
      onclick: () => {
        ctx.party.react(emoji, ctx.party.expectedPosition()).then(
          () => setText(notice, ""),
          (err) => setText(notice, describeError(err, "react")),
        );
      },
    }, emoji));

  function float(emoji: string, count: number | null, delayMs: number): void {
    const node = h("span", { class: "ssw-float" }, emoji, count ? h("small", null, `×${count}`) : null);
    node.style.left = `${5 + Math.random() * 85}%`;
    node.style.animationDelay = `${Math.round(delayMs)}ms`;
    node.style.setProperty("--ssw-drift", `${Math.round((Math.random() - 0.5) * 60)}px`);
    layer.appendChild(node);
    const remove = () => node.remove();
    node.addEventListener("animationend", remove);
    ctx.disposer.timeout(remove, FLOAT_MS + delayMs + 500); // in case animations are off
  }

  function onBurst(burst: ReactionBurst): void {
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
        float(emoji, i === 0 && n > nodes ? n : null, (i / nodes) * (burst.window_ms || 250));
      }
      if (budget <= 0) break;
    }
  }

  ctx.on("reaction", onBurst);
  ctx.on("ended", () => buttons.forEach((b) => (b.disabled = true)));

  return h("section", { class: "ssw-section ssw-reactions", "aria-labelledby": headingId },
    h("h3", { id: headingId, class: "ssw-visually-hidden" }, "Reactions"),
    h("div", { class: "ssw-reaction-bar", role: "group", "aria-labelledby": headingId }, buttons),
    notice);
}
