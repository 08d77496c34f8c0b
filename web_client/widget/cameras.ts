/**
 * Camera tiles and the camera/microphone buttons.
 *
 * Nothing here opens a camera or microphone until the user has pressed a button AND
 * confirmed the consent dialog; only then is getUserMedia called, and the stream is
 * published. Tiles come and go with the members' cameras (party.cameras events).
 */
import { SocialSyncError, type CameraState } from "../src/index";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";

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
  private readonly micOff = h("span", { class: "ssw-tile-flag ssw-tile-mic-off" }, "mic off");
  private readonly camOff = h("span", { class: "ssw-tile-flag ssw-tile-cam-off" }, "camera off");
  private readonly status = h("span", { class: "ssw-tile-status", role: "status" });
  private readonly unmute: HTMLButtonElement;
  private stream: MediaStream | null = null;
  private meter: { node: AnalyserNode; source: MediaStreamAudioSourceNode } | null = null;
  private samples: Uint8Array<ArrayBuffer> | null = null;
  private lastLoud = 0;
  private camera: CameraState | null = null;

  constructor(readonly userId: string, readonly self: boolean, private readonly levels: LevelMeter) {
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
    }, "Play sound");
    this.unmute.hidden = true;
    this.el = h("figure", { class: "ssw-tile", "data-user": userId, "data-state": "connecting" },
      this.video,
      h("figcaption", { class: "ssw-tile-caption" }, this.name, this.micOff, this.camOff),
      this.status, this.unmute);
    if (self) this.el.dataset.self = "";
    setText(this.status, "connecting…");
  }

  update(name: string, camera: CameraState): void {
    this.camera = camera;
    setText(this.name, this.self ? `${name} (you)` : name);
    const audioOff = !camera.audio || camera.audio_muted;
    const videoOff = !camera.video || camera.video_muted;
    this.micOff.hidden = !audioOff;
    this.camOff.hidden = !videoOff;
    this.el.dataset.audioMuted = String(audioOff);
    this.el.dataset.videoMuted = String(videoOff);
    this.el.classList.toggle("ssw-tile-no-video", videoOff);
    const state = [videoOff ? "camera off" : "camera on", audioOff ? "microphone off" : "microphone on"].join(", ");
    this.el.setAttribute("aria-label", `${this.self ? "Your camera" : `${name}'s camera`}: ${state}`);
    if (audioOff) this.setSpeaking(false);
  }

  setStream(stream: MediaStream | null): void {
    if (stream === this.stream) return;
    this.detachMeter();
    this.stream = stream;
    this.video.srcObject = stream;
    this.el.dataset.state = stream ? "live" : "connecting";
    setText(this.status, stream ? "" : "connecting…");
    if (!stream) return;
    this.meter = this.levels.analyser(stream);
    this.samples = this.meter ? new Uint8Array(this.meter.node.fftSize) : null;
    this.video.play().catch(() => {
      if (this.self || this.video.muted) return;
      // The browser refused to play sound without a click: play muted, offer a button.
      this.video.muted = true;
      this.unmute.setAttribute("aria-label", `Play the sound of ${this.name.textContent ?? "this camera"}`);
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
export function describeCameraError(err: unknown): string {
  if (err instanceof SocialSyncError) {
    const detail = err.message.replace(/^[a-z_]+: /, "");
    const sentence = detail.charAt(0).toUpperCase() + detail.slice(1) + (/[.!?]$/.test(detail) ? "" : ".");
    switch (err.code) {
      case "forbidden": return sentence; // the host's switch, the limit, the stage: the server says which
      case "unavailable": return `Cameras are not available right now. ${sentence}`;
      case "rate_limited": return "Slow down: try again in a moment.";
      default: return `Could not turn the camera on. ${sentence}`;
    }
  }
  const name = err instanceof Error ? err.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The browser was not allowed to use your camera or microphone. Allow it (next to the address bar) and try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera or microphone was found.";
    case "NotReadableError":
    case "AbortError":
      return "Your camera or microphone is in use by another application.";
    default:
      return "Could not turn the camera on. Please try again.";
  }
}

/**
 * The camera section: your buttons, the consent dialog, and the tile grid (inside the
 * section, or in `gridHost`, e.g. over the video).
 */
export function camerasSection(ctx: WidgetContext, gridHost?: HTMLElement): HTMLElement {
  const party = ctx.party;
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
    "aria-label": "Stop sharing your camera and microphone", onclick: () => void stop() }, "Stop sharing");

  // ---------------------------------------------------------------- the consent dialog
  const wantVideo = h("input", { id: ids.video, type: "checkbox", class: "ssw-checkbox", name: "video" });
  const wantAudio = h("input", { id: ids.audio, type: "checkbox", class: "ssw-checkbox", name: "audio" });
  const dialogText = h("p", { id: ids.dialogText, class: "ssw-consent-text" });
  const dialogAlert = h("p", { class: "ssw-error", role: "alert" });
  const confirm = h("button", { type: "button", class: "ssw-button ssw-button-primary ssw-consent-confirm",
    onclick: () => void confirmed() }, "Turn on");
  const cancel = h("button", { type: "button", class: "ssw-button ssw-consent-cancel",
    onclick: () => closeDialog() }, "Cancel");
  const dialog = h("dialog", { class: "ssw-consent", "aria-labelledby": ids.dialogTitle, "aria-describedby": ids.dialogText },
    h("h4", { id: ids.dialogTitle, class: "ssw-heading" }, "Show your camera to the party?"),
    dialogText,
    h("fieldset", { class: "ssw-fieldset" },
      h("legend", null, "Share"),
      h("span", { class: "ssw-toggle" }, wantVideo, h("label", { for: ids.video }, "My camera")),
      h("span", { class: "ssw-toggle" }, wantAudio, h("label", { for: ids.audio }, "My microphone"))),
    h("p", { class: "ssw-hint" }, "Your browser will ask for permission next. You can mute or stop at any time."),
    dialogAlert,
    h("div", { class: "ssw-consent-actions" }, cancel, confirm));
  dialog.addEventListener("cancel", () => setText(dialogAlert, "")); // Escape: nothing is turned on

  const openDialog = (kinds: Kinds) => {
    const others = Math.max(0, party.info.member_count - 1);
    const room = party.info.settings.type === "live_room" ? "room" : "party";
    setText(dialogText,
      `Everyone in this ${room} (${others} other ${others === 1 ? "person" : "people"} now, and anyone who joins ` +
      "while it is on) will see your camera and hear your microphone, until you turn them off.");
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
      setText(dialogAlert, "Choose your camera, your microphone or both.");
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
      showError(describeCameraError(err));
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
      showError(describeCameraError(err));
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
      showError(describeCameraError(err));
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
    const label = (kind: "audio" | "video") => {
      const what = kind === "video" ? "camera" : "microphone";
      if (!mine || !mine[kind]) return { text: kind === "video" ? "Camera" : "Mic", aria: `Turn on your ${what}`, pressed: false };
      const muted = mine[`${kind}_muted`];
      return muted
        ? { text: kind === "video" ? "Camera off" : "Mic off", aria: `Turn your ${what} back on`, pressed: false }
        : { text: kind === "video" ? "Camera on" : "Mic on", aria: `Turn your ${what} off`, pressed: true };
    };
    for (const [button, kind] of [[camButton, "video"], [micButton, "audio"]] as const) {
      const l = label(kind);
      setText(button, l.text);
      button.setAttribute("aria-label", l.aria);
      button.setAttribute("aria-pressed", String(l.pressed));
      button.disabled = busy || (!allowed && !mine);
    }
    stopButton.hidden = !mine;
    stopButton.disabled = busy;
    if (!camerasAllowed()) setText(hint, "The host has turned cameras off in this party.");
    else if (!mayPublish()) setText(hint, "In a live room only the hosts and the people on stage turn their cameras on.");
    else setText(hint, "");
    if (!camerasAllowed() || ctx.ended) closeDialog();
  };

  // ---------------------------------------------------------------- the tiles
  const grid = h("div", { class: "ssw-camera-grid", role: "list", "aria-label": "Cameras" });
  const renderTiles = () => {
    const seen = new Set<string>();
    for (const [userId, camera] of cams.cameras) {
      if (ctx.ended) break;
      const self = userId === party.you.id;
      seen.add(userId);
      let tile = tiles.get(userId);
      if (!tile) {
        tile = new Tile(userId, self, levels);
        tile.el.setAttribute("role", "listitem");
        tiles.set(userId, tile);
        if (self) grid.prepend(tile.el);
        else grid.append(tile.el);
      }
      tile.update(party.members.get(userId)?.name ?? "Someone", camera);
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
          ? (camerasAllowed() ? "Your camera was turned off." : "The host has turned cameras off in this party.")
          : reason === "failed" ? "The connection carrying your camera failed. Turn it on again to retry." : "");
      }
      renderTiles();
      render();
    }),
    cams.on("error", (err, userId) => {
      if (userId) tiles.get(userId)?.showProblem("could not connect");
      else showError(describeCameraError(err));
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
    h("h3", { id: ids.heading, class: "ssw-heading" }, "Cameras"),
    h("div", { class: "ssw-camera-controls", role: "group", "aria-label": "Your camera and microphone" },
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
