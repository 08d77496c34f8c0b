import type { PartyInfo } from "../src/index";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";

/** The invitation link of a party: the server's, else this page's `?party=ID`. */
export function inviteUrl(info: PartyInfo): string {
  return info.invite_url ?? `${location.origin}/?party=${encodeURIComponent(info.id)}`;
}

/** Copy text; falls back to selecting `field` and execCommand("copy") without the async API. */
export async function copyText(text: string, field?: HTMLInputElement): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (permissions, no focus): try the old way
  }
  if (!field) return false;
  field.focus();
  field.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

interface ShareTarget {
  name: string;
  href(url: string, text: string, title: string): string;
}

const SHARE_TARGETS: ShareTarget[] = [
  {
    name: "Email",
    href: (url, text, title) =>
      `mailto:?subject=${encodeURIComponent(title)}&body=${encodeURIComponent(`${text}\n${url}`)}`,
  },
  { name: "WhatsApp", href: (url, text) => `https://wa.me/?text=${encodeURIComponent(`${text} ${url}`)}` },
  {
    name: "Telegram",
    href: (url, text) => `https://t.me/share/url?url=${encodeURIComponent(url)}&text=${encodeURIComponent(text)}`,
  },
  {
    name: "X",
    href: (url, text) =>
      `https://twitter.com/intent/tweet?url=${encodeURIComponent(url)}&text=${encodeURIComponent(text)}`,
  },
];

/** The invite link with Copy, share links (plain <a>, no third-party scripts) and the Web Share API. */
export function inviteSection(ctx: WidgetContext): HTMLElement {
  const ids = { heading: uid("invite"), field: uid("invite-link") };
  const field = h("input", { id: ids.field, class: "ssw-input ssw-invite-link", type: "text", readonly: true });
  const announce = h("span", { class: "ssw-announce", role: "status", "aria-live": "polite" });
  let clearAnnounce: ReturnType<typeof setTimeout> | null = null;
  const say = (text: string) => {
    setText(announce, text);
    ctx.disposer.clearTimeout(clearAnnounce);
    clearAnnounce = ctx.disposer.timeout(() => setText(announce, ""), 4000);
  };

  const copy = h("button", {
    type: "button", class: "ssw-button ssw-button-primary",
    onclick: async () => say((await copyText(field.value, field)) ? "Copied" : "Press Ctrl+C (⌘C) to copy"),
  }, "Copy");
  field.addEventListener("focus", () => field.select());

  const links = SHARE_TARGETS.map((target) => {
    const a = h("a", {
      class: "ssw-share", target: "_blank", rel: "noopener noreferrer", "data-share": target.name.toLowerCase(),
    }, target.name);
    return { a, target };
  });

  const shareText = () => `Join my watch party “${ctx.party.info.title}” on SocialSync`;
  const nativeShare = typeof navigator.share === "function"
    ? h("button", {
      type: "button", class: "ssw-button",
      onclick: () => {
        navigator.share({ title: ctx.party.info.title, text: shareText(), url: field.value }).catch(() => {});
      },
    }, "Share…")
    : null;

  const render = () => {
    const url = inviteUrl(ctx.party.info);
    field.value = url;
    for (const { a, target } of links) {
      a.href = target.href(url, shareText(), ctx.party.info.title);
      a.setAttribute("aria-label", `Share the invite by ${target.name} (opens in a new tab)`);
    }
  };
  ctx.on("party", render);
  ctx.on("joined", render);
  render();

  return h("section", { class: "ssw-section ssw-invite", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, "Invite friends"),
    h("label", { for: ids.field, class: "ssw-label" }, "Invite link"),
    h("div", { class: "ssw-row" }, field, copy),
    announce,
    h("div", { class: "ssw-share-row", role: "group", "aria-label": "Share the invite" },
      links.map(({ a }) => a), nativeShare));
}
