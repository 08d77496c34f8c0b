/**
 * Camera tiles and the camera/microphone buttons.
 *
 * Nothing here opens a camera or microphone until the user has pressed a button AND
 * confirmed the consent dialog; only then is getUserMedia called, and the stream is
 * published. Tiles come and go with the members' cameras (party.cameras events).
 */
import { SocialSyncError, type CameraState } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { widgetI18n, type WidgetI18n } from "./i18n";

/** RMS level (0..1) of a tile's audio above which its member counts as speaking. */
export const SPEAKING_LEVEL = 0.02;
/** How long a tile stays "speaking" after the level drops (no flicker between words). */
const SPEAKING_HOLD_MS = 400;
const LEVEL_POLL_MS = 100;

type Kinds = { audio: boolean; video: boolean };

/** Shared by the tiles of one widget: one AudioContext (created on the first audio track). */
class LevelMeter {
  private audio: AudioContext | null = null;

  analyser(stream: MediaStream): { node: AnalyserNode; source: MediaStreamAudioSourceNode } | null {
    if (!stream.getAudioTracks().length || typeof AudioContext === "undefined") return null;
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === "suspended") void this.audio.resume().catch(() => {});
      const source = this.audio.createMediaStreamSource(stream);
      const node = this.audio.createAnalyser();
      node.fftSize = 512;
      source.connect(node); // not to the destination: the <video> plays the sound
      return { node, source };
    } catch {
      return null;
    }
  }

  resume(): void {
    if (this.audio?.state === "suspended") void this.audio.resume().catch(() => {});
  }

  close(): void {
    void this.audio?.close().catch(() => {});
    this.audio = null;
  }
}

/** One member's camera: its video, its name, its mute state and whether it speaks. */
class Tile {
  readonly el: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly name = h("span", { class: "ssw-tile-name" });
  private readonly micOff: HTMLSpanElement;
  private readonly camOff: HTMLSpanElement;
  private readonly status = h("span", { class: "ssw-tile-status", role: "status" });
  private readonly unmute: HTMLButtonElement;
  private stream: MediaStream | null = null;
  private meter: { node: AnalyserNode; source: MediaStreamAudioSourceNode } | null = null;
  private samples: Uint8Array<ArrayBuffer> | null = null;
  private lastLoud = 0;
  private camera: CameraState | null = null;

  constructor(readonly userId: string, readonly self: boolean, private readonly levels: LevelMeter,
    private readonly i18n: WidgetI18n) {
    this.micOff = h("span", { class: "ssw-tile-flag ssw-tile-mic-off" }, i18n.t("tile.mic_off"));
    this.camOff = h("span", { class: "ssw-tile-flag ssw-tile-cam-off" }, i18n.t("tile.camera_off"));
    // Your own tile is always muted: you must not hear yourself.
    this.video = h("video", { class: "ssw-tile-video", autoplay: true, playsinline: true, muted: self });
    this.video.muted = self;
    this.unmute = h("button", {
      type: "button", class: "ssw-button ssw-button-small ssw-tile-unmute",
      onclick: () => {
        this.video.muted = false;
        this.unmute.hidden = true;
        this.levels.resume();
        void this.video.play().catch(() => {});
      },
    }, i18n.t("tile.play_sound"));
    this.unmute.hidden = true;
    this.el = h("figure", { class: "ssw-tile", "data-user": userId, "data-state": "connecting" },
      this.video,
      h("figcaption", { class: "ssw-tile-caption" }, this.name, this.micOff, this.camOff),
      this.status, this.unmute);
    if (self) this.el.dataset.self = "";
    setText(this.status, i18n.t("tile.connecting"));
  }

