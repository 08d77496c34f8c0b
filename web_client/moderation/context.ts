import type { SocialSync } from "../src/index";

export type Answer = Record<string, any>;

export interface ActOptions {
  /** Send the reason field's text along (actions that the audit log explains). */
  reason?: boolean;
  /** Disabled while the request is under way. */
  button?: HTMLButtonElement | null;
  /** The success message, from the answer. */
  done?: (answer: Answer) => string;
}

/** What the panes of the watched room share: the room, the client, and how to act. */
export interface RoomContext {
  readonly party: string;
  readonly client: SocialSync;
  /** Send `event` for this room; show success or the error; the answer, or null if refused. */
  act(what: string, event: string, payload: Record<string, unknown>, options?: ActOptions): Promise<Answer | null>;
  /** A server timestamp as this browser's clock reads it. */
  localTime(serverMs: number): number;
  /** A user's name as this room knows it (members, messages, reports), or null. */
  nameOf(userId: string): string | null;
}
