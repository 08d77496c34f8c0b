/**
 * Cameras (protocol section 15): publish your camera and microphone to a party and
 * receive the other members' over WebRTC, relayed by the server.
 *
 * One send-only peer connection for what you publish (you offer), one receive-only
 * connection per publisher you watch (the server offers); nothing is renegotiated.
 * Descriptions are sent complete (ICE gathering finished: no trickle).
 *
 * This module never opens a camera or microphone: the app asks the user (and the
 * browser) for a MediaStream and hands it to `publish`, which is the user's consent.
 */
import { Emitter } from "../core/emitter";
import { SocialSyncError } from "../core/errors";
import type { CameraState, Member, RtcConfig } from "../protocol/types";
import type { MediaParty } from "./party";

export interface CameraOptions {
  /** Receive every other member whose camera is on (default false; the widget turns it on). */
  autoSubscribe?: boolean;
  /** Longest wait for ICE gathering before a description is sent anyway (default 5000 ms). */
  iceGatheringTimeoutMs?: number;
}

export interface PublishOptions {
  audio: boolean;
  video: boolean;
}

/** Why your camera went off: you turned it off, the server did (the host's switch, the
 * stage), you left the party, or the connection failed. */
export type UnpublishReason = "you" | "server" | "left" | "failed";

export type CameraEvents = {
  /** A member's camera went on, changed (mute, tracks) or went off (`camera` null). Also for you. */
  camera: (userId: string, camera: CameraState | null, previous: CameraState | null) => void;
  /** A subscribed publisher's media: its tracks are in `stream` (frames follow shortly). */
  stream: (userId: string, stream: MediaStream) => void;
  /** That stream is over (the camera went off, the member left, unsubscribe, reconnect, failure). */
  streamEnded: (userId: string, reason: string) => void;
  /** Your camera is on, as the server has it. */
  published: (camera: CameraState) => void;
  /** Your camera is off. The SDK does not stop your tracks: the app owns them. */
  unpublished: (reason: UnpublishReason) => void;
  /** Something the SDK did by itself failed (auto-subscribe, re-publish after a reconnect). */
  error: (error: SocialSyncError, userId: string | null) => void;
};

const DEFAULT_ICE_TIMEOUT_MS = 5_000;

class Subscription {
  pc: RTCPeerConnection | null = null;
  readonly stream: MediaStream = new MediaStream();
  started = false;
  closed = false;
  promise!: Promise<MediaStream>;
  constructor(readonly userId: string) {}
}

interface Publication {
  stream: MediaStream;
  audio: boolean;
  video: boolean;
}

/** `party.cameras`: the camera API of one joined party. */
export class PartyCameras extends Emitter<CameraEvents> {
  /** Every member whose camera is on (you included), by user id. */
  readonly cameras = new Map<string, CameraState>();
  private auto: boolean;
  private readonly iceTimeoutMs: number;
  private configPromise: Promise<RtcConfig> | null = null;
  private readonly subs = new Map<string, Subscription>();
  /** Subscribed with `subscribe()` while autoSubscribe is off. */
  private readonly explicit = new Set<string>();
  /** Unsubscribed with `unsubscribe()`: not auto-subscribed again until that camera goes off. */
  private readonly declined = new Set<string>();
  private pub: RTCPeerConnection | null = null;
  /** The publisher connection's video sender and its track (muting takes the track off it). */
  private videoSender: { sender: RTCRtpSender; track: MediaStreamTrack } | null = null;
  private wanted: Publication | null = null;
  private publishing = 0;
  private muted = { audio: false, video: false };
  private closed = false;
  /** The connection dropped: what we publish went with the old session, and comes back
   * with the rejoin (its "camera off" is not the server turning it off). */
  private stale = false;
  /** After `rtc.reset`: what to publish again once the server has announced our camera off. */
  private afterReset: Publication | null = null;
  private readonly offDisconnected: () => void;

  constructor(private readonly party: MediaParty, options: CameraOptions = {}) {
    super();
    // Off unless asked for: a page that shows no camera tiles should not receive video.
    this.auto = options.autoSubscribe ?? false;
    this.iceTimeoutMs = options.iceGatheringTimeoutMs ?? DEFAULT_ICE_TIMEOUT_MS;
    this.offDisconnected = party.client.on("disconnected", () => (this.stale = true));
  }

