/**
 * What the party's media features (`party.cameras`, `party.clips`) need from the party
 * they belong to. `PartySession` (party/) implements it; the features depend on this
 * interface only, so that they and the session do not import each other.
 */
import type { Answer } from "../core/transport";
import type { Member, PartyInfo } from "../protocol/types";

/** The connection the party is joined over. */
export interface MediaConnection {
  readonly connected: boolean;
  /** Send an event and wait for its answer; rejects with SocialSyncError when not ok. */
  request(event: string, payload: unknown): Promise<Answer>;
  on(event: "disconnected", fn: () => void): () => void;
  /** Every event the server sends. */
  onServerEvent(fn: (name: string, data: any) => void): () => void;
}

/** A joined party, as its cameras and clips see it. */
export interface MediaParty {
  readonly id: string;
  readonly client: MediaConnection;
  /** You as a member (set by the join). */
  readonly you: Member;
  readonly info: PartyInfo;
  /** Server epoch ms now, as estimated. */
  serverNow(): number;
  /** `joined`: every (re)join; `ended`: the party is over for you. */
  on(event: "joined" | "ended", fn: () => void): () => void;
}
