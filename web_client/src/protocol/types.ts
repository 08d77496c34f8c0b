/**
 * The wire's types as the SDK names them: the shapes of docs/protocol.md, generated
 * from the server's schemas into ./types.generated.ts (`npm run gen-types`), and the
 * few that are not server schemas. Times are server epoch ms; positions are seconds.
 */
export type {
  CameraState, ChatMessage, ChatRules, ClipEndReason, ClipInfo, ClipRecording, ErrorCode, JoinAnswer, Media,
  Member, PartyInfo, PartySettings, PlaybackState, ReactionBurst, RefusalReason, RtcConfig, SessionUser,
} from "./types.generated";
export type { PollCurrent, PollInfo, PollResults } from "./types.generated";
export type { KeyMoment, MomentsAnswer, WatchingAnswer } from "./types.generated";
export type { Badge, FeedbackPrompt } from "./types.generated";

/** The Socket.IO connect payload (protocol 2.1): a tenant's token, or a guest's name. */
export type Auth = { token: string } | { guest: string; tenant?: string };