  // ------------------------------------------------------------------ public API
  get autoSubscribe(): boolean {
    return this.auto;
  }

  set autoSubscribe(on: boolean) {
    this.auto = on;
    if (on) this.reconcile();
  }

  /** Your camera as the server has it, or null when it is off. */
  get mine(): CameraState | null {
    return this.cameras.get(this.me) ?? null;
  }

  /** The stream you publish (the one given to `publish`), while you do. */
  get localStream(): MediaStream | null {
    return this.wanted?.stream ?? null;
  }

  /** The streams you receive now, by publisher. */
  get streams(): Map<string, MediaStream> {
    const out = new Map<string, MediaStream>();
    for (const [id, sub] of this.subs) if (sub.started) out.set(id, sub.stream);
    return out;
  }

  /** The receiving connection of a publisher (for getStats), if subscribed. */
  peerConnection(userId: string): RTCPeerConnection | null {
    return this.subs.get(userId)?.pc ?? null;
  }

  /** Your sending connection (for getStats), while you publish. */
  get publisherConnection(): RTCPeerConnection | null {
    return this.pub;
  }

  /** `rtc.config`: ICE servers and the party's camera limit (asked once per connection). */
  config(): Promise<RtcConfig> {
    if (!this.configPromise) {
      const asked = this.request("rtc.config", {}) as Promise<unknown> as Promise<RtcConfig>;
      this.configPromise = asked;
      asked.catch(() => {
        if (this.configPromise === asked) this.configPromise = null;
      });
    }
    return this.configPromise;
  }

  /**
   * Turn your camera and/or microphone on with tracks of `stream` (the first audio and
   * video track). Call it only from the user's own action: it tells the server the user
   * consented. Replaces what you published before. Resolves to your camera state.
   */
  async publish(stream: MediaStream, options: PublishOptions): Promise<CameraState> {
    const { audio, video } = options;
    if (!audio && !video) throw new SocialSyncError("bad_request", "publish audio, video or both");
    if (audio && !liveTrack(stream, "audio")) throw new SocialSyncError("bad_request", "the stream has no live audio track");
    if (video && !liveTrack(stream, "video")) throw new SocialSyncError("bad_request", "the stream has no live video track");
    requireWebRtc();
    if (this.pub || this.mine) await this.unpublish().catch(() => {});
    this.muted = { audio: false, video: false };
    this.wanted = { stream, audio, video };
    try {
      return await this.openPublisher(this.wanted);
    } catch (err) {
      this.wanted = null;
      throw err;
    }
  }

  /** Turn your camera and microphone off (for everyone). Your tracks keep running: stop them. */
  async unpublish(): Promise<void> {
    const was = this.wanted !== null || this.pub !== null || this.mine !== null;
    this.wanted = null;
    this.closePublisher();
    if (!was) return;
    try {
      if (this.party.client.connected) await this.request("rtc.unpublish", {});
    } finally {
      this.setCamera(this.me, null);
      this.emit("unpublished", "you");
    }
  }

  /**
   * Mute or unmute what you publish (`true`: muted). Your track stops sending at once
   * (`track.enabled`); the others see the new state.
   */
  async mute(changes: { audio?: boolean; video?: boolean }): Promise<CameraState> {
    if (!this.wanted || !this.mine) throw new SocialSyncError("bad_request", "nothing to mute: the camera is off");
    const before = { ...this.muted };
    const payload: Record<string, unknown> = {};
    for (const kind of ["audio", "video"] as const) {
      const value = changes[kind];
      if (value === undefined) continue;
      payload[kind] = value;
      this.muted[kind] = value;
    }
    this.applyMute();
    try {
      const answer = await this.request("rtc.mute", payload);
      this.setCamera(this.me, answer.camera as CameraState);
      return answer.camera as CameraState;
    } catch (err) {
      this.muted = before;
      this.applyMute();
      throw err;
    }
  }

