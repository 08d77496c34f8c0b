import type { PartyInfo } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";

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

export interface Invite {
  /** "Invite", in the header: opens and closes the panel. */
  button: HTMLButtonElement;
  /** The link with Copy, share links (plain <a>, no third-party scripts) and the Web Share API. */
  panel: HTMLElement;
  close(focusButton: boolean): void;
}

/** The widget's one invite affordance: a button that opens the link and the ways to share it. */
export function invite(ctx: WidgetContext, linkOf: (info: PartyInfo) => string = inviteUrl): Invite {
  const { t } = ctx;
  const ids = { panel: uid("invite"), heading: uid("invite-heading"), field: uid("invite-link") };
  const field = h("input", { id: ids.field, class: "ssw-input ssw-invite-link", type: "text", readonly: true });
  const announce = h("span", { class: "ssw-announce", role: "status", "aria-live": "polite" });
  let clearAnnounce: ReturnType<typeof setTimeout> | null = null;
  const say = (text: string) => {
    setText(announce, text);
    ctx.disposer.clearTimeout(clearAnnounce);
    clearAnnounce = ctx.disposer.timeout(() => setText(announce, ""), 4000);
  };

  const copy = h("button", {
    type: "button", class: "ssw-button ssw-button-primary ssw-invite-copy",
    onclick: async () => say((await copyText(field.value, field)) ? t("invite.copied") : t("invite.copy_manually")),
  }, t("invite.copy"));
  field.addEventListener("focus", () => field.select());

  const links = SHARE_TARGETS.map((target) => {
    const a = h("a", {
      class: "ssw-share", target: "_blank", rel: "noopener noreferrer", "data-share": target.name.toLowerCase(),
    }, target.name);
    return { a, target };
  });

  const shareText = () => t("invite.share_text", { title: ctx.party.info.title });
  const nativeShare = typeof navigator.share === "function"
    ? h("button", {
      type: "button", class: "ssw-button",
      onclick: () => {
        navigator.share({ title: ctx.party.info.title, text: shareText(), url: field.value }).catch(() => {});
      },
    }, t("invite.share"))
    : null;

  const render = () => {
    const url = linkOf(ctx.party.info);
    field.value = url;
    for (const { a, target } of links) {
      a.href = target.href(url, shareText(), ctx.party.info.title);
      a.setAttribute("aria-label", t("invite.share_by", { name: target.name }));
    }
  };
  ctx.on("party", render);
  ctx.on("joined", render);
  render();

  const button = h("button", {
    type: "button", class: "ssw-button ssw-button-small ssw-invite-toggle",
    "aria-expanded": "false", "aria-controls": ids.panel,
  }, t("invite.button"));

  const panel = h("section", { id: ids.panel, class: "ssw-invite", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, t("invite.heading")),
    h("label", { for: ids.field, class: "ssw-label" }, t("invite.link")),
    h("div", { class: "ssw-row" }, field, copy),
    announce,
    h("div", { class: "ssw-share-row", role: "group", "aria-label": t("invite.share_group") },
      links.map(({ a }) => a), nativeShare));
  panel.hidden = true;

  const close = (focusButton: boolean) => {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  };
  button.addEventListener("click", () => {
    if (!panel.hidden) {
      close(false);
      return;
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    copy.focus();
  });
  ctx.on("ended", () => {
    close(false);
    button.hidden = true;
  });
  return { button, panel, close };
}
