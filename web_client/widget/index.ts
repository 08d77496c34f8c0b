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
import type { PartySession } from "../src/client";
import type { PlayerAdapter } from "../src/player";
import { chatSection } from "./chat";
import { WidgetContext } from "./context";
import { h, setText } from "./dom";
import { hostSection } from "./host";
import { inviteSection } from "./invite";
import { membersSection } from "./members";
import { reactionsSection } from "./reactions";
import { statusLine } from "./status";

export * from "../src/index";
export { inviteUrl, copyText } from "./invite";
export { REACTIONS } from "./reactions";

export interface WidgetOptions {
  /** The element the floating reactions rise over, e.g. the video's container (default: the widget). */
  overlay?: HTMLElement;
  /** A player to keep in sync: attached to the party if it has no engine yet, and detached again on destroy. */
  player?: PlayerAdapter;
}

export interface Widget {
  /** Remove the widget and undo everything it subscribed to. */
  destroy(): void;
}

const ENDED_TEXT: Record<string, string> = {
  ended_by_host: "The host ended it.",
};

export function mountWidget(root: HTMLElement, party: PartySession, options: WidgetOptions = {}): Widget {
  const ctx = new WidgetContext(party);
  let attachedEngine = null as ReturnType<PartySession["attach"]> | null;
  if (options.player && !party.engine) attachedEngine = party.attach(options.player);

  const title = h("h2", { class: "ssw-title" });
  const endedReason = h("span", { class: "ssw-ended-reason" });
  const ended = h("div", { class: "ssw-ended", role: "alert" });
  const endedContent = [h("strong", null, "The party has ended"), " ", endedReason];
  ended.hidden = true;

  const widget = h("section", { class: "ssw", "aria-label": "Watch party" },
    h("header", { class: "ssw-header" }, title, statusLine(ctx)),
    ended,
    reactionsSection(ctx, options.overlay ?? root),
    membersSection(ctx),
    chatSection(ctx),
    inviteSection(ctx),
    hostSection(ctx));

  const renderTitle = () => setText(title, party.info.title);
  ctx.on("party", renderTitle);
  ctx.on("joined", renderTitle);
  ctx.on("ended", (reason) => {
    setText(endedReason, ENDED_TEXT[reason] ?? "");
    // Filled only now, so that the alert is announced.
    ended.replaceChildren(...endedContent);
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
