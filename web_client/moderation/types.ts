/** The shapes of docs/moderation.md, as the panel reads them. Times are server epoch ms. */
import type { ChatMessage, ChatRules, ClipInfo, PartyInfo } from "../src/index";

export type { ChatRules };

export interface UserRef {
  id: string;
  name: string;
}

/** A room's review counts in `mod.rooms`: messages held and reported (still up), and,
 * where the server records clips, reaction clips held and reported (still visible). */
export interface RoomCounts {
  held?: number;
  reports?: number;
  held_clips?: number;
  clip_reports?: number;
}

/** A room in `mod.rooms`: PartyInfo with its review counts. */
export type RoomInfo = PartyInfo & RoomCounts;

/** Every chat message of a watched room as delivered (`verdict` "allow", "mask" or "approved";
 * `original`: what the author wrote when the filter masked it). */
export type ModMessage = ChatMessage & { verdict?: string; hidden?: boolean; reasons?: string[]; original?: string };

export interface Held {
  party: string;
  id: number | string;
  user: UserRef;
  text: string;
  ts: number;
  reasons?: string[];
  source?: "filter" | "reports" | string;
  /** The chat message taken down, when reports held it (null for filter holds). */
  message?: number | null;
}

export interface Report {
  party: string;
  message: number | string;
  reporter: UserRef;
  reason: string;
  ts: number;
  count?: number;
}

/** A Clip as moderators get it (`mod.watch`, `mod.clip`): with its number of distinct reporters. */
export type ModClip = ClipInfo & { reports?: number };

/** A member's report of a clip; the live `mod.clip_report` event adds `count`. */
export interface ClipReport {
  party: string;
  clip: string;
  reporter: UserRef;
  reason: string;
  ts: number;
  count?: number;
}

export interface AuditEntry {
  id: number | string;
  party?: string | null;
  actor: UserRef;
  action: string;
  target_user?: string | UserRef | null;
  target_message?: number | string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
  ts: number;
}

export interface WatchAnswer {
  party: PartyInfo;
  rules: ChatRules;
  messages: ModMessage[];
  held: Held[];
  reports: Report[];
  members: unknown[];
  /** The room's reaction clips, held ones included (protocol 16), and their newest reports. */
  clips?: ModClip[];
  clip_reports?: ClipReport[];
}
