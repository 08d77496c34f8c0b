/**
 * The drop-in watch-party widget: members, chat with timeline comments and replies,
 * reactions, invite and host controls, for any page that has a PartySession.
 *
 *   const client = await SocialSync.connect({ url, auth: { guest: "Ada" } });
 *   const party = await client.join(partyId);
 *   const widget = mountWidget(panel, party, { overlay: videoWrapper, player: new MediaElementPlayer(video) });
 *   ...
 *   widget.destroy();
 *
 * Every user-provided string is rendered as text (never parsed as HTML). Every word of
 * the widget comes from its message catalogues (widget/messages/), in the language the
 * platform asks for (`locale`, or `data-ssw-locale` on an ancestor) or else the browser's.
 */
import type { PartyInfo, PartySession, PlayerAdapter } from "../src/index";
import { LiveRegion } from "../ui/announce";
import { h, setText } from "../ui/dom";
import { spatialNavigation } from "../ui/spatial";
import { camerasSection } from "./cameras";
import { chatSection } from "./chat";
import { clipsSection } from "./clips";
import { WidgetContext } from "./context";
import { feedbackSection } from "./feedback";
import { hostSection } from "./host";
import { widgetI18n } from "./i18n";
import { invite } from "./invite";
import { membersSection } from "./members";
import { momentsSection, watchingCount } from "./moments";
import { pollsSection } from "./polls";
import { reactionsSection } from "./reactions";
import { statusLine } from "./status";

export * from "../src/index";
export { inviteUrl, copyText } from "./invite";
export { REACTIONS } from "./reactions";
export { describeCameraError, SPEAKING_LEVEL } from "./cameras";
export { clipsSection } from "./clips";
export { badgeWords } from "./badges";
export { WIDGET_CATALOGUES, widgetI18n } from "./i18n";

export interface WidgetOptions {
  /** The element the floating reactions rise over, e.g. the video's container (default: the widget). */
  overlay?: HTMLElement;
  /** A player to keep in sync: attached to the party if it has no engine yet, and detached again on destroy. */
  player?: PlayerAdapter;
  /** Where the camera tiles go, e.g. an element over or beside the video (default: in the widget). */
  cameraGrid?: HTMLElement;
  /** The language (BCP 47, e.g. "fr", "ar-EG"); default: `data-ssw-locale` on the root or an
   * ancestor, else the browser's languages; English when none is available. */
  locale?: string;
  /** `false`: no Invite button, for a page that has its own invite link. */
  invite?: boolean;
  /** The link the Invite button shares (default: the server's `invite_url`, else this
   * page's `?party=ID`), e.g. one that keeps the page's `?tenant=`. */
  inviteUrl?: (info: PartyInfo) => string;
  /** TV mode (ten-foot text and targets); the same as `data-ssw-tv` on an ancestor. */
  tv?: boolean;
}

export interface Widget {
  /** Remove the widget and undo everything it subscribed to. */
  destroy(): void;
}

export function mountWidget(root: HTMLElement, party: PartySession, options: WidgetOptions = {}): Widget {
  const platformLocale = root.closest<HTMLElement>("[data-ssw-locale]")?.dataset.sswLocale;
  const ctx = new WidgetContext(party, widgetI18n([options.locale, platformLocale]));
  const { t, i18n } = ctx;
  let attachedEngine = null as ReturnType<PartySession["attach"]> | null;
  if (options.player && !party.engine) attachedEngine = party.attach(options.player);

  const live = new LiveRegion();
  ctx.disposer.add(() => live.dispose());
  const announce = (text: string) => live.say(text);

  const title = h("h2", { class: "ssw-title", dir: "auto" });
  const subtitle = h("p", { class: "ssw-subtitle" });
  const endedReason = h("span", { class: "ssw-ended-reason" });
  const ended = h("div", { class: "ssw-ended", role: "alert" });
  const endedHeadline = h("strong", null);
  ended.hidden = true;

  const invitation = options.invite === false ? null : invite(ctx, options.inviteUrl);
  const chat = chatSection(ctx, announce);
  chat.composer.onLeave = () => chat.list.focus();

  const widget = h("section", {
    class: options.tv ? "ssw ssw-tv" : "ssw", "aria-label": t("widget.label"), lang: i18n.locale, dir: i18n.dir,
  },
  h("header", { class: "ssw-header" },
    h("div", { class: "ssw-head-top" },
      h("div", { class: "ssw-titles" }, title, subtitle, watchingCount(ctx)), invitation?.button),
    statusLine(ctx),
    invitation?.panel),
  ended,
  feedbackSection(ctx, announce),
  reactionsSection(ctx, options.overlay ?? root, announce),
  h("div", { class: "ssw-body" },
    chat.el,
    h("div", { class: "ssw-side" },
      momentsSection(ctx),
      pollsSection(ctx, announce),
      membersSection(ctx),
      camerasSection(ctx, options.cameraGrid),
      clipsSection(ctx, options.overlay ?? root),
      hostSection(ctx))),
  live.el);

  // Whose party and which show: "Hosted by Ana · Sample clip".
  const renderTitle = () => {
    setText(title, party.info.title);
    const media = party.playback?.media ?? party.info.media;
    const show = media.title || mediaName(media.url);
    const host = ctx.hostName();
    setText(subtitle, t("header.subtitle", { host: host ?? "", hasHost: host ? "yes" : "no", show }));
  };
  ctx.on("party", renderTitle);
  ctx.on("joined", renderTitle);
  ctx.on("members", renderTitle);
  ctx.on("playback", renderTitle);
  ctx.on("ended", (reason) => {
    const key = reason === "banned" ? "banned" : reason === "ended_by_host" ? "by_host" : "other";
    setText(endedHeadline, t("ended.headline", { reason: key }));
    setText(endedReason, t("ended.detail", { reason: key }));
    // Filled only now, so that the alert is announced.
    ended.replaceChildren(endedHeadline, " ", endedReason);
    ended.hidden = false;
    widget.classList.add("ssw-is-ended");
  });
  renderTitle();

  // Arrow keys, Enter and Back (keyboards and TV remotes); Back closes the invite panel.
  ctx.disposer.add(spatialNavigation(widget, {
    onBack: (target) => {
      if (invitation && invitation.panel.contains(target)) {
        invitation.close(true);
        return true;
      }
      return false;
    },
  }));
  root.appendChild(widget);

  let destroyed = false;
  return {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      ctx.disposer.dispose();
      widget.remove();
      if (attachedEngine && party.engine === attachedEngine) party.detach();
    },
  };
}

/** A media URL's file name, for a show without a title. */
function mediaName(url: string): string {
  try {
    const path = new URL(url, location.href).pathname;
    return decodeURIComponent(path.split("/").pop() || url);
  } catch {
    return url;
  }
}
