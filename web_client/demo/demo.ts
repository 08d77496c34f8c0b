/**
 * The demo page at `/`: start a party, or join one from a friend's link, with the video
 * on the left and the widget on the right.
 *
 * The address (demo/link.ts): `?party=ID` or an invite link's `?invite=CODE` opens the
 * join page (whose party and which show, with the poster, from the server's
 * `<meta name="socialsync:join">`); `?t=SECONDS` is a deep link's moment (where a party
 * that has not started yet starts); `?tenant=T` is the platform's tenant (its guests;
 * kept in the address, which selects its frame-ancestors, and in invite links);
 * `?lang=fr` the language; with `&name=NAME` the page joins at once, without a click.
 *
 * For automated tests, once joined: `window.socialsyncDemo = {client, party, engine,
 * video}` and `body[data-state=joined]`.
 */
import { SocialSync, SocialSyncError, type Media, type PartySession } from "../src/index";
import { elementById } from "../ui/dom";
import { translateStatic, type Values } from "../ui/i18n";
import { mountWidget, type Widget } from "../widget/index";
import { DEMO_CATALOGUES, LANGUAGE_NAMES, demoI18n, languageOf, type DemoI18n, type DemoKey } from "./i18n";
import { inviteLink, pageUrl, readLink, type Target } from "./link";
import { DemoPlayer, isHlsUrl, type MediaProblem } from "./media";

declare global {
  interface Window {
    socialsyncDemo?: {
      client: SocialSync; party: PartySession; engine: ReturnType<PartySession["attach"]>; video: HTMLVideoElement;
    };
  }
}

type State = "setup" | "connecting" | "joined" | "ended" | "error";
type SampleKind = "mp4" | "hls";
/** /media/clips.json, written by scripts/build_web.sh: the sample clips that exist. */
type Clips = Partial<Record<SampleKind, { url: string; duration?: number }>>;
/** What the server tells a friend's join page (edge/http/invites.py join_details). */
interface JoinDetails {
  title: string;
  type: "watch_party" | "live_room";
  live: boolean;
  host?: string;
  show?: string;
  poster?: string;
}
/** A message of the page's, kept so that it can be said again in another language. */
interface Said { key: DemoKey; values?: Values; startOver?: boolean }

const NAME_KEY = "socialsync.demo.name";
const SAMPLE_KINDS: SampleKind[] = ["mp4", "hls"];
/** Bidi isolation marks, which a title sent to the server must not carry. */
const ISOLATES = /[\u2066-\u2069]/g;

function byId<T extends HTMLElement>(id: string): T {
  return elementById<T>(id, "demo page");
}

const ui = {
  error: byId<HTMLDivElement>("error"),
  lang: byId<HTMLSelectElement>("lang"),
  langTools: byId<HTMLDivElement>("lang-tools"),
  playerBar: byId<HTMLDivElement>("player-bar"),
  setup: byId<HTMLElement>("setup"),
  setupHeading: byId<HTMLHeadingElement>("setup-heading"),
  joinInfo: byId<HTMLDivElement>("join-info"),
  joinPoster: byId<HTMLImageElement>("join-poster"),
  joinInvited: byId<HTMLParagraphElement>("join-invited"),
  joinTitle: byId<HTMLParagraphElement>("join-title"),
  joinShow: byId<HTMLParagraphElement>("join-show"),
  joinFrom: byId<HTMLParagraphElement>("join-from"),
  form: byId<HTMLFormElement>("setup-form"),
  name: byId<HTMLInputElement>("name"),
  mediaChoice: byId<HTMLFieldSetElement>("media-choice"),
  mediaUrl: byId<HTMLInputElement>("media-url"),
  mediaUrlField: byId<HTMLDivElement>("media-url-field"),
  mediaUrlChoice: byId<HTMLInputElement>("media-url-choice"),
  mediaNote: byId<HTMLParagraphElement>("media-note"),
  live: byId<HTMLInputElement>("live"),
  start: byId<HTMLButtonElement>("start"),
  party: byId<HTMLDivElement>("party"),
  leave: byId<HTMLButtonElement>("leave"),
  videoWrap: byId<HTMLDivElement>("video-wrap"),
  video: byId<HTMLVideoElement>("video"),
  unmute: byId<HTMLButtonElement>("unmute"),
  mediaInfo: byId<HTMLParagraphElement>("media-info"),
  widget: byId<HTMLElement>("widget"),
};

const link = readLink(location.href);
const joinDetails = readJoinDetails();
let i18n: DemoI18n = demoI18n([link.lang, document.documentElement.dataset.sswLocale]);
const t = (key: DemoKey, values?: Values): string => i18n.t(key, values);

