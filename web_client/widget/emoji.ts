/*! Reaction emoji: Twemoji graphics, Copyright 2019 Twitter, Inc and other contributors
 * (2023- jdecked and contributors), CC-BY 4.0, https://creativecommons.org/licenses/by/4.0/
 * (npm @twemoji/svg, unmodified; see widget/TWEMOJI-LICENSE.txt). */
/// <reference path="./assets.d.ts" />
/**
 * The reaction set drawn from bundled SVG, so that every reaction looks the same on
 * every device, with or without an emoji font. Inline SVG (not <img>): no request and
 * nothing for a page's Content-Security-Policy to refuse.
 */
import applause from "@twemoji/svg/1f44f.svg";
import fire from "@twemoji/svg/1f525.svg";
import heart from "@twemoji/svg/2764.svg";
import laugh from "@twemoji/svg/1f602.svg";
import party from "@twemoji/svg/1f389.svg";
import sad from "@twemoji/svg/1f622.svg";
import thumbsUp from "@twemoji/svg/1f44d.svg";
import wow from "@twemoji/svg/1f62e.svg";

/** The markup of each reaction emoji (the server's set, socialsync/domain/reactions.py). */
export const EMOJI_SVG: Readonly<Record<string, string>> = {
  "😂": laugh, "❤️": heart, "👍": thumbsUp, "👏": applause,
  "😮": wow, "😢": sad, "🔥": fire, "🎉": party,
};

const parsed = new Map<string, SVGElement>();

/** A fresh copy of the emoji's picture (decorative: the control around it is named), or null. */
export function emojiSvg(emoji: string): SVGElement | null {
  let svg = parsed.get(emoji);
  if (!svg) {
    const markup = EMOJI_SVG[emoji];
    if (!markup) return null;
    // Our own build-time file, parsed as an inert XML document (nothing in it runs).
    const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
    const root = doc.documentElement;
    if (root.nodeName !== "svg") return null;
    svg = document.importNode(root, true) as unknown as SVGElement;
    svg.setAttribute("class", "ssw-emoji");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    parsed.set(emoji, svg);
  }
  return svg.cloneNode(true) as SVGElement;
}
