/**
 * One embed: a panel beside the page's player that connects the viewer, joins (or
 * starts) the party, keeps the player in sync and shows the widget. What it does, in
 * order, and where each step can stop:
 *
 *   start button (no party yet) → the viewer's identity (token URL, or a guest name)
 *   → connect → join (by id or invite code, with a deep link's `t`) → attach the player
 *   → the widget.
 *
 * The panel's `data-state` says where it is: `start`, `name`, `signin`, `connecting`,
 * `joined`, `ended` or `error` (for the page's CSS and for tests).
 */
import { h, setText } from "../ui/dom";
import type { I18n } from "../ui/i18n";
import {
  MediaElementPlayer,
  mountWidget,
  SocialSync,
  SocialSyncError,
  type Auth,
  type Media,
  type MediaElementOptions,
  type PartyInfo,
  type PartySession,
  type PlayerAdapter,
  type SyncEngine,
  type Widget,
} from "../widget/index";
import { inviteLink, type EmbedConfig, type Target } from "./config";
import { embedI18n, type EmbedKey } from "./messages";

export type EmbedState = "start" | "name" | "signin" | "connecting" | "joined" | "ended" | "error";

/** What a joined embed holds, for the page's own scripts (`SocialSyncEmbed.instances[i].ready`). */
export interface Joined {
  client: SocialSync;
  party: PartySession;
  /** Null when the player is not kept in sync (none, `data-sync="off"`, or live without program time). */
  engine: SyncEngine | null;
  player: HTMLMediaElement | null;
  widget: Widget;
}

/** Options the page's own script may add through `SocialSyncEmbed.mount(script, extras)`. */
export interface EmbedExtras {
  /** For live channels: the program time at the playhead (e.g. hls.js `playingDate`). */
  programTime?: MediaElementOptions["programTime"];
  /** For players that are not a media element (Shaka's UI, a TV's player): an adapter of your own. */
  player?: PlayerAdapter;
}

type CreateAnswer = { party?: unknown; invite?: unknown };

class EmbedError extends Error {
  constructor(readonly key: EmbedKey, readonly detail = "") {
    super(key);
  }
}

export class Embed {
  readonly ready: Promise<Joined>;
  readonly panel: HTMLElement;
  private readonly t: I18n<EmbedKey>["t"];
  private readonly i18n: I18n<EmbedKey>;
  private readonly player: HTMLMediaElement | null;
  private readonly message: HTMLElement;
  private readonly body: HTMLElement;
  private client: SocialSync | null = null;
  private widget: Widget | null = null;
  private destroyed = false;
  private resolveReady!: (joined: Joined) => void;

  constructor(private readonly config: EmbedConfig, private readonly extras: EmbedExtras = {}, anchor?: Element) {
    this.i18n = embedI18n(config.locale);
    this.t = this.i18n.t;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.player = config.player ? findPlayer(config.player) : null;
    this.message = h("p", { class: "socialsync-embed-message", role: "status" });
    this.body = h("div", { class: "socialsync-embed-body" });
    this.panel = this.placePanel(anchor);
    this.panel.replaceChildren(this.message, this.body);
    if (config.tv) this.panel.dataset.sswTv = "";
    void this.begin();
  }

