/**
 * The demo page at `/`: start a party (or open `/?party=ID` to join one), with the
 * video on the left and the widget on the right. For automated tests, once joined:
 * `window.socialsyncDemo = {client, party, engine, video}` and `body[data-state=joined]`.
 * `/?party=ID&name=NAME` joins at once, without a click.
 */
import { SocialSync, SocialSyncError, type Media, type PartySession, type SyncEngine } from "../src/index";
import { elementById } from "../ui/dom";
import { copyText, inviteUrl, mountWidget, type Widget } from "../widget/index";
import { DemoPlayer, isHlsUrl } from "./media";

declare global {
  interface Window {
    socialsyncDemo?: { client: SocialSync; party: PartySession; engine: SyncEngine; video: HTMLVideoElement };
  }
}

type State = "setup" | "connecting" | "joined" | "ended" | "error";
type Clips = Partial<Record<"mp4" | "hls", { url: string; duration?: number }>>;

const NAME_KEY = "socialsync.demo.name";
const SAMPLES: Record<"mp4" | "hls", { url: string; title: string }> = {
  mp4: { url: "/media/clip.mp4", title: "Sample clip (MP4)" },
  hls: { url: "/media/hls/clip.m3u8", title: "Sample clip (HLS)" },
};

function byId<T extends HTMLElement>(id: string): T {
  return elementById<T>(id, "demo page");
}

const ui = {
  error: byId<HTMLDivElement>("error"),
  setup: byId<HTMLElement>("setup"),
  setupHeading: byId<HTMLHeadingElement>("setup-heading"),
  form: byId<HTMLFormElement>("setup-form"),
  name: byId<HTMLInputElement>("name"),
  mediaChoice: byId<HTMLFieldSetElement>("media-choice"),
  mediaUrl: byId<HTMLInputElement>("media-url"),
  mediaUrlField: byId<HTMLDivElement>("media-url-field"),
  live: byId<HTMLInputElement>("live"),
  start: byId<HTMLButtonElement>("start"),
  party: byId<HTMLDivElement>("party"),
  inviteLink: byId<HTMLInputElement>("invite-link"),
  inviteCopy: byId<HTMLButtonElement>("invite-copy"),
  inviteStatus: byId<HTMLParagraphElement>("invite-status"),
  leave: byId<HTMLButtonElement>("leave"),
  videoWrap: byId<HTMLDivElement>("video-wrap"),
  video: byId<HTMLVideoElement>("video"),
  unmute: byId<HTMLButtonElement>("unmute"),
  mediaInfo: byId<HTMLSpanElement>("media-info"),
  widget: byId<HTMLElement>("widget"),
};

const params = new URLSearchParams(location.search);
const partyParam = params.get("party")?.trim() || null;
const nameParam = params.get("name")?.trim() || null;
let clips: Promise<Clips> | null = null;
let busy = false;

function setState(state: State): void {
  document.body.dataset.state = state;
}

function showError(text: string, link?: { href: string; label: string }): void {
  ui.error.replaceChildren(document.createTextNode(text));
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.label;
    ui.error.append(" ", a);
  }
}

function clearError(): void {
  ui.error.replaceChildren();
}

function describe(err: unknown): string {
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    switch (err.code) {
      case "not_found": return "This party does not exist or has ended.";
      case "unauthorized": return `The server did not accept you: ${detail}.`;
      case "unavailable": return "Could not reach the SocialSync server. Check your connection and try again.";
      case "forbidden": return `You cannot join: ${detail}.`;
      default: return `Something went wrong: ${detail}.`;
    }
  }
  return `Something went wrong: ${err instanceof Error ? err.message : String(err)}.`;
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

// ------------------------------------------------------------------ the media chooser
function chosenKind(): "mp4" | "hls" | "url" {
  const checked = ui.form.querySelector<HTMLInputElement>('input[name="media"]:checked');
  return (checked?.value as "mp4" | "hls" | "url" | undefined) ?? "mp4";
}

function refreshChooser(): void {
  const pasting = chosenKind() === "url";
  ui.mediaUrlField.hidden = !pasting;
  ui.mediaUrl.required = pasting;
}

function loadClips(): Promise<Clips> {
  clips ??= fetch("/media/clips.json", { cache: "no-cache" })
    .then((r) => (r.ok ? (r.json() as Promise<Clips>) : {}))
    .catch(() => ({}));
  return clips;
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
      showError("Paste a video address that starts with http:// or https://.");
      ui.mediaUrl.focus();
      return null;
    }
    const file = decodeURIComponent(url.pathname.split("/").pop() || url.hostname);
    return { url: url.href, kind: live ? "live" : "vod", title: file.slice(0, 200) };
  }
  const sample = SAMPLES[kind];
  const known = (await loadClips())[kind];
  const media: Media = {
    url: new URL(known?.url ?? sample.url, location.href).href,
    kind: live ? "live" : "vod",
    title: sample.title,
  };
  if (!live && typeof known?.duration === "number" && known.duration > 0) media.duration = known.duration;
  return media;
}

