/** Wire types: the shapes of docs/protocol.md. Times are server epoch ms; positions are seconds. */

export type ErrorCode =
  | "bad_request" | "unauthorized" | "forbidden" | "not_found" | "conflict"
  | "rate_limited" | "moderated" | "too_large" | "unavailable" | "internal";

export interface Media {
  url: string;
  kind: "vod" | "live";
  title?: string;
  duration?: number;
}

export interface PartySettings {
  type: "watch_party" | "live_room";
  control: "everyone" | "hosts";
  wait_for_buffering: boolean;
  max_members: number;
  /** `false`: the host has turned cameras off (none may be on, none may start). */
  cameras?: boolean;
}

export interface PartyInfo {
  id: string;
  title: string;
  created_at: number;
  created_by: string;
  host: string | null;
  media: Media;
  settings: PartySettings;
  member_count: number;
  invite_url?: string;
}

export interface PlaybackState {
  party: string;
  seq: number;
  status: "playing" | "paused" | "waiting";
  position: number;
  rate: number;
  at: number;
  media: Media;
  by: string | null;
}

export interface Member {
  id: string;
  name: string;
  role: "host" | "cohost" | "member";
  buffering: boolean;
  in_sync: boolean;
  connected: boolean;
  /** What the member publishes while its camera or microphone is on (protocol 15), else null. */
  camera?: CameraState | null;
  /** Live rooms: put on stage, so it may publish. */
  on_stage?: boolean;
}

/** A member's camera and microphone: what it sends, and what it has muted. */
export interface CameraState {
  audio: boolean;
  video: boolean;
  audio_muted: boolean;
  video_muted: boolean;
}

/** `rtc.config`: the ICE servers for every peer connection of the party. */
export interface RtcConfig {
  ice_servers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  max_cameras: number;
}

export interface ChatMessage {
  party: string;
  id: number;
  user: { id: string; name: string };
  text: string;
  ts: number;
  nonce: string;
  media_time?: number;
  reply_to?: number;
}

export interface SessionUser {
  id: string;
  name: string;
  roles: string[];
  guest: boolean;
  tenant: string;
}

export interface ChatRules {
  slow_mode_s: number;
  members_only: boolean;
  emote_only: boolean;
  locked: boolean;
  links: boolean;
  link_domains: string[];
  blocked_terms: string[];
  allowed_terms: string[];
}

export interface JoinAnswer {
  party: PartyInfo;
  you: Member;
  members: Member[];
  playback: PlaybackState;
  messages: ChatMessage[];
  has_more: boolean;
  server_time: number;
  rules?: ChatRules;
}

export interface ReactionBurst {
  party: string;
  counts: Record<string, number>;
  window_ms: number;
}

export type Auth = { token: string } | { guest: string; tenant?: string };