  /** Leave the party, remove the widget and close the connection. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.widget?.destroy();
    this.client?.close();
    this.panel.replaceChildren();
  }

  // ---------------------------------------------------------------- steps
  private async begin(): Promise<void> {
    const { target, start, viewer } = this.config;
    if (target) {
      await this.identify(target);
      return;
    }
    if (!start) return; // a page that mounts the embed only for invite links
    this.offer("start", (name) => this.startParty(name), !("guest" in viewer) || !!viewer.guest);
  }

  /** The start button (or the join button with a name field for an unnamed guest). */
  private offer(kind: "start" | "join", go: (name: string | null) => Promise<void>, named: boolean): void {
    this.setState(named ? "start" : "name");
    const label = kind === "start" ? this.t("embed.start") : this.t("embed.join");
    const name = named ? null : h("input", {
      class: "socialsync-embed-input", type: "text", maxlength: 64, autocomplete: "nickname", required: true,
      "aria-label": this.t("embed.name"), placeholder: this.t("embed.name"),
    });
    const button = h("button", { class: "socialsync-embed-button", type: "submit" }, label);
    const form = h("form", { class: "socialsync-embed-start" },
      kind === "start" ? h("h2", { class: "socialsync-embed-heading" }, this.t("embed.start_heading")) : null,
      kind === "start" ? h("p", { class: "socialsync-embed-hint" }, this.t("embed.start_hint")) : null,
      name, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const given = name ? name.value.trim().replace(/\s+/g, " ") : null;
      if (name && !given) {
        this.say("embed.name_needed");
        name.focus();
        return;
      }
      button.disabled = true;
      void go(given).finally(() => (button.disabled = false));
    });
    this.body.replaceChildren(form);
    setText(this.message, "");
  }

  private async identify(target: Target & object): Promise<void> {
    const { viewer } = this.config;
    if ("guest" in viewer && !viewer.guest) {
      this.offer("join", (name) => this.enter(target, name), false);
      return;
    }
    await this.enter(target, null);
  }

  /** "Start a watch party": the platform's backend makes it (`data-create-url`), or the
   * viewer does over the socket with the player's media. */
  private async startParty(guestName: string | null): Promise<void> {
    this.setState("connecting");
    this.say("embed.connecting");
    try {
      if (this.config.createUrl) {
        const made = await this.createOnBackend(this.config.createUrl);
        await this.enter(made, guestName, true);
        return;
      }
      const client = await this.connect(guestName);
      if (this.player) await metadata(this.player, 3000); // its duration, for the party
      const info = await client.createParty(this.partyTitle(), this.partyMedia());
      await this.enter({ party: info.id }, guestName, true);
    } catch (err) {
      this.fail(err);
    }
  }

  private async createOnBackend(url: string): Promise<{ party: string } | { invite: string }> {
    const body: Record<string, unknown> = {};
    if (this.config.t !== null) body.t = this.config.t;
    const answer = await fetch(url, {
      method: "POST", credentials: "include",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (answer.status === 401 || answer.status === 403) throw new EmbedError("embed.sign_in");
    if (!answer.ok) throw new EmbedError("embed.failed", `${url} answered ${answer.status}`);
    const made = (await answer.json()) as CreateAnswer;
    if (typeof made.invite === "string" && made.invite) return { invite: made.invite };
    if (typeof made.party === "string" && made.party) return { party: made.party };
    throw new EmbedError("embed.failed", `${url} answered neither {party} nor {invite}`);
  }

  private async enter(target: { party: string } | { invite: string }, guestName: string | null, started = false): Promise<void> {
    this.setState("connecting");
    this.say("embed.connecting");
    try {
      const client = await this.connect(guestName);
      const party = await joinParty(client, target, this.config.t);
      if (this.destroyed) return;
      // The address bar becomes the link to this party (reload, bookmark, share).
      if (started) history.replaceState(history.state, "", inviteLink(location.href, target));
      this.show(client, party, inviteLink(location.href, target));
    } catch (err) {
      this.fail(err);
    }
  }

  private async connect(guestName: string | null): Promise<SocialSync> {
    if (this.client) return this.client;
    this.client = await SocialSync.connect({ url: this.config.server, auth: await this.auth(guestName) });
    return this.client;
  }

  /** The viewer's credentials: a token the platform's backend gives its signed-in user
   * (fetched with the page's cookies), or a guest's name. */
  private async auth(guestName: string | null): Promise<Auth> {
    const { viewer } = this.config;
    if ("tokenUrl" in viewer) {
      const answer = await fetch(viewer.tokenUrl, { credentials: "include", headers: { Accept: "application/json" } });
      if (answer.status === 401 || answer.status === 403) throw new EmbedError("embed.sign_in");
      if (!answer.ok) throw new EmbedError("embed.failed", `${viewer.tokenUrl} answered ${answer.status}`);
      const { token } = (await answer.json()) as { token?: unknown };
      if (typeof token !== "string" || !token) throw new EmbedError("embed.failed", `${viewer.tokenUrl} gave no token`);
      return { token };
    }
    const guest = guestName ?? viewer.guest ?? "";
    return viewer.tenant ? { guest, tenant: viewer.tenant } : { guest };
  }

  private show(client: SocialSync, party: PartySession, link: string): void {
    const media = party.playback?.media ?? party.info.media;
    let engine: SyncEngine | null = null;
    const { player: adapter, programTime } = this.extras;
    if (this.config.sync && adapter) {
      engine = party.attach(adapter); // the page's own adapter knows its player, live or not
    } else if (this.config.sync && this.player) {
      if (!this.player.currentSrc && !this.player.getAttribute("src") && !this.player.querySelector("source")) {
        this.player.src = media.url; // a bare <video>: it plays the party's media
      }
      // Live positions are program time: without a way to read it, a media element's
      // time means nothing to the party, and the player is left to play on its own.
      if (media.kind !== "live" || programTime) {
        engine = party.attach(new MediaElementPlayer(this.player, { programTime }));
      }
    }
    if (this.config.invite) linkInvitesHere(party, link);
    this.body.replaceChildren();
    setText(this.message, "");
    this.widget = mountWidget(this.body, party, {
      overlay: this.overlay(), locale: this.config.locale ?? undefined, tv: this.config.tv, invite: this.config.invite,
    });
    party.on("ended", () => this.setState("ended"));
    this.setState("joined");
    const joined: Joined = { client, party, engine, player: this.player, widget: this.widget };
    this.panel.dispatchEvent(new CustomEvent("socialsync:joined", { bubbles: true, detail: joined }));
    this.resolveReady(joined);
  }

  private fail(err: unknown): void {
    this.client?.close();
    this.client = null;
    if (err instanceof EmbedError && err.key === "embed.sign_in") {
      this.setState("signin");
      this.say("embed.sign_in");
      return;
    }
    this.setState("error");
    const [key, detail] = describe(err);
    this.say(key, detail);
    const gone = ["embed.not_found", "embed.invite_expired", "embed.invite_used_up"].includes(key);
    if (gone && this.config.start && this.config.linked) {
      // The link's party is over: this page without it offers a new one.
      const fresh = new URL(location.href);
      for (const param of ["party", "invite", "t"]) fresh.searchParams.delete(param);
      this.body.replaceChildren(h("a", { class: "socialsync-embed-button", href: fresh.href }, this.t("embed.start_new")));
    } else {
      const retry = h("button", { class: "socialsync-embed-button", type: "button" }, this.t("embed.retry"));
      retry.addEventListener("click", () => {
        this.body.replaceChildren();
        void this.begin();
      });
      this.body.replaceChildren(retry);
    }
    if (!gone) console.error("socialsync embed:", err);
  }

  // ---------------------------------------------------------------- helpers
  private placePanel(anchor?: Element): HTMLElement {
    if (this.config.container) {
      const found = document.querySelector<HTMLElement>(this.config.container);
      if (!found) throw new Error(`socialsync embed: no element matches data-container ${this.config.container}`);
      found.classList.add("socialsync-embed");
      found.setAttribute("aria-label", found.getAttribute("aria-label") ?? this.t("embed.label"));
      return found;
    }
    const panel = h("aside", { class: "socialsync-embed", "aria-label": this.t("embed.label") });
    const after = this.player ?? anchor ?? null;
    if (after?.parentNode) after.parentNode.insertBefore(panel, after.nextSibling);
    else document.body.appendChild(panel);
    return panel;
  }

  private overlay(): HTMLElement {
    if (this.config.overlay) {
      const found = document.querySelector<HTMLElement>(this.config.overlay);
      if (found) return found;
    }
    const parent = this.player?.parentElement;
    return parent && parent !== document.body ? parent : this.panel;
  }

  private partyTitle(): string {
    const show = this.config.media.title ?? document.title ?? "";
    return (show ? show : this.t("embed.label")).slice(0, 200);
  }

  private partyMedia(): Media {
    const { url, title, kind } = this.config.media;
    const src = url ?? this.player?.currentSrc ?? this.player?.getAttribute("src") ?? "";
    if (!src) throw new EmbedError("embed.failed", "no media to watch: give data-media-url or data-player");
    const media: Media = { url: new URL(src, location.href).href, kind };
    if (title ?? document.title) media.title = (title ?? document.title).slice(0, 200);
    const duration = this.player?.duration;
    if (kind === "vod" && duration && Number.isFinite(duration)) media.duration = duration;
    return media;
  }

  private setState(state: EmbedState): void {
    this.panel.dataset.state = state;
  }

  private say(key: EmbedKey, detail = ""): void {
    setText(this.message, this.t(key, { detail }));
  }
}

/** Join by id or by invite code, with a deep link's moment: `party.join` takes both
 * (protocol 5.3); the session then joins by the id the answer names (a second join from
 * the same socket changes nothing and returns a fresh answer). */
export async function joinParty(
  client: SocialSync, target: { party: string } | { invite: string }, t: number | null,
): Promise<PartySession> {
  if ("party" in target && t === null) return client.join(target.party);
  const payload: Record<string, unknown> = { ...target };
  if (t !== null) payload.t = t;
  const answer = await client.request("party.join", payload);
  const id = (answer.party as PartyInfo | undefined)?.id;
  if (typeof id !== "string") throw new SocialSyncError("internal", "party.join answered no party");
  return client.join(id);
}

/** The widget's invite link names this page (which has the embed), not the server's. */
function linkInvitesHere(party: PartySession, link: string): void {
  const rewrite = (info: PartyInfo) => {
    info.invite_url = link;
  };
  rewrite(party.info);
  // Registered before the widget's listeners, so it renders the rewritten link.
  party.on("party", rewrite);
  party.on("joined", (answer) => rewrite(answer.party));
}

/** Resolves once the element knows its media's duration, or after `ms` anyway. */
function metadata(el: HTMLMediaElement, ms: number): Promise<void> {
  if (el.readyState >= HTMLMediaElement.HAVE_METADATA) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      el.removeEventListener("loadedmetadata", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    el.addEventListener("loadedmetadata", done);
  });
}

function findPlayer(selector: string): HTMLMediaElement {
  const found = document.querySelector(selector);
  if (found instanceof HTMLMediaElement) return found;
  const inner = found?.querySelector("video, audio");
  if (inner instanceof HTMLMediaElement) return inner;
  throw new Error(`socialsync embed: data-player ${selector} is not a <video> or <audio> (nor contains one)`);
}

function describe(err: unknown): [EmbedKey, string] {
  if (err instanceof EmbedError) return [err.key, err.detail];
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    if (err.answer.invite === "expired") return ["embed.invite_expired", detail];
    if (err.answer.invite === "used_up") return ["embed.invite_used_up", detail];
    switch (err.code) {
      case "not_found": return ["embed.not_found", detail];
      case "forbidden": return ["embed.forbidden", detail];
      case "unauthorized": return ["embed.sign_in", detail];
      case "unavailable": return ["embed.unavailable", detail];
      default: return ["embed.failed", detail];
    }
  }
  return ["embed.failed", err instanceof Error ? err.message : String(err)];
}