let clips: Promise<Clips> | null = null;
let samplesOffered: Promise<void> = Promise.resolve();
let samplesKnown = false;
let chooserTouched = false; // the person picked media themselves: offering samples leaves it alone
let busy = false;
let said: Said | null = null;
/** In a party: what the page shows of it, and how to put the widget up again in another language. */
let inParty: { party: PartySession; target: Target; remount: () => void } | null = null;

function setState(state: State): void {
  document.body.dataset.state = state;
}

// ------------------------------------------------------------------ words
function say(key: DemoKey, values?: Values, startOver = false): void {
  said = { key, values, startOver };
  renderError();
}

function clearError(): void {
  said = null;
  ui.error.replaceChildren();
}

function renderError(): void {
  if (!said) return;
  ui.error.replaceChildren(document.createTextNode(t(said.key, said.values)));
  if (said.startOver) {
    const a = document.createElement("a");
    a.href = pageUrl(location.href, null);
    a.textContent = t("party.new");
    ui.error.append(" ", a);
  }
}

/** The words for a refusal (or any failure) of connecting or joining. */
function problem(err: unknown): Said {
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    const byInvite = link.target !== null && "invite" in link.target;
    const invite = err.answer.invite;
    if (byInvite && invite === "expired") return { key: "error.invite_expired" };
    if (byInvite && invite === "used_up") return { key: "error.invite_used_up" };
    switch (err.code) {
      case "not_found":
        return { key: byInvite ? "error.invite_unknown" : "error.not_found", startOver: true };
      case "unauthorized": return { key: "error.unauthorized", values: { detail } };
      case "unavailable": return { key: "error.unavailable" };
      case "forbidden": return { key: "error.forbidden", values: { detail } };
      default: return { key: "error.other", values: { detail } };
    }
  }
  return { key: "error.other", values: { detail: err instanceof Error ? err.message : String(err) } };
}

function mediaProblem(p: MediaProblem): void {
  if (p.kind === "media") say("error.media", { code: String(p.code) });
  else if (p.kind === "stream") say("error.stream", { detail: p.detail });
  else say("error.no_program_dates");
}

/** The page in `i18n`'s language: its static words, direction, and everything shown. */
function applyLanguage(): void {
  const root = document.documentElement;
  root.lang = i18n.locale;
  root.dir = i18n.dir;
  root.dataset.sswLocale = i18n.locale;
  document.title = t("page.title");
  translateStatic(document, i18n);
  ui.lang.value = languageOf(i18n);
  renderSetup();
  renderJoin();
  renderUnmute();
  renderMedia();
  renderError();
  if (inParty) inParty.remount();
}

function fillLanguages(): void {
  ui.lang.replaceChildren(...Object.keys(DEMO_CATALOGUES).map((code) => {
    const option = document.createElement("option");
    option.value = code;
    option.lang = code;
    option.textContent = LANGUAGE_NAMES[code] ?? code;
    return option;
  }));
}

// ------------------------------------------------------------------ the name
function storedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return ""; // storage blocked
  }
}

function storeName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // storage blocked: the name is simply not remembered
  }
}

// ------------------------------------------------------------------ the join page
function readJoinDetails(): JoinDetails | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="socialsync:join"]');
  if (!meta?.content) return null;
  try {
    const data = JSON.parse(meta.content) as Partial<JoinDetails>;
    if (typeof data.title !== "string") return null;
    const text = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    const poster = text(data.poster);
    return {
      title: data.title,
      type: data.type === "live_room" ? "live_room" : "watch_party",
      live: data.live === true,
      host: text(data.host),
      show: text(data.show),
      poster: poster && /^https?:\/\//i.test(poster) ? poster : undefined,
    };
  } catch {
    return null;
  }
}

function renderSetup(): void {
  const joining = link.target !== null;
  ui.setupHeading.textContent = t(joining ? "join.heading" : "setup.heading");
  ui.start.textContent = t(joining ? "join.button" : "setup.start");
  ui.mediaChoice.hidden = joining;
  if (samplesKnown) ui.mediaNote.textContent = ui.mediaNote.hidden ? "" : t("setup.no_samples");
}

