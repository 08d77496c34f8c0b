/**
 * Reaction clips (protocol section 16): record a short clip of your camera while you
 * watch, list the party's clips, delete yours, report others', and follow clips as
 * they come and go.
 *
 * The server records what your camera already sends (it must be on: `party.cameras`),
 * so `start()` opens no device. Call it only from the user's own action: it tells the
 * server the user consents to the clip being recorded and kept.
 */
import { Emitter } from "../core/emitter";
import type { ClipEndReason, ClipInfo, ClipRecording } from "../protocol/types";
import type { MediaParty } from "./party";

export type ClipEvents = {
  /** A clip you may see was stored (or approved by a moderator). */
  added: (clip: ClipInfo) => void;
  /** A clip was deleted (by its author or a moderator), rejected in review, or taken
   * down by members' reports (`reported`: its author gets it back as `held`). */
  removed: (id: string, reason: string) => void;
  /** Your recording started (a ClipRecording) or is over (null). */
  recording: (recording: ClipRecording | null) => void;
  /** Your recording is over: the clip kept, or null with the reason nothing was. */
  ended: (clip: ClipInfo | null, reason: ClipEndReason) => void;
  /** The list changed (any of the above, or a refresh). */
  changed: (clips: ClipInfo[]) => void;
};

/** Fetch the list again when its links expire within this long. */
const URL_MARGIN_MS = 60_000;

/** `party.clips`: the reaction clips of one joined party. */
export class PartyClips extends Emitter<ClipEvents> {
  /** The party's clips you may see, by id. */
  readonly clips = new Map<string, ClipInfo>();
  /** Your recording under way, if any. */
  recording: ClipRecording | null = null;
  private readonly off: Array<() => void> = [];

  constructor(private readonly party: MediaParty) {
    super();
    this.off.push(party.client.onServerEvent((name, data) => {
      if (data?.party === party.id) this.handle(name, data);
    }));
    this.off.push(party.on("joined", () => void this.refresh().catch(() => {})));
    this.off.push(party.on("ended", () => this.close()));
  }

  /** The clips in media order; of one media (URL) only if given. */
  list(mediaUrl?: string): ClipInfo[] {
    return [...this.clips.values()]
      .filter((c) => mediaUrl === undefined || c.media_url === mediaUrl)
      .sort((a, b) => a.media_time - b.media_time || a.created_at - b.created_at);
  }

  /** Start recording your camera (on, with video). Only from the user's own action. */
  async start(): Promise<ClipRecording> {
    const answer = await this.request("clip.start", { consent: true });
    this.recording = answer.recording as ClipRecording;
    this.emit("recording", this.recording);
    return this.recording;
  }

  /** Stop your recording; resolves to the stored clip. */
  async stop(): Promise<ClipInfo> {
    try {
      const clip = (await this.request("clip.stop", {})).clip as ClipInfo;
      this.take(clip);
      return clip;
    } finally {
      this.setRecording(null);
    }
  }

  /** Delete a clip: yours, or any as a moderator or the party's host. */
  async delete(id: string, reason?: string): Promise<void> {
    await this.request("clip.delete", reason ? { id, reason } : { id });
    this.drop(id, "deleted");
  }

  /** Report another member's clip to the moderators (reason: 1..200 characters);
   * enough reports hold it for review. Reporting one twice counts once. */
  async report(id: string, reason: string): Promise<void> {
    await this.request("clip.report", { id, reason });
  }

  /** Fetch the party's clips (also done after every join). */
  async refresh(): Promise<ClipInfo[]> {
    const clips = (await this.request("clip.list", {})).clips as ClipInfo[];
    this.clips.clear();
    for (const clip of clips) this.clips.set(clip.id, clip);
    this.emit("changed", this.list());
    return this.list();
  }

  /** A clip with a link that works for a while yet (the list is fetched again if not). */
  async fresh(id: string): Promise<ClipInfo | null> {
    const clip = this.clips.get(id);
    if (clip && clip.url_expires - this.party.serverNow() > URL_MARGIN_MS) return clip;
    await this.refresh();
    return this.clips.get(id) ?? null;
  }

  /** @internal the party is over, or left. */
  close(): void {
    for (const fn of this.off.splice(0)) fn();
    this.setRecording(null);
  }

  private request(event: string, payload: Record<string, unknown>): Promise<Record<string, any>> {
    return this.party.client.request(event, { party: this.party.id, ...payload });
  }

  private handle(name: string, data: any): void {
    switch (name) {
      case "clip.added":
        this.take(data.clip);
        break;
      case "clip.removed":
        this.drop(data.id, data.reason);
        break;
      case "clip.ended":
        if (data.clip) this.take(data.clip);
        if (!this.recording || this.recording.id === data.id) this.setRecording(null);
        this.emit("ended", data.clip ?? null, data.reason);
        break;
    }
  }

  private take(clip: ClipInfo): void {
    const known = this.clips.has(clip.id);
    this.clips.set(clip.id, clip);
    if (!known) this.emit("added", clip);
    this.emit("changed", this.list());
  }

  private drop(id: string, reason: string): void {
    if (!this.clips.delete(id)) return;
    this.emit("removed", id, reason);
    this.emit("changed", this.list());
  }

  private setRecording(recording: ClipRecording | null): void {
    if (this.recording === recording) return;
    this.recording = recording;
    this.emit("recording", recording);
  }
}