// ------------------------------------------------------------------ starting and joining
async function start(): Promise<void> {
  if (busy) return;
  clearError();
  const name = ui.name.value.trim().replace(/\s+/g, " ");
  if (!name) {
    showError("Please enter your name first.");
    ui.name.focus();
    return;
  }
  const media = partyParam ? null : await chosenMedia();
  if (!partyParam && !media) return;
  storeName(name);
  busy = true;
  ui.start.disabled = true;
  setState("connecting");
  let client: SocialSync | null = null;
  try {
    performance.mark("socialsync:connect"); // where the tests measure a join from
    client = await SocialSync.connect({ url: location.origin, auth: { guest: name } });
    let partyId = partyParam;
    if (!partyId && media) {
      const info = await client.createParty(`${name}'s watch party`.slice(0, 200), media);
      partyId = info.id;
      history.replaceState(null, "", `${location.pathname}?party=${encodeURIComponent(partyId)}`);
    }
    const party = await client.join(partyId!);
    enterParty(client, party);
  } catch (err) {
    client?.close();
    const notFound = err instanceof SocialSyncError && err.code === "not_found";
    showError(describe(err), notFound ? { href: location.pathname, label: "Start a new party" } : undefined);
    setState("error");
    busy = false;
    ui.start.disabled = false;
  }
}

function enterParty(client: SocialSync, party: PartySession): void {
  const player = new DemoPlayer(ui.video, (text) => showError(text));
  ui.setup.hidden = true;
  ui.party.hidden = false;

  const engine = party.attach(player.adapter);
  const widget: Widget = mountWidget(ui.widget, party, { overlay: ui.videoWrap });

  const renderParty = () => {
    ui.inviteLink.value = inviteUrl(party.info);
    const media = party.playback?.media ?? party.info.media;
    ui.mediaInfo.textContent = `${media.title ?? media.url}${media.kind === "live" ? " · live" : ""}${isHlsUrl(media.url) ? " · HLS" : ""}`;
  };
  party.on("party", renderParty);
  party.on("playback", renderParty);
  party.on("ended", (reason) => {
    setState("ended");
    player.destroy();
    const text = reason === "banned" ? "You were removed from this party." : "The party has ended.";
    showError(text, { href: location.pathname, label: "Start a new party" });
  });
  renderParty();

  ui.leave.addEventListener("click", async () => {
    ui.leave.disabled = true;
    await party.leave().catch(() => {});
    widget.destroy();
    player.destroy();
    client.close();
    location.assign(location.pathname);
  });

  window.socialsyncDemo = { client, party, engine, video: ui.video };
  setState("joined");
}

// ------------------------------------------------------------------ page controls
function refreshUnmute(): void {
  ui.unmute.textContent = ui.video.muted ? "Unmute" : "Mute";
  ui.unmute.setAttribute("aria-pressed", String(!ui.video.muted));
}

let statusTimer: ReturnType<typeof setTimeout> | null = null;
ui.inviteCopy.addEventListener("click", async () => {
  const copied = await copyText(ui.inviteLink.value, ui.inviteLink);
  ui.inviteStatus.textContent = copied ? "Copied" : "Press Ctrl+C (⌘C) to copy the selected link";
  if (statusTimer) clearTimeout(statusTimer);
  statusTimer = setTimeout(() => (ui.inviteStatus.textContent = ""), 4000);
});
ui.inviteLink.addEventListener("focus", () => ui.inviteLink.select());
ui.unmute.addEventListener("click", () => {
  ui.video.muted = !ui.video.muted;
  if (!ui.video.muted && ui.video.volume === 0) ui.video.volume = 1;
});
ui.video.addEventListener("volumechange", refreshUnmute);
ui.form.addEventListener("change", refreshChooser);
ui.mediaUrl.addEventListener("focus", () => {
  const choice = byId<HTMLInputElement>("media-url-choice");
  if (!choice.checked) {
    choice.checked = true;
    refreshChooser();
  }
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void start();
});

function init(): void {
  ui.name.value = nameParam ?? storedName();
  refreshUnmute();
  refreshChooser();
  if (partyParam) {
    ui.setupHeading.textContent = "Join the watch party";
    ui.mediaChoice.hidden = true;
    ui.start.textContent = "Join the party";
  } else {
    void loadClips();
  }
  setState("setup");
  if (partyParam && nameParam) void start();
  else if (!ui.name.value) ui.name.focus();
}

init();