/** Whose party, which show, the poster and the deep link's moment, before joining. */
function renderJoin(): void {
  const info = joinDetails;
  const from = link.t;
  ui.joinInfo.hidden = link.target === null || (info === null && from === null);
  if (ui.joinInfo.hidden) return;
  ui.joinInvited.hidden = ui.joinTitle.hidden = ui.joinShow.hidden = info === null;
  if (info) {
    ui.joinInvited.textContent = t("join.invited", { hasHost: info.host ? "yes" : "no", host: info.host ?? "" });
    ui.joinTitle.textContent = info.title;
    ui.joinShow.textContent = t("join.show", { kind: info.type, hasShow: info.show ? "yes" : "no", show: info.show ?? "" });
    if (info.poster) {
      ui.joinPoster.alt = t("join.poster", { show: info.show ?? info.title });
      if (ui.joinPoster.getAttribute("src") !== info.poster) ui.joinPoster.src = info.poster;
    }
  }
  ui.joinPoster.hidden = !info?.poster || ui.joinPoster.dataset.failed === "yes";
  ui.joinFrom.hidden = from === null || info?.live === true;
  if (from !== null) ui.joinFrom.textContent = t("join.from", { at: i18n.duration(from) });
}

// ------------------------------------------------------------------ the media chooser
function chosenKind(): SampleKind | "url" {
  const checked = ui.form.querySelector<HTMLInputElement>('input[name="media"]:checked');
  return (checked?.value as SampleKind | "url" | undefined) ?? "url";
}

function refreshChooser(): void {
  const pasting = chosenKind() === "url";
  ui.mediaUrlField.hidden = !pasting;
  ui.mediaUrl.required = pasting;
}

function loadClips(): Promise<Clips> {
  clips ??= fetch("/media/clips.json", { cache: "no-cache" })
    .then((r) => (r.ok ? (r.json() as Promise<unknown>) : {}))
    .then(validClips)
    .catch(() => ({}));
  return clips;
}

function validClips(data: unknown): Clips {
  const out: Clips = {};
  if (typeof data !== "object" || data === null) return out;
  for (const kind of SAMPLE_KINDS) {
    const entry = (data as Record<string, unknown>)[kind];
    if (typeof entry !== "object" || entry === null) continue;
    const { url, duration } = entry as { url?: unknown; duration?: unknown };
    if (typeof url !== "string" || !url) continue;
    out[kind] = typeof duration === "number" ? { url, duration } : { url };
  }
  return out;
}

/** Offer the sample clips the server has, and only those (a build without ffmpeg has
 * none: then the URL field is the choice). `#media-choice[data-samples]` says which
 * ("mp4 hls", or "none") once known. */
async function offerSamples(): Promise<void> {
  const known = await loadClips();
  const available = SAMPLE_KINDS.filter((kind) => known[kind]);
  for (const kind of SAMPLE_KINDS) {
    const offered = available.includes(kind);
    byId<HTMLDivElement>(`choice-${kind}`).hidden = !offered;
    byId<HTMLInputElement>(`media-${kind}`).disabled = !offered;
  }
  const first = available[0];
  if (first && !chooserTouched) byId<HTMLInputElement>(`media-${first}`).checked = true;
  ui.mediaNote.hidden = available.length > 0;
  samplesKnown = true;
  renderSetup();
  ui.mediaChoice.dataset.samples = available.join(" ") || "none";
  refreshChooser();
}

/** The media to start with, or null (and an error shown) if the URL is not usable. */
async function chosenMedia(): Promise<Media | null> {
  const kind = chosenKind();
  const live = ui.live.checked;
  if (kind === "url") {
    let url: URL;
    try {
      url = new URL(ui.mediaUrl.value.trim());
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      say("error.url");
      ui.mediaUrl.focus();
      return null;
    }
    const file = decodeURIComponent(url.pathname.split("/").pop() || url.hostname);
    return { url: url.href, kind: live ? "live" : "vod", title: file.slice(0, 200) };
  }
  const known = (await loadClips())[kind];
  if (!known) {
    say("error.sample_missing");
    return null;
  }
  const media: Media = {
    url: new URL(known.url, location.href).href,
    kind: live ? "live" : "vod",
    title: t("setup.sample_title", { kind }),
  };
  if (!live && typeof known.duration === "number" && known.duration > 0) media.duration = known.duration;
  return media;
}

// ------------------------------------------------------------------ starting and joining
/** Join `target`. By an invite's code, or with a deep link's moment, the first join
 * names them (protocol 5.3: `party.join {invite | party, t}`); the SDK's session then
 * joins by the party's id, which its reconnects use. */
async function joinParty(client: SocialSync, target: Target, at: number | null): Promise<PartySession> {
  if ("party" in target && at === null) return client.join(target.party);
  const answer = await client.request("party.join", at === null ? { ...target } : { ...target, t: at });
  return client.join(String(answer.party.id));
}