  update(name: string, camera: CameraState): void {
    this.camera = camera;
    setText(this.name, this.self ? this.i18n.t("tile.name_you", { name }) : name);
    const audioOff = !camera.audio || camera.audio_muted;
    const videoOff = !camera.video || camera.video_muted;
    this.micOff.hidden = !audioOff;
    this.camOff.hidden = !videoOff;
    this.el.dataset.audioMuted = String(audioOff);
    this.el.dataset.videoMuted = String(videoOff);
    this.el.classList.toggle("ssw-tile-no-video", videoOff);
    this.el.setAttribute("aria-label", this.i18n.t("tile.label", {
      whose: this.self ? "you" : "other", name,
      video: videoOff ? "off" : "on", audio: audioOff ? "off" : "on",
    }));
    if (audioOff) this.setSpeaking(false);
  }

  setStream(stream: MediaStream | null): void {
    if (stream === this.stream) return;
    this.detachMeter();
    this.stream = stream;
    this.video.srcObject = stream;
    this.el.dataset.state = stream ? "live" : "connecting";
    setText(this.status, stream ? "" : this.i18n.t("tile.connecting"));
    if (!stream) return;
    this.meter = this.levels.analyser(stream);
    this.samples = this.meter ? new Uint8Array(this.meter.node.fftSize) : null;
    this.video.play().catch(() => {
      if (this.self || this.video.muted) return;
      // The browser refused to play sound without a click: play muted, offer a button.
      this.video.muted = true;
      this.unmute.setAttribute("aria-label", this.i18n.t("tile.play_sound_of", { name: this.name.textContent ?? "" }));
      this.unmute.hidden = false;
      void this.video.play().catch(() => {});
    });
  }

  showProblem(text: string): void {
    setText(this.status, text);
  }

  /** The RMS level of the audio now (0..1), and the speaking class from it. */
  poll(now: number): void {
    if (!this.meter || !this.samples || !this.camera || !this.camera.audio || this.camera.audio_muted) return;
    this.meter.node.getByteTimeDomainData(this.samples);
    let sum = 0;
    for (const v of this.samples) {
      const x = (v - 128) / 128;
      sum += x * x;
    }
    const level = Math.sqrt(sum / this.samples.length);
    this.el.dataset.level = level.toFixed(3);
    if (level > SPEAKING_LEVEL) this.lastLoud = now;
    this.setSpeaking(now - this.lastLoud < SPEAKING_HOLD_MS && this.lastLoud > 0);
  }

  private setSpeaking(on: boolean): void {
    this.el.classList.toggle("ssw-tile-speaking", on);
  }

  private detachMeter(): void {
    this.meter?.source.disconnect();
    this.meter = null;
    this.samples = null;
  }

  destroy(): void {
    this.detachMeter();
    this.video.srcObject = null;
    this.el.remove();
  }
}

/** Words for a failure to turn the camera on, for the person who pressed the button. */
let english: WidgetI18n | null = null;

/** Words for a failure to turn the camera on, for the person who pressed the button:
 * the refusal's `reason` in the widget's language, else the server's own sentence
 * (English). */
export function describeCameraError(err: unknown, i18n: WidgetI18n = (english ??= widgetI18n(["en"]))): string {
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    const sentence = detail.charAt(0).toUpperCase() + detail.slice(1) + (/[.!?]$/.test(detail) ? "" : ".");
    if (err.reason) return describeRefusal(err, sentence, i18n);
    switch (err.code) {
      case "forbidden": return sentence; // the host's switch, the limit, the stage: the server says which
      case "unavailable": return i18n.t("camera_error.unavailable", { detail: sentence });
      case "rate_limited": return i18n.t("camera_error.rate_limited");
      default: return i18n.t("camera_error.other", { detail: sentence });
    }
  }
  const name = err instanceof Error ? err.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return i18n.t("camera_error.not_allowed");
    case "NotFoundError":
    case "OverconstrainedError":
      return i18n.t("camera_error.not_found");
    case "NotReadableError":
    case "AbortError":
      return i18n.t("camera_error.in_use");
    default:
      return i18n.t("camera_error.unknown");
  }
}

/** A refusal the server named (`error.reason`, protocol 1.4) in the widget's words; an
 * unknown reason (a newer server) keeps the server's sentence. */
