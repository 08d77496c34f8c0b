/**
 * Reaction clips: the "Record reaction" button, the party's clip list (with a Report
 * action on other members' clips), and the picture-in-picture player that plays each
 * clip over the video when the content reaches the moment it was recorded at, in step
 * with it (clipsync.ts).
 *
 * Recording needs your camera on already (turned on by you, in the camera section);
 * nothing here opens a camera or microphone.
 */
import { activeClip, clipAction, SocialSyncError, type ClipInfo, type ContentNow } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import { describeRefusal } from "./cameras";
import type { WidgetContext } from "./context";
import { formatMediaTime } from "./format";
import type { WidgetI18n } from "./i18n";
import { openReportForm } from "./report";

/** How often the overlay follows the content (and the countdown ticks). */
const FOLLOW_MS = 100;

/** A refusal about a clip: its reason in our words, else the server's own (English). */
function describeClipError(err: unknown, i18n: WidgetI18n): string {
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    if (err.reason) return describeRefusal(err, `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`, i18n);
    if (err.code === "rate_limited") return i18n.t("clips.not_now", { detail });
    return `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`;
  }
  return i18n.t("clips.error");
}

/** The overlay <video> over the content: one clip at a time. */
class ClipOverlay {
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly caption = h("figcaption", { class: "ssw-clip-pip-name" });
  /** The clip shown, and whether it follows the content (false: played from the list). */
  shown: ClipInfo | null = null;
  synced = true;
  private loading: string | null = null;

  constructor(host: HTMLElement, private readonly fresh: (id: string) => Promise<ClipInfo | null>, label: string) {
    this.video = h("video", { class: "ssw-clip-pip-video", playsinline: true, preload: "auto" });
    this.el = h("figure", { class: "ssw-clip-pip", "aria-label": label }, this.video, this.caption);
    this.el.hidden = true;
    this.video.addEventListener("ended", () => {
      if (!this.synced) this.hide();
    });
    host.appendChild(this.el);
  }

  /** Show ``clip`` (loading its file); the content sync takes over from there. */
  async show(clip: ClipInfo, synced: boolean): Promise<void> {
    this.synced = synced;
    if (this.shown?.id === clip.id) return;
    this.shown = clip;
    this.loading = clip.id;
    setText(this.caption, clip.user.name);
    this.el.dataset.clip = clip.id;
    this.el.hidden = false;
    const usable = await this.fresh(clip.id);
    if (this.loading !== clip.id) return;
    this.loading = null;
    if (!usable) {
      this.hide();
      return;
    }
    this.video.src = usable.url;
    if (!synced) this.play(0);
  }

  /** Keep the shown clip where the content says it should be. */
  follow(content: ContentNow): void {
    const clip = this.shown;
    if (!clip || !this.synced || this.loading) return;
    const ready = this.video.readyState >= HTMLMediaElement.HAVE_METADATA;
    const action = clipAction(clip, content, ready ? this.video.currentTime : null);
    if (action.kind === "hide") {
      this.hide();
      return;
    }
    if (!ready) return;
    if (action.seekTo !== null) this.video.currentTime = action.seekTo;
    if (action.play && this.video.paused) this.play(null);
    else if (!action.play && !this.video.paused) this.video.pause();
  }

  private play(at: number | null): void {
    if (at !== null) this.video.currentTime = at;
    this.video.play().catch(() => {
      // No sound without a gesture on this page: play it muted rather than not at all.
      this.video.muted = true;
      void this.video.play().catch(() => {});
    });
  }

  hide(): void {
    this.shown = null;
    this.loading = null;
    this.el.hidden = true;
    delete this.el.dataset.clip;
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
  }
}