async function start(): Promise<void> {
  if (busy) return;
  clearError();
  const name = ui.name.value.trim().replace(/\s+/g, " ");
  if (!name) {
    say("error.name");
    ui.name.focus();
    return;
  }
  await samplesOffered; // a quick click must not start before the samples are on offer
  const media = link.target ? null : await chosenMedia();
  if (!link.target && !media) return;
  storeName(name);
  busy = true;
  ui.start.disabled = true;
  setState("connecting");
  let client: SocialSync | null = null;
  try {
    performance.mark("socialsync:connect"); // where the tests measure a join from
    const auth = link.tenant ? { guest: name, tenant: link.tenant } : { guest: name };
    client = await SocialSync.connect({ url: location.origin, auth });
    let target = link.target;
    if (!target && media) {
      const title = t("setup.party_title", { name }).replace(ISOLATES, "").slice(0, 200);
      target = { party: (await client.createParty(title, media)).id };
    }
    const party = await joinParty(client, target!, link.target ? link.t : null);
    // The address names the party from now on (a reload comes back to it), keeping the
    // tenant (its frame-ancestors) and the language, without the deep link's moment.
    history.replaceState(null, "", pageUrl(location.href, target!));
    enterParty(client, party, target!);
  } catch (err) {
    client?.close();
    const p = problem(err);
    say(p.key, p.values, p.startOver);
    setState("error");
    busy = false;
    ui.start.disabled = false;
  }
}

function renderMedia(): void {
  if (!inParty) return;
  const party = inParty.party;
  const media = party.playback?.media ?? party.info.media;
  ui.mediaInfo.textContent = t("party.media", {
    title: media.title || fileName(media.url),
    live: media.kind === "live" ? "yes" : "no",
    hls: isHlsUrl(media.url) ? "yes" : "no",
  });
}

/** A media URL's file name, for a show without a title. */
function fileName(url: string): string {
  try {
    return decodeURIComponent(new URL(url, location.href).pathname.split("/").pop() || url);
  } catch {
    return url;
  }
}

function enterParty(client: SocialSync, party: PartySession, target: Target): void {
  const player = new DemoPlayer(ui.video, mediaProblem);
  document.body.dataset.view = "party";
  // The page's controls are one bar under the video from now on, the language too.
  ui.playerBar.append(ui.langTools);
  ui.setup.hidden = true;
  ui.party.hidden = false;

  const engine = party.attach(player.adapter);
  let widget: Widget | null = null;
  // One invite affordance: the widget's Invite button, sharing this page's link (the
  // invite's code if that is how we came, else the party's id, with the tenant).
  const mount = () => {
    widget?.destroy();
    widget = mountWidget(ui.widget, party, {
      overlay: ui.videoWrap, locale: i18n.locale, inviteUrl: () => inviteLink(location.href, target),
    });
  };
  inParty = { party, target, remount: mount };
  mount();

  party.on("party", renderMedia);
  party.on("playback", renderMedia);
  party.on("ended", (reason) => {
    setState("ended");
    player.destroy();
    say(reason === "banned" || reason === "removed" ? "party.removed" : "party.ended", undefined, true);
  });
  renderMedia();

  ui.leave.addEventListener("click", async () => {
    ui.leave.disabled = true;
    await party.leave().catch(() => {});
    widget?.destroy();
    player.destroy();
    client.close();
    location.assign(pageUrl(location.href, null));
  });

  window.socialsyncDemo = { client, party, engine, video: ui.video };
  setState("joined");
}

// ------------------------------------------------------------------ page controls
function renderUnmute(): void {
  ui.unmute.textContent = t(ui.video.muted ? "party.unmute" : "party.mute");
  ui.unmute.setAttribute("aria-pressed", String(!ui.video.muted));
}

ui.lang.addEventListener("change", () => {
  i18n = demoI18n([ui.lang.value]);
  const url = new URL(location.href);
  url.searchParams.set("lang", ui.lang.value);
  history.replaceState(null, "", url.href);
  applyLanguage();
});
ui.joinPoster.addEventListener("error", () => {
  ui.joinPoster.dataset.failed = "yes";
  ui.joinPoster.hidden = true;
});
ui.unmute.addEventListener("click", () => {
  ui.video.muted = !ui.video.muted;
  if (!ui.video.muted && ui.video.volume === 0) ui.video.volume = 1;
});
ui.video.addEventListener("volumechange", renderUnmute);
ui.form.addEventListener("change", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.name === "media") chooserTouched = true;
  refreshChooser();
});
ui.mediaUrl.addEventListener("focus", () => {
  chooserTouched = true;
  if (!ui.mediaUrlChoice.checked) {
    ui.mediaUrlChoice.checked = true;
    refreshChooser();
  }
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void start();
});

function init(): void {
  fillLanguages();
  applyLanguage();
  ui.name.value = link.name ?? storedName();
  refreshChooser();
  if (!link.target) samplesOffered = offerSamples();
  setState("setup");
  if (link.target && link.name) void start();
  else if (!ui.name.value) ui.name.focus();
}

init();