export function describeRefusal(err: SocialSyncError, sentence: string, i18n: WidgetI18n): string {
  const max = Number(err.params.max ?? 0);
  return i18n.t("refusal", { reason: err.reason ?? "other", max, detail: sentence });
}

/**
 * The camera section: your buttons, the consent dialog, and the tile grid (inside the
 * section, or in `gridHost`, e.g. over the video).
 */
export function camerasSection(ctx: WidgetContext, gridHost?: HTMLElement): HTMLElement {
  const { party, t, i18n } = ctx;
  const cams = party.cameras;
  cams.autoSubscribe = true; // the widget shows every camera that is on
  const levels = new LevelMeter();
  const tiles = new Map<string, Tile>();
  const ids = { heading: uid("cameras"), dialogTitle: uid("consent-title"), dialogText: uid("consent-text"),
    video: uid("consent-video"), audio: uid("consent-audio") };
  /** The stream this widget got from getUserMedia; stopped when the camera goes off. */
  let local: MediaStream | null = null;
  let busy = false;

  const alert = h("p", { class: "ssw-error ssw-camera-error", role: "alert" });
  const hint = h("p", { class: "ssw-hint ssw-camera-hint" });
  const showError = (text: string) => setText(alert, text);

  const camButton = h("button", { type: "button", class: "ssw-button ssw-camera-toggle", "data-kind": "video",
    onclick: () => void toggle("video") });
  const micButton = h("button", { type: "button", class: "ssw-button ssw-camera-toggle", "data-kind": "audio",
    onclick: () => void toggle("audio") });
  const stopButton = h("button", { type: "button", class: "ssw-button ssw-camera-stop",
    "aria-label": t("cameras.stop_label"), onclick: () => void stop() }, t("cameras.stop"));

  // ---------------------------------------------------------------- the consent dialog
  const wantVideo = h("input", { id: ids.video, type: "checkbox", class: "ssw-checkbox", name: "video" });
  const wantAudio = h("input", { id: ids.audio, type: "checkbox", class: "ssw-checkbox", name: "audio" });
  const dialogText = h("p", { id: ids.dialogText, class: "ssw-consent-text" });
  const dialogAlert = h("p", { class: "ssw-error", role: "alert" });
  const confirm = h("button", { type: "button", class: "ssw-button ssw-button-primary ssw-consent-confirm",
    onclick: () => void confirmed() }, t("consent.confirm"));
  const cancel = h("button", { type: "button", class: "ssw-button ssw-consent-cancel",
    onclick: () => closeDialog() }, t("consent.cancel"));
  const dialog = h("dialog", { class: "ssw-consent", "aria-labelledby": ids.dialogTitle, "aria-describedby": ids.dialogText },
    h("h4", { id: ids.dialogTitle, class: "ssw-heading" }, t("consent.title")),
    dialogText,
    h("fieldset", { class: "ssw-fieldset" },
      h("legend", null, t("consent.share")),
      h("span", { class: "ssw-toggle" }, wantVideo, h("label", { for: ids.video }, t("consent.my_camera"))),
      h("span", { class: "ssw-toggle" }, wantAudio, h("label", { for: ids.audio }, t("consent.my_microphone")))),
    h("p", { class: "ssw-hint" }, t("consent.hint")),
    dialogAlert,
    h("div", { class: "ssw-consent-actions" }, cancel, confirm));
  dialog.addEventListener("cancel", () => setText(dialogAlert, "")); // Escape: nothing is turned on

  const openDialog = (kinds: Kinds) => {
    const others = Math.max(0, party.info.member_count - 1);
    const room = party.info.settings.type === "live_room" ? "room" : "party";
    setText(dialogText, t("consent.text", { room, others }));
    wantVideo.checked = kinds.video;
    wantAudio.checked = kinds.audio;
    // What is already shared stays shared: this dialog only adds.
    const mine = cams.mine;
    wantVideo.disabled = !!mine?.video;
    wantAudio.disabled = !!mine?.audio;
    setText(dialogAlert, "");
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    confirm.focus();
  };

  const closeDialog = () => {
    if (dialog.open) dialog.close();
    dialog.removeAttribute("open");
  };

  /** The user said yes: only now ask the browser for the devices, then publish. */
  const confirmed = async () => {
    const mine = cams.mine;
    const want: Kinds = { video: wantVideo.checked || !!mine?.video, audio: wantAudio.checked || !!mine?.audio };
    if (!want.video && !want.audio) {
      setText(dialogAlert, t("consent.choose"));
      return;
    }
    closeDialog();
    levels.resume();
    const missing: Kinds = {
      video: want.video && !local?.getVideoTracks().some((t) => t.readyState === "live"),
      audio: want.audio && !local?.getAudioTracks().some((t) => t.readyState === "live"),
    };
    busy = true;
    render();
    let fresh: MediaStream | null = null;
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new SocialSyncError("unavailable", "this browser cannot use a camera here (it needs https)");
      fresh = await navigator.mediaDevices.getUserMedia({ video: missing.video, audio: missing.audio });
      const stream = new MediaStream([...(local?.getTracks().filter((t) => t.readyState === "live") ?? []), ...fresh.getTracks()]);
      const old = local;
      local = stream;
      await cams.publish(stream, want);
      if (old && old !== stream) stopTracks(old, stream);
      showError("");
    } catch (err) {
      showError(describeCameraError(err, i18n));
      if (!cams.localStream) {
        if (local) stopTracks(local);
        local = null;
      }
      if (fresh) stopTracks(fresh, cams.localStream);
    } finally {
      busy = false;
      render();
    }
  };

  // ---------------------------------------------------------------- the buttons
  const toggle = async (kind: "audio" | "video") => {
    showError("");
    const mine = cams.mine;
    if (!mine || !mine[kind]) {
      openDialog(kind === "video" ? { video: true, audio: !mine || mine.audio } : { audio: true, video: !!mine?.video });
      return;
    }
    busy = true;
    render();
    try {
      await cams.mute({ [kind]: !mine[`${kind}_muted`] });
    } catch (err) {
      showError(describeCameraError(err, i18n));
    } finally {
      busy = false;
      render();
    }
  };

  const stop = async () => {
    busy = true;
    render();
    try {
      await cams.unpublish();
    } catch (err) {
      showError(describeCameraError(err, i18n));
    } finally {
      if (local) stopTracks(local);
      local = null;
      busy = false;
      render();
    }
  };

  const camerasAllowed = () => party.info.settings.cameras !== false;

  const mayPublish = () => {
    if (party.info.settings.type !== "live_room") return true;
    const me = ctx.me();
    return me.role !== "member" || !!me.on_stage || ctx.isStaff();
  };

  const render = () => {
    const mine = cams.mine;
    const allowed = camerasAllowed() && mayPublish() && !ctx.ended;
    // The accessible name starts with the visible words (WCAG 2.5.3), then says what a press does.
    const label = (kind: "audio" | "video") => {
      const state = !mine || !mine[kind] ? "none" : mine[`${kind}_muted`] ? "muted" : "on";
      return {
        text: t(kind === "video" ? "cameras.camera_button" : "cameras.mic_button", { state }),
        action: t(kind === "video" ? "cameras.camera_action" : "cameras.mic_action", { state }),
        pressed: state === "on",
      };
    };
    for (const [button, kind] of [[camButton, "video"], [micButton, "audio"]] as const) {
      const l = label(kind);
      setText(button, l.text);
      button.setAttribute("aria-label", t("cameras.button_label", { text: l.text, action: l.action }));
      button.setAttribute("aria-pressed", String(l.pressed));
      button.disabled = busy || (!allowed && !mine);
    }
    stopButton.hidden = !mine;
    stopButton.disabled = busy;
    if (!camerasAllowed()) setText(hint, t("cameras.host_off"));
    else if (!mayPublish()) setText(hint, t("cameras.stage_only"));
    else setText(hint, "");
    if (!camerasAllowed() || ctx.ended) closeDialog();
  };

  // ---------------------------------------------------------------- the tiles
  const grid = h("div", { class: "ssw-camera-grid", role: "list", "aria-label": t("cameras.heading") });
  const renderTiles = () => {
    const seen = new Set<string>();
    for (const [userId, camera] of cams.cameras) {
      if (ctx.ended) break;
      const self = userId === party.you.id;
      seen.add(userId);
      let tile = tiles.get(userId);
      if (!tile) {
        tile = new Tile(userId, self, levels, i18n);
        tile.el.setAttribute("role", "listitem");
        tiles.set(userId, tile);
        if (self) grid.prepend(tile.el);
        else grid.append(tile.el);
      }
      tile.update(party.members.get(userId)?.name ?? t("tile.someone"), camera);
      tile.setStream(self ? cams.localStream : cams.streams.get(userId) ?? null);
    }
    for (const [userId, tile] of tiles) {
      if (!seen.has(userId)) {
        tile.destroy();
        tiles.delete(userId);
      }
    }
    grid.hidden = tiles.size === 0;
  };

  const off = [
    cams.on("camera", () => {
      renderTiles();
      render();
    }),
    cams.on("stream", (userId, stream) => tiles.get(userId)?.setStream(stream)),
    cams.on("streamEnded", (userId) => tiles.get(userId)?.setStream(null)),
    cams.on("published", () => {
      renderTiles();
      render();
    }),
    cams.on("unpublished", (reason) => {
      if (reason !== "you") {
        // The server turned it off (the host's switch, the stage), or it failed: let go of the devices.
        if (local) stopTracks(local);
        local = null;
        showError(reason === "server"
          ? (camerasAllowed() ? t("cameras.turned_off") : t("cameras.host_off"))
          : reason === "failed" ? t("cameras.failed") : "");
      }
      renderTiles();
      render();
    }),
    cams.on("error", (err, userId) => {
      if (userId) tiles.get(userId)?.showProblem(t("tile.could_not_connect"));
      else showError(describeCameraError(err, i18n));
    }),
  ];
  for (const fn of off) ctx.disposer.add(fn);
  ctx.on("members", renderTiles);
  ctx.on("joined", () => {
    renderTiles();
    render();
  });
  ctx.on("party", () => {
    render();
    if (!camerasAllowed() && !cams.mine && local) {
      stopTracks(local);
      local = null;
    }
  });
  ctx.on("ended", () => {
    if (local) stopTracks(local);
    local = null;
    renderTiles();
    render();
  });
  ctx.disposer.interval(() => {
    const now = performance.now();
    for (const tile of tiles.values()) tile.poll(now);
  }, LEVEL_POLL_MS);
  ctx.disposer.add(() => {
    // The widget goes away: so does the camera it turned on.
    if (local) {
      void cams.unpublish().catch(() => {});
      stopTracks(local);
      local = null;
    }
    for (const tile of tiles.values()) tile.destroy();
    tiles.clear();
    closeDialog();
    dialog.remove();
    levels.close();
  });

  const section = h("section", { class: "ssw-section ssw-cameras", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, t("cameras.heading")),
    h("div", { class: "ssw-camera-controls", role: "group", "aria-label": t("cameras.controls") },
      camButton, micButton, stopButton),
    hint, alert, dialog);
  if (gridHost) {
    grid.classList.add("ssw-camera-grid-overlay");
    gridHost.appendChild(grid);
    ctx.disposer.add(() => grid.remove());
  } else {
    section.insertBefore(grid, hint);
  }
  renderTiles();
  render();
  return section;
}

function stopTracks(stream: MediaStream, keep: MediaStream | null = null): void {
  const kept = new Set(keep?.getTracks() ?? []);
  for (const track of stream.getTracks()) if (!kept.has(track)) track.stop();
}