  /** Receive a publisher's camera: resolves once its connection is set up. */
  subscribe(userId: string): Promise<MediaStream> {
    if (userId === this.me) return Promise.reject(new SocialSyncError("bad_request", "you cannot subscribe to yourself"));
    if (!this.auto) this.explicit.add(userId);
    this.declined.delete(userId);
    return this.open(userId);
  }

  /** Stop receiving a publisher (with autoSubscribe, until its camera goes off and on again). */
  async unsubscribe(userId: string): Promise<void> {
    this.explicit.delete(userId);
    if (this.cameras.has(userId)) this.declined.add(userId);
    if (!this.subs.has(userId)) return;
    this.closeSubscription(userId, "unsubscribed");
    if (this.party.client.connected) await this.request("rtc.unsubscribe", { publisher: userId });
  }

  // ------------------------------------------------------------------ from the session
  /** @internal the join answer (also after a reconnect, `rejoin`). */
  joined(members: Member[], rejoin: boolean): void {
    this.closed = false;
    this.stale = false;
    this.afterReset = null; // a rejoin publishes again by itself
    this.configPromise = null; // the connection (and maybe the node) is new
    if (rejoin) {
      // The old session's connections are gone on the server: start again.
      for (const id of [...this.subs.keys()]) this.closeSubscription(id, "reconnect");
      this.closePublisher();
    }
    const present = new Set(members.map((m) => m.id));
    for (const id of [...this.cameras.keys()]) if (!present.has(id)) this.setCamera(id, null, false);
    for (const m of members) this.setCamera(m.id, m.camera ?? null, false);
    if (rejoin && this.wanted) void this.republish(this.wanted);
    this.reconcile();
  }

  /** @internal `rtc.camera`. */
  cameraEvent(userId: string, camera: CameraState | null): void {
    this.setCamera(userId, camera);
  }

  /**
   * @internal `rtc.reset`: the node relaying the party's cameras is gone. Every connection
   * to it is dead: close them. The cameras of `users` go off next; ours is published
   * again (to a live node) once its "off" has arrived, so the reset cannot turn it off.
   */
  reset(users: string[]): void {
    for (const id of [...this.subs.keys()]) this.closeSubscription(id, "reset");
    const wanted = this.wanted;
    this.closePublisher();
    for (const id of users) if (id !== this.me) this.setCamera(id, null, false);
    if (!wanted) return;
    if (users.includes(this.me) && this.mine) this.afterReset = wanted;
    else void this.republish(wanted);
  }

  /** @internal `member.joined` / `member.updated`. */
  memberChanged(member: Member): void {
    if (member.camera !== undefined) this.setCamera(member.id, member.camera);
  }

  /** @internal `member.left`. */
  memberLeft(userId: string): void {
    this.setCamera(userId, null);
  }

