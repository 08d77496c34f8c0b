/** The SDK's public entry: everything an app, the widget or the moderation panel uses. */
export { SocialSync, PartySession } from "./party/client";
export type { ConnectOptions, HeldMessage, JoinOptions, PollChange } from "./party/client";
export type { ConnectionState } from "./core/reconnect";
export { PartyCameras, iceGathered } from "./media/cameras";
export type { CameraEvents, CameraOptions, PublishOptions, UnpublishReason } from "./media/cameras";
export { PartyClips } from "./media/clips";
export type { ClipEvents } from "./media/clips";
export { CLIP_DRIFT_S, activeClip, clipAction, clipTimeAt } from "./media/clipsync";
export type { ClipAction, ClipTiming, ContentNow } from "./media/clipsync";
export { SyncEngine } from "./core/sync";
export type { StatusExtra, SyncOptions, SyncStats } from "./core/sync";
export { PartyTimeline } from "./core/timeline";
export { MediaElementPlayer } from "./core/player";
export type { PlayerAdapter, PlayerEvent, MediaElementOptions } from "./core/player";
export { ClockSync } from "./core/clock";
export { positionAt } from "./core/playback";
export { SocialSyncError } from "./core/errors";
export type * from "./protocol/types";