export function clipsSection(ctx: WidgetContext, overlayHost: HTMLElement): HTMLElement {
  const { party, t, i18n } = ctx;
  const clips = party.clips;
  const cams = party.cameras;
  const ids = { heading: uid("clips-heading") };
  const overlay = new ClipOverlay(overlayHost, (id) => clips.fresh(id), t("clips.pip_label"));
  let busy = false;

  const record = h("button", { type: "button", class: "ssw-button ssw-clip-record", "aria-pressed": "false" });
  const status = h("p", { class: "ssw-clip-status", role: "status", "aria-live": "polite" });
  const alert = h("p", { class: "ssw-clip-error", role: "alert" });
  const list = h("ul", { class: "ssw-clip-list", "aria-labelledby": ids.heading });
  const empty = h("p", { class: "ssw-clip-empty" }, t("clips.empty"));

  const cameraOn = () => {
    const mine = cams.mine;
    return !!mine && mine.video && !mine.video_muted;
  };

  const content = (): ContentNow => {
    const player = party.engine?.player;
    return {
      mediaUrl: party.playback.media.url,
      position: player ? player.position() : party.expectedPosition(),
      playing: player ? !player.paused() : party.playback.status === "playing",
    };
  };

  const renderButton = () => {
    const recording = clips.recording;
    record.setAttribute("aria-pressed", String(!!recording));
    record.classList.toggle("ssw-is-recording", !!recording);
    record.disabled = busy || ctx.ended || (!recording && !cameraOn());
    if (recording) {
      const elapsed = Math.max(0, (party.serverNow() - recording.started_at) / 1000);
      const left = Math.max(0, Math.ceil(recording.max_duration - elapsed));
      setText(record, t("clips.stop", { left }));
      setText(status, t("clips.recording", { elapsed: Math.floor(elapsed), max: recording.max_duration }));
    } else {
      setText(record, t("clips.record"));
      setText(status, cameraOn() ? "" : t("clips.camera_first"));
    }
  };

  const toggle = async () => {
    setText(alert, "");
    busy = true;
    renderButton();
    try {
      if (clips.recording) await clips.stop();
      else await clips.start();
    } catch (err) {
      setText(alert, describeClipError(err, i18n));
    } finally {
      busy = false;
      renderButton();
    }
  };
  record.addEventListener("click", () => void toggle());

  const mayDelete = (clip: ClipInfo) => clip.user.id === party.you.id || ctx.isHost();
  // Others' clips that everyone sees; the server refuses the rest anyway.
  const mayReport = (clip: ClipInfo) => clip.user.id !== party.you.id && clip.status === "visible";
  // Reported from this page: their item says so when it is drawn again.
  const reported = new Set<string>();

  const renderClip = (clip: ClipInfo): HTMLLIElement => {
    const play = h("button", {
      type: "button", class: "ssw-button ssw-button-small ssw-clip-play",
      "aria-label": t("clips.play_label", { name: clip.user.name }),
      onclick: () => void overlay.show(clip, false),
    }, t("clips.play"));
    const remove = mayDelete(clip) ? h("button", {
      type: "button", class: "ssw-button ssw-button-small ssw-clip-delete",
      "aria-label": t("clips.delete_label", { name: clip.user.name }),
      onclick: () => {
        clips.delete(clip.id).catch((err) => setText(alert, describeClipError(err, i18n)));
      },
    }, t("clips.delete")) : null;
    const report: HTMLButtonElement | null = mayReport(clip) && !reported.has(clip.id) ? h("button", {
      type: "button", class: "ssw-button ssw-button-small ssw-clip-report",
      "aria-label": t("clips.report_label", { name: clip.user.name }),
      onclick: () => report && openReportForm(li, report, ctx, {
        label: t("report.why_clip", { name: clip.user.name }),
        send: (reason) => clips.report(clip.id, reason).then(() => void reported.add(clip.id)),
        describe: (err) => describeClipError(err, i18n),
      }),
    }, t("clips.report")) : null;
    const other = clip.media_url !== party.playback.media.url;
    const badge = clip.status !== "visible" ? t(clip.status === "held" ? "clips.badge_held" : "clips.badge_private")
      : reported.has(clip.id) ? t("clips.badge_reported") : null;
    const li = h("li", { class: "ssw-clip", "data-clip": clip.id },
      h("span", { class: "ssw-clip-name" }, clip.user.name),
      h("span", { class: "ssw-clip-at" }, t("clips.at", {
        at: formatMediaTime(clip.media_time, i18n), other: other ? "yes" : "no", seconds: Math.round(clip.duration),
      })),
      badge ? h("span", { class: "ssw-clip-badge" }, badge) : null,
      play, remove, report);
    return li;
  };

  // Items by clip id, with what they were drawn from: one is drawn again only when
  // that changes, so a report being written survives other clips coming and going.
  const items = new Map<string, { key: string; li: HTMLLIElement }>();
  const itemKey = (clip: ClipInfo) => JSON.stringify([clip.status, clip.user.name, clip.media_time,
    clip.duration, clip.media_url === party.playback.media.url, mayDelete(clip)]);

  const renderList = () => {
    const all = clips.list();
    const drawn = all.map((clip) => {
      const key = itemKey(clip);
      const old = items.get(clip.id);
      return [clip.id, old && old.key === key ? old : { key, li: renderClip(clip) }] as const;
    });
    items.clear();
    // In order, moving only what is out of place (a moved node would lose focus).
    let at: ChildNode | null = list.firstChild;
    for (const [id, item] of drawn) {
      items.set(id, item);
      if (item.li === at) at = at.nextSibling;
      else list.insertBefore(item.li, at);
    }
    while (at) {
      const next: ChildNode | null = at.nextSibling;
      at.remove();
      at = next;
    }
    empty.hidden = all.length > 0;
    if (overlay.shown && !clips.clips.has(overlay.shown.id)) overlay.hide();
  };

  // The overlay follows the content; a clip whose moment has come takes the overlay.
  const follow = () => {
    renderButton();
    if (ctx.ended) return;
    const now = content();
    if (!overlay.shown || overlay.synced) {
      const due = activeClip(clips.list(now.mediaUrl), now);
      if (due && due.id !== overlay.shown?.id) void overlay.show(due, true);
      else if (!due && overlay.shown) overlay.hide();
    }
    overlay.follow(now);
  };

  for (const off of [
    clips.on("changed", renderList),
    clips.on("recording", renderButton),
    clips.on("ended", (clip, reason) => {
      if (!clip && reason !== "stopped") setText(alert, reason === "moderated" ? t("clips.not_kept") : t("clips.nothing"));
      else if (clip && reason === "limit") setText(status, t("clips.limit"));
      renderButton();
    }),
    cams.on("camera", renderButton),
    cams.on("published", renderButton),
    cams.on("unpublished", renderButton),
  ]) ctx.disposer.add(off);
  ctx.on("party", renderList);
  ctx.on("playback", follow);
  ctx.on("ended", () => {
    overlay.hide();
    renderButton();
  });
  ctx.disposer.interval(follow, FOLLOW_MS);
  ctx.disposer.add(() => {
    if (clips.recording) void clips.stop().catch(() => {});
    overlay.hide();
    overlay.el.remove();
  });

  renderList();
  renderButton();
  return h("section", { class: "ssw-section ssw-clips", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, t("clips.heading")),
    h("div", { class: "ssw-clip-controls" }, record), status, alert, list, empty);
}