  /** @internal the party is over for you (left, ended, removed): close everything. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offDisconnected();
    for (const id of [...this.subs.keys()]) this.closeSubscription(id, "left");
    const was = this.wanted !== null || this.pub !== null;
    this.wanted = null;
    this.closePublisher();
    for (const id of [...this.cameras.keys()]) this.setCamera(id, null, false);
    if (was) this.emit("unpublished", "left");
  }

  // ------------------------------------------------------------------ internals
  private get me(): string {
    return this.party.you?.id ?? "";
  }

  private request(event: string, payload: Record<string, unknown>): Promise<Record<string, any>> {
    return this.party.client.request(event, { party: this.party.id, ...payload });
  }

  private setCamera(userId: string, camera: CameraState | null, reconcile = true): void {
    const previous = this.cameras.get(userId) ?? null;
    if (sameCamera(previous, camera)) return;
    if (camera) this.cameras.set(userId, camera);
    else {
      this.cameras.delete(userId);
      this.declined.delete(userId);
      this.explicit.delete(userId);
    }
    if (userId === this.me) {
      if (!camera && this.afterReset) {
        const again = this.afterReset;
        this.afterReset = null;
        this.emit("camera", userId, camera, previous);
        if (this.wanted === again) void this.republish(again);
        return;
      }
      // Off by the server's decision (the host's switch, the stage, another session),
      // unless it is the echo of our own unpublish-then-publish.
      if (!camera && this.wanted && this.pub && this.publishing === 0 && !this.stale) {
        this.wanted = null;
        this.closePublisher();
        this.emit("camera", userId, camera, previous);
        this.emit("unpublished", "server");
        return;
      }
    } else if (this.subs.has(userId) && (!camera || (previous && (previous.audio !== camera.audio || previous.video !== camera.video)))) {
      // Off, or published again with other tracks: a new connection either way.
      this.closeSubscription(userId, camera ? "changed" : "off");
    }
    this.emit("camera", userId, camera, previous);
    if (reconcile) this.reconcile();
  }

  private reconcile(): void {
    if (this.closed || !this.party.client.connected || !hasWebRtc()) return;
    for (const id of this.cameras.keys()) {
      if (id === this.me || this.subs.has(id)) continue;
      const wanted = this.explicit.has(id) || (this.auto && !this.declined.has(id));
      if (wanted) this.open(id).catch(() => {}); // reported through "error" by open()
    }
  }

  private open(userId: string): Promise<MediaStream> {
    const existing = this.subs.get(userId);
    if (existing && !existing.closed) return existing.promise;
    const sub = new Subscription(userId);
    this.subs.set(userId, sub);
    sub.promise = this.connectSubscription(sub).catch((err: unknown) => {
      const error = asError(err);
      if (this.subs.get(userId) === sub) this.closeSubscription(userId, "failed");
      // A camera that went off meanwhile is no news.
      if (this.cameras.has(userId) && !sub.closed) this.emit("error", error, userId);
      throw error;
    });
    return sub.promise;
  }

  private async connectSubscription(sub: Subscription): Promise<MediaStream> {
    requireWebRtc();
    const config = await this.config();
    const offer = await this.request("rtc.subscribe", { publisher: sub.userId });
    this.checkOpen(sub);
    const pc = new RTCPeerConnection({ iceServers: config.ice_servers });
    sub.pc = pc;
    pc.addEventListener("track", (event) => {
      if (!sub.stream.getTracks().includes(event.track)) sub.stream.addTrack(event.track);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed" && this.subs.get(sub.userId) === sub) {
        this.closeSubscription(sub.userId, "failed");
        this.emit("error", new SocialSyncError("unavailable", `the connection to ${sub.userId}'s camera failed`), sub.userId);
      }
    });
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp as string });
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGathered(pc, this.iceTimeoutMs);
    this.checkOpen(sub);
    await this.request("rtc.answer", { publisher: sub.userId, sdp: pc.localDescription?.sdp ?? "" });
    this.checkOpen(sub);
    sub.started = true;
    this.emit("stream", sub.userId, sub.stream);
    return sub.stream;
  }

  private checkOpen(sub: Subscription): void {
    if (sub.closed) throw new SocialSyncError("not_found", `${sub.userId}'s camera is not on any more`);
  }

  private closeSubscription(userId: string, reason: string): void {
    const sub = this.subs.get(userId);
    if (!sub) return;
    this.subs.delete(userId);
    sub.closed = true;
    sub.pc?.close();
    for (const track of sub.stream.getTracks()) track.stop();
    if (sub.started) this.emit("streamEnded", userId, reason);
  }

  private async openPublisher(wanted: Publication): Promise<CameraState> {
    this.publishing += 1;
    let pc: RTCPeerConnection | null = null;
    try {
      const config = await this.config();
      if (this.wanted !== wanted) throw aborted();
      pc = new RTCPeerConnection({ iceServers: config.ice_servers });
      this.pub = pc;
      for (const kind of ["audio", "video"] as const) {
        if (!wanted[kind]) continue;
        const track = liveTrack(wanted.stream, kind)!;
        track.enabled = !this.muted[kind];
        const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [wanted.stream] });
        if (kind === "video") {
          this.videoSender = { sender: transceiver.sender, track };
          if (this.muted.video) void transceiver.sender.replaceTrack(null).catch(() => {});
        }
      }
      const sender = pc;
      pc.addEventListener("connectionstatechange", () => {
        if (sender.connectionState !== "failed" || this.pub !== sender) return;
        this.wanted = null;
        this.closePublisher();
        void this.request("rtc.unpublish", {}).catch(() => {});
        this.emit("error", new SocialSyncError("unavailable", "the connection carrying your camera failed"), null);
        this.emit("unpublished", "failed");
      });
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc, this.iceTimeoutMs);
      if (this.pub !== pc) throw aborted();
      const answer = await this.request("rtc.publish", {
        sdp: pc.localDescription?.sdp ?? "", audio: wanted.audio, video: wanted.video, consent: true,
      });
      if (this.pub !== pc) throw aborted();
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp as string });
      let camera = answer.camera as CameraState;
      const mute: Record<string, boolean> = {};
      if (wanted.audio && this.muted.audio) mute.audio = true;
      if (wanted.video && this.muted.video) mute.video = true;
      if (Object.keys(mute).length) camera = (await this.request("rtc.mute", mute)).camera as CameraState;
      this.setCamera(this.me, camera);
      this.emit("published", camera);
      return camera;
    } catch (err) {
      if (pc && this.pub === pc) this.closePublisher();
      throw asError(err);
    } finally {
      this.publishing -= 1;
    }
  }

  private async republish(wanted: Publication): Promise<void> {
    const kinds = (["audio", "video"] as const).filter((k) => wanted[k]);
    if (this.party.info.settings.cameras === false) {
      // The host turned cameras off while we were away.
      this.wanted = null;
      this.emit("unpublished", "server");
      return;
    }
    if (kinds.some((k) => !liveTrack(wanted.stream, k))) {
      this.wanted = null;
      this.emit("unpublished", "failed");
      return;
    }
    try {
      await this.openPublisher(wanted);
    } catch (err) {
      if (this.wanted !== wanted) return;
      this.wanted = null;
      this.emit("error", asError(err), null);
      this.emit("unpublished", "failed");
    }
  }

  private closePublisher(): void {
    const pc = this.pub;
    this.pub = null;
    this.videoSender = null;
    pc?.close();
  }

  private applyMute(): void {
    const stream = this.wanted?.stream;
    if (!stream) return;
    for (const track of stream.getAudioTracks()) track.enabled = !this.muted.audio;
    for (const track of stream.getVideoTracks()) track.enabled = !this.muted.video;
    // A disabled video track still sends black frames at full rate, which drags the
    // sender's bandwidth estimate down to its floor: after an unmute the video would
    // crawl at a few frames a second for ~10 s. Sending nothing keeps the estimate.
    const video = this.videoSender;
    if (video) void video.sender.replaceTrack(this.muted.video ? null : video.track).catch(() => {});
  }
}

function sameCamera(a: CameraState | null, b: CameraState | null): boolean {
  if (!a || !b) return a === b;
  return a.audio === b.audio && a.video === b.video && a.audio_muted === b.audio_muted && a.video_muted === b.video_muted;
}

function liveTrack(stream: MediaStream, kind: "audio" | "video"): MediaStreamTrack | undefined {
  return stream.getTracks().find((t) => t.kind === kind && t.readyState === "live");
}

function hasWebRtc(): boolean {
  return typeof RTCPeerConnection !== "undefined" && typeof MediaStream !== "undefined";
}

function requireWebRtc(): void {
  if (!hasWebRtc()) throw new SocialSyncError("unavailable", "WebRTC is not available in this browser");
}

function aborted(): SocialSyncError {
  return new SocialSyncError("conflict", "the camera was turned off while it was being turned on");
}

function asError(err: unknown): SocialSyncError {
  if (err instanceof SocialSyncError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new SocialSyncError("internal", `WebRTC: ${message}`);
}

/** Resolves when ICE gathering is complete (or after `timeoutMs`, with what was gathered). */
export function iceGathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", onState);
      pc.removeEventListener("icecandidate", onCandidate);
      resolve();
    };
    const onState = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const onCandidate = (event: RTCPeerConnectionIceEvent) => {
      if (!event.candidate) done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", onState);
    pc.addEventListener("icecandidate", onCandidate);
  });
}
