/**
 * What the script tag asks for: its `data-` attributes, and the page URL's deep link
 * (`?party=`, `?invite=`, `?t=`), read into one plain object. Pure: no DOM, no network,
 * so every rule here is a unit test away (docs/embedding.md lists the attributes).
 */

/** Which party to join: by id, by an invite's code, or none yet (the start button). */
export type Target = { party: string } | { invite: string } | null;

/** Who the viewer is: a token from the platform's backend, or a guest with a name. */
export type Viewer =
  | { tokenUrl: string }
  | { guest: string | null; tenant: string | null }; // guest null: ask for a name

export interface EmbedConfig {
  /** The SocialSync server's origin (default: the origin the script was loaded from). */
  server: string;
  /** A CSS selector of the page's `<video>` or `<audio>`; null: chat and reactions only. */
  player: string | null;
  /** Where the widget goes (a selector); null: a panel inserted right after the player. */
  container: string | null;
  /** The element reactions float over (a selector); null: the player's parent. */
  overlay: string | null;
  target: Target;
  /** The target came from the page's URL (a link), not from the attributes. */
  linked: boolean;
  /** Start where a party that has not started yet starts (s), from `?t=` or `data-t`. */
  t: number | null;
  viewer: Viewer;
  /** With no target: offer "Start a watch party" (default) or nothing. */
  start: boolean;
  /** The platform backend's URL that creates a party (POST, with credentials); null:
   * the viewer creates it over the socket with the player's media. */
  createUrl: string | null;
  /** The media of a party the viewer creates over the socket (default: the player's). */
  media: { url: string | null; title: string | null; kind: "vod" | "live" };
  locale: string | null;
  tv: boolean;
  /** The widget's Invite button (its link is this page's URL with the party in it). */
  invite: boolean;
  /** Keep the page's player in sync (default); off: the player plays on its own. */
  sync: boolean;
  /** Load the party's stylesheet (`socialsync.css` beside the script). */
  css: boolean;
}

export class EmbedConfigError extends Error {
  constructor(message: string) {
    super(`socialsync embed: ${message}`);
    this.name = "EmbedConfigError";
  }
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_T_S = 1e11;

/** `data-x="false"`, `"off"`, `"no"` or `"0"` is off; present with any other value
 * (`data-tv`, `data-tv="true"`) is on; absent is `fallback`. */
export function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return !["false", "off", "no", "0"].includes(value.trim().toLowerCase());
}

/** A deep link's moment: seconds (`90`, `90.5`), or `1h2m3s` / `2m30s` as video sites
 * write it. Null when absent or not a moment. */
export function parseMoment(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim().toLowerCase();
  if (!text) return null;
  let seconds: number;
  if (/^\d+(\.\d+)?s?$/.test(text)) {
    seconds = parseFloat(text);
  } else {
    const parts = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
    if (!parts || !(parts[1] || parts[2] || parts[3])) return null;
    seconds = Number(parts[1] ?? 0) * 3600 + Number(parts[2] ?? 0) * 60 + Number(parts[3] ?? 0);
  }
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_T_S ? seconds : null;
}

function text(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function id(value: string | null, what: string): string {
  if (value === null || !ID.test(value)) {
    throw new EmbedConfigError(`${what} must be 1 to 64 letters, digits, _ or - (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * @param data the script element's dataset
 * @param scriptSrc the script's own URL (its origin is the default server)
 * @param pageUrl the page's URL (deep links: `?party=`, `?invite=`, `?t=`)
 */
export function readConfig(data: Record<string, string | undefined>, scriptSrc: string, pageUrl: string): EmbedConfig {
  const page = new URL(pageUrl);
  const server = new URL(text(data.server) ?? new URL(scriptSrc).origin, pageUrl);
  if (server.protocol !== "http:" && server.protocol !== "https:") {
    throw new EmbedConfigError(`data-server must be an http(s) URL (got ${JSON.stringify(data.server)})`);
  }

  // The attribute names the party; else the page's own URL does (an invite link to this
  // page); else there is none yet.
  let target: Target = null;
  const party = text(data.party);
  const invite = text(data.inviteCode);
  if (party && invite) throw new EmbedConfigError("give data-party or data-invite-code, not both");
  if (party) target = { party: id(party, "data-party") };
  else if (invite) target = { invite: id(invite, "data-invite-code") };
  else if (text(page.searchParams.get("invite") ?? undefined)) {
    target = { invite: id(page.searchParams.get("invite")!.trim(), "the page's ?invite=") };
  } else if (text(page.searchParams.get("party") ?? undefined)) {
    target = { party: id(page.searchParams.get("party")!.trim(), "the page's ?party=") };
  }

  const tokenUrl = text(data.tokenUrl);
  let viewer: Viewer;
  if (tokenUrl) viewer = { tokenUrl: new URL(tokenUrl, pageUrl).href };
  else if (data.guest !== undefined || data.tenant !== undefined) {
    viewer = { guest: text(data.guest), tenant: text(data.tenant) };
  } else throw new EmbedConfigError("give data-token-url (your backend's token URL) or data-guest");

  const t = data.t !== undefined ? parseMoment(data.t) : parseMoment(page.searchParams.get("t"));
  if (data.t !== undefined && t === null) throw new EmbedConfigError(`data-t is not a moment: ${JSON.stringify(data.t)}`);

  const kind = text(data.mediaKind) ?? "vod";
  if (kind !== "vod" && kind !== "live") throw new EmbedConfigError(`data-media-kind must be vod or live`);
  const mediaUrl = text(data.mediaUrl);

  return {
    server: server.origin, // Socket.IO and the REST API live at the server's root
    player: text(data.player),
    container: text(data.container),
    overlay: text(data.overlay),
    target,
    linked: target !== null && !party && !invite,
    t,
    viewer,
    start: flag(data.start, true),
    createUrl: text(data.createUrl) ? new URL(text(data.createUrl)!, pageUrl).href : null,
    media: { url: mediaUrl ? new URL(mediaUrl, pageUrl).href : null, title: text(data.mediaTitle), kind },
    locale: text(data.locale),
    tv: flag(data.tv, false),
    invite: flag(data.invite, true),
    sync: flag(data.sync, true),
    css: flag(data.css, true),
  };
}

/**
 * The link that brings a friend to this party on this page: the page's URL with the
 * party's invite code (when joined by one) or id, and without a deep link's `t` (the
 * party has a position of its own by now) nor the other of party/invite.
 */
export function inviteLink(pageUrl: string, target: { party: string } | { invite: string }): string {
  const url = new URL(pageUrl);
  url.hash = "";
  for (const key of ["party", "invite", "t"]) url.searchParams.delete(key);
  if ("invite" in target) url.searchParams.set("invite", target.invite);
  else url.searchParams.set("party", target.party);
  return url.href;
}
