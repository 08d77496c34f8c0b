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
 * Every user-provided string is rendered as text (never parsed as HTML).
 */
import type { PartySession, PlayerAdapter } from "../src/index";
import { camerasSection } from "./cameras";
import { chatSection } from "./chat";
import { clipsSection } from "./clips";
import { WidgetContext } from "./context";
import { h, setText } from "../ui/dom";
import { hostSection } from "./host";
import { inviteSection } from "./invite";
import { membersSection } from "./members";
import { reactionsSection } from "./reactions";
import { statusLine } from "./status";

export * from "../src/index";
export { inviteUrl, copyText } from "./invite";
export { REACTIONS } from "./reactions";
export { describeCameraError, SPEAKING_LEVEL } from "./cameras";
export { clipsSection } from "./clips";

export interface WidgetOptions {
  /** The element the floating reactions rise over, e.g. the video's container (default: the widget). */
  overlay?: HTMLElement;
  /** A player to keep in sync: attached to the party if it has no engine yet, and detached again on destroy. */
  player?: PlayerAdapter;
  /** Where the camera tiles go, e.g. an element over or beside the video (default: in the widget). */
  cameraGrid?: HTMLElement;
}

export interface Widget {
  /** Remove the widget and undo everything it subscribed to. */
  destroy(): void;
}

/** Why the party is over for you, by the reason of `party.ended` / `party.kicked`. */
const ENDED_TEXT: Record<string, [headline: string, detail: string]> = {
  ended_by_host: ["The party has ended", "The host ended it."],
  banned: ["You were removed from this party", "A moderator removed you."],
};

export function mountWidget(root: HTMLElement, party: PartySession, options: WidgetOptions = {}): Widget {
  const ctx = new WidgetContext(party);
  let attachedEngine = null as ReturnType<PartySession["attach"]> | null;
  if (options.player && !party.engine) attachedEngine = party.attach(options.player);

  const title = h("h2", { class: "ssw-title" });
  const endedReason = h("span", { class: "ssw-ended-reason" });
  const ended = h("div", { class: "ssw-ended", role: "alert" });
  const endedHeadline = h("strong", null);
  ended.hidden = true;

  const widget = h("section", { class: "ssw", "aria-label": "Watch party" },
    h("header", { class: "ssw-header" }, title, statusLine(ctx)),
    ended,
    reactionsSection(ctx, options.overlay ?? root),
    camerasSection(ctx, options.cameraGrid),
    clipsSection(ctx, options.overlay ?? root),
    membersSection(ctx),
    chatSection(ctx),
    inviteSection(ctx),
    hostSection(ctx));

  const renderTitle = () => setText(title, party.info.title);
  ctx.on("party", renderTitle);
  ctx.on("joined", renderTitle);
  ctx.on("ended", (reason) => {
    const [headline, detail] = ENDED_TEXT[reason] ?? ["The party has ended", ""];
    setText(endedHeadline, headline);
    setText(endedReason, detail);
    // Filled only now, so that the alert is announced.
    ended.replaceChildren(endedHeadline, " ", endedReason);
    ended.hidden = false;
    widget.classList.add("ssw-is-ended");
  });
  renderTitle();
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
