import { ClockSync, localNow } from "../core/clock";
import { Emitter } from "../core/emitter";
import { SocialSyncError } from "../core/errors";
import { positionAt } from "../core/playback";
import type { PlayerAdapter } from "../core/player";
import { Backoff, ReconnectMachine, Urls, retrying, type ConnectionState } from "../core/reconnect";
import { SyncEngine, type StatusExtra, type SyncOptions, type SyncParty } from "../core/sync";
import { Transport } from "../core/transport";
import { PartyCameras, type CameraOptions } from "../media/cameras";
import { PartyClips } from "../media/clips";
import type { MediaParty } from "../media/party";
import type {
  Auth, ChatMessage, ChatRules, JoinAnswer, Media, Member, PartyInfo, PartySettings, PlaybackState,
  PollCurrent, PollInfo, PollResults, ReactionBurst, SessionUser,
} from "../protocol/types";

/** Clock: a burst at connect, then one ping every ~10 s keeps the estimate fresh. The
 * burst does not hold the join up: its first CLOCK_FIRST samples go at once, beside the
 * join (whose answer is a sample too), the rest refine the estimate one by one. */
const CLOCK_BURST = 8;
const CLOCK_FIRST = 3;
const CLOCK_FIRST_GAP_MS = 40;
const CLOCK_REFINE_GAP_MS = 500;
const CLOCK_INTERVAL_MS = 10_000;

export interface ConnectOptions {
  /** One URL, or several nodes to try in turn on reconnect. */
  url: string | string[];
  auth: Auth;
  timeoutMs?: number;
  /** How long chat sends and joins are retried (same nonce) across disconnects,
   * `unavailable` and the client's own rejoin; default 30 000 ms. */
  retryForMs?: number;
}

/** A chat message held for a moderator's review (not shown to the others yet). */
export interface HeldMessage {
  held: true;
  party: string;
  nonce: string;
  text: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What changed a party's poll (the `poll` event): it opened, counts came, it locked or
 * ended, you voted, or it was read (after a join). */
export type PollChange = "opened" | "results" | "locked" | "ended" | "voted" | "current";
const POLL_STAGE: Record<PollInfo["status"], number> = { open: 0, locked: 1, ended: 2 };

export interface JoinOptions {
  /** The party's camera API (`party.cameras`), e.g. `{autoSubscribe: false}`. */
  cameras?: CameraOptions;
}

type ClientEvents = {
  /** Every change of the connection's state machine (protocol 2.5). */
  state: (state: ConnectionState, previous: ConnectionState) => void;
  /** A party the client could not rejoin (ended, or this user may not come back). */
  partyLost: (partyId: string, error: unknown) => void;
  connected: (again: boolean) => void;
  disconnected: (reason: string) => void;
  reconnected: () => void;
  error: (error: unknown) => void;
};

/** A connection to SocialSync. Create with `SocialSync.connect(...)`. */
export class SocialSync extends Emitter<ClientEvents> {
  readonly clock = new ClockSync();
  user: SessionUser | null = null;
  private readonly transport: Transport;
  private readonly machine: ReconnectMachine;
  private readonly retryForMs: number;
  private readonly parties = new Map<string, PartySession>();
  private clockTimer: ReturnType<typeof setInterval> | null = null;
  private readonly serverListeners = new Set<(name: string, data: any) => void>();
  private sessionWaiter: (() => void) | null = null;
  /** False from a new socket until its clock samples are started. */
  private clockFresh = true;
  /** Settles once the first clock samples of this connection are in. */
  private clockStarted: Promise<void> = Promise.resolve();

  private constructor(options: ConnectOptions) {
    super();
    const urls = Array.isArray(options.url) ? options.url : [options.url];
    this.retryForMs = options.retryForMs ?? 30_000;
    this.transport = new Transport(options.auth, {
      event: (name, data) => this.onEvent(name, data),
      connected: (again) => {
        this.clockFresh = false;
        this.emit("connected", again);
      },
      disconnected: (reason) => {
        this.emit("disconnected", reason);
        this.machine.lost();
      },
    }, options.timeoutMs);
    this.machine = new ReconnectMachine({
      open: (url) => this.transport.connect(url),
      isOpen: () => this.transport.connected,
      rejoin: () => this.rejoin(),
      sleep,
      onState: (state, previous) => this.emit("state", state, previous),
      onOpenFailed: (err) => {
        // An expired guest token: come back as a new guest of the same name.
        if (err instanceof SocialSyncError && err.code === "unauthorized") this.transport.fallBack();
      },
      onRecovered: () => this.emit("reconnected"),
    }, new Urls(urls), new Backoff(250, 5000));
  }

  /** Where the connection stands: disconnected → connecting → joining → joined (or closed). */
  get state(): ConnectionState {
    return this.machine.state;
  }

  static async connect(options: ConnectOptions): Promise<SocialSync> {
    const client = new SocialSync(options);
    const session = new Promise<void>((resolve) => (client.sessionWaiter = resolve));
    await client.machine.connect();
    await session;
    client.clockStarted = client.startClock();
    client.clockFresh = true;
    client.clockTimer = setInterval(() => void client.syncClock(1).catch(() => {}), CLOCK_INTERVAL_MS);
    return client;
  }

  /** The first samples at once (in parallel), the rest of the burst in the background.
   * Resolves when the first ones are in; never rejects (a lost sample is replaced). */
  private startClock(): Promise<void> {
    // A few ms apart rather than all at once: a moment of queueing at the server (a page
    // loading, a join) then skews one sample, not all of them.
    const first = Promise.allSettled(Array.from({ length: CLOCK_FIRST }, (_, i) =>
      new Promise((r) => setTimeout(r, i * CLOCK_FIRST_GAP_MS)).then(() => this.sample())));
    void first.then(async () => {
      for (let i = CLOCK_FIRST; i < CLOCK_BURST && this.transport.connected; i++) {
        await new Promise((r) => setTimeout(r, CLOCK_REFINE_GAP_MS));
        await this.sample().catch(() => {});
      }
    });
    return first.then(() => {});
  }

  private async sample(): Promise<void> {
    const t0 = localNow();
    const answer = await this.transport.request("time.sync", { t0 });
    this.clock.add(t0, answer.t1, answer.t2, localNow());
  }

  /** @internal A request whose answer carries `server_time`, taken as a clock sample as
   * well (its error bound is half its round trip, like any other); the first clock
   * samples, sent at connect, are awaited beside it, not before it. */
  async timedRequest(event: string, payload: unknown): Promise<Record<string, any>> {
    const t0 = localNow();
    const [answer] = await Promise.all([this.transport.request(event, payload), this.clockStarted]);
    if (typeof answer.server_time === "number") this.clock.add(t0, answer.server_time, answer.server_time, localNow());
    return answer;
  }

  get connected(): boolean {
    return this.transport.connected;
  }

  /** Server epoch ms now, as far as this client can tell. */
  serverNow(): number {
    return this.clock.serverNow();
  }

  request(event: string, payload: unknown): Promise<Record<string, any>> {
    return this.transport.request(event, payload);
  }

  /** @internal `attempt` again (the same payload) across disconnects, `unavailable` and
   * "join the party first" during the client's own rejoin, for `retryForMs`. */
  retrying<T>(partyId: string, attempt: () => Promise<T>): Promise<T> {
    return retrying(attempt, this.retryForMs, {
      now: () => Date.now(), sleep, machine: this.machine,
      partyJoined: () => this.parties.get(partyId)?.isJoined ?? false,
    });
  }

  async syncClock(samples: number): Promise<void> {
    for (let i = 0; i < samples; i++) await this.sample();
  }

  async createParty(title: string, media: Media, settings: Partial<PartySettings> = {}): Promise<PartyInfo> {
    return (await this.request("party.create", { title, media, settings })).party;
  }

  /** Join a party: its state, members and the last 50 messages come with the session. */
  async join(partyId: string, options: JoinOptions = {}): Promise<PartySession> {
    const existing = this.parties.get(partyId);
    if (existing) return existing;
    const session = new PartySession(this, partyId, options);
    this.parties.set(partyId, session);
    try {
      await this.retrying(partyId, () => session.join());
    } catch (err) {
      this.parties.delete(partyId);
      throw err;
    }
    return session;
  }

  /** @internal */
  forget(partyId: string): void {
    this.parties.delete(partyId);
  }

  /** Every event the server sends (for tools like the moderation panel). */
  onServerEvent(fn: (name: string, data: any) => void): () => void {
    this.serverListeners.add(fn);
    return () => this.serverListeners.delete(fn);
  }

  close(): void {
    if (this.clockTimer) clearInterval(this.clockTimer);
    for (const party of this.parties.values()) party.detach();
    this.machine.close();
    this.transport.close();
  }

  private onEvent(name: string, data: any): void {
    for (const fn of this.serverListeners) {
      try {
        fn(name, data);
      } catch (err) {
        console.error("socialsync: a server event listener failed", err);
      }
    }
    if (name === "session") {
      this.user = data.user;
      // A guest comes back as the same guest after a reconnect.
      if (data.token) this.transport.setAuth({ token: data.token });
      this.sessionWaiter?.();
      this.sessionWaiter = null;
      return;
    }
    const partyId = data?.party;
    const party = typeof partyId === "string" ? this.parties.get(partyId) : undefined;
    party?.handle(name, data);
  }

  /** The state machine's `joining` step on a new socket (or after the server forgot
   * this socket's membership): every party joined before, from its last message.
   * A party answered `not_found` or `forbidden` is dropped (`partyLost`); any other
   * failure rejects, and the machine tries again after its backoff. */
  private async rejoin(): Promise<void> {
    if (!this.clockFresh) {
      this.clock.reset();
      this.clockStarted = this.startClock();
      this.clockFresh = true;
    }
    for (const party of [...this.parties.values()]) {
      if (!party.isJoined) continue; // a first join under way retries by itself
      try {
        await party.join();
      } catch (err) {
        if (err instanceof SocialSyncError && (err.code === "not_found" || err.code === "forbidden")) {
          party.lost(err);
          this.emit("partyLost", party.id, err);
          continue;
        }
        throw err;
      }
    }
  }
}

type PartyEvents = {
  playback: (state: PlaybackState) => void;
  members: (members: Member[]) => void;
  message: (message: ChatMessage) => void;
  deleted: (id: number) => void;
  restored: (message: ChatMessage) => void;
  reaction: (burst: ReactionBurst) => void;
  party: (info: PartyInfo) => void;
  ended: (reason: string) => void;
  joined: (answer: JoinAnswer) => void;
  rules: (rules: ChatRules) => void;
  /** The party's poll or prediction changed (protocol 17); `poll` is also `party.poll`. */
  poll: (poll: PollInfo, change: PollChange) => void;
};

/** Your membership of one party: its state, members, chat and controls. */
export class PartySession extends Emitter<PartyEvents> implements MediaParty, SyncParty {
  info!: PartyInfo;
  playback!: PlaybackState;
  you!: Member;
  readonly members = new Map<string, Member>();
  readonly messages: ChatMessage[] = [];
  lastMessageId = 0;
  engine: SyncEngine | null = null;
  /** The room's chat rules (slow mode, modes, terms), when the server has said. */
  rules: ChatRules | null = null;
  /** Cameras and microphones of the party's members (protocol 15). */
  readonly cameras: PartyCameras;
  /** Reaction clips of the party (protocol 16). */
  readonly clips: PartyClips;
  /** The party's current poll or prediction with its counts (protocol 17), once known. */
  poll: PollInfo | null = null;
  /** Your vote in `poll` (an index of its choices), or null. */
  myVote: number | null = null;
  private joining: ChatMessage[] | null = null;
  private hasJoined = false;
  private waitsForMe = true;

  constructor(readonly client: SocialSync, readonly id: string, options: JoinOptions = {}) {
    super();
    this.cameras = new PartyCameras(this, options.cameras);
    this.clips = new PartyClips(this);
  }

  /** @internal Joined at least once (a reconnect rejoins it). */
  get isJoined(): boolean {
    return this.hasJoined;
  }

  /** @internal The client could not rejoin it (ended, or removed). */
  lost(error: SocialSyncError): void {
    this.detach();
    this.cameras.close();
    this.clips.close();
    this.client.forget(this.id);
    this.emit("ended", error.code === "not_found" ? "ended" : "removed");
  }

  /** @internal (re)join; after a reconnect it resumes from the last message seen. */
  async join(): Promise<JoinAnswer> {
    // Live messages arriving while the join is under way wait here and are merged
    // with the history by id: nothing lost, nothing twice.
    this.joining = [];
    const payload: Record<string, unknown> = { party: this.id };
    if (this.hasJoined) payload.since = this.lastMessageId;
    let answer: JoinAnswer;
    try {
      answer = (await this.client.timedRequest("party.join", payload)) as unknown as JoinAnswer;
    } catch (err) {
      this.joining = null;
      throw err;
    }
    this.hasJoined = true;
    this.info = answer.party;
    this.you = answer.you;
    if (answer.rules) this.rules = answer.rules;
    this.members.clear();
    for (const m of answer.members) this.members.set(m.id, m);
    let messages = answer.messages;
    // A resume after a long absence comes in pages: fetch the rest before taking the
    // live messages that waited, so the order stays whole.
    let more = payload.since !== undefined && answer.has_more;
    while (more && messages.length) {
      const page = (await this.client.request("chat.history", {
        party: this.id, after: messages[messages.length - 1].id, limit: 100,
      })).messages as ChatMessage[];
      messages = messages.concat(page);
      more = page.length === 100;
    }
    const pending = this.joining ?? [];
    this.joining = null;
    for (const m of [...messages, ...pending].sort((a, b) => a.id - b.id)) this.takeMessage(m);
    this.applyPlayback(answer.playback, true);
    this.emit("members", this.memberList());
    this.cameras.joined(answer.members, payload.since !== undefined);
    this.emit("joined", answer);
    // A poll under way (or just ended) is read after every join: a late joiner sees it.
    void this.refreshPoll().catch(() => {});
    return answer;
  }

  /** Keep a player in sync with this party. Returns the engine (stop it with detach()). */
  attach(player: PlayerAdapter, options: SyncOptions = {}): SyncEngine {
    this.engine?.stop();
    this.engine = new SyncEngine(this, player, options);
    this.engine.start();
    return this.engine;
  }

  detach(): void {
    this.engine?.stop();
    this.engine = null;
  }

  serverNow(): number {
    return this.client.serverNow();
  }

  /** Where the party's media is now (or at server time `atMs`). */
  expectedPosition(atMs = this.serverNow()): number {
    return positionAt(this.playback, atMs);
  }

  memberList(): Member[] {
    return [...this.members.values()];
  }

  get canControl(): boolean {
    if (this.info.settings.type === "live_room") return false;
    if (this.info.settings.control === "everyone") return true;
    const me = this.members.get(this.you.id) ?? this.you;
    return me.role !== "member" || (this.client.user?.roles ?? []).some((r) => r !== "viewer");
  }

  async control(
    action: "play" | "pause" | "seek" | "rate" | "load" | "break",
    fields: { position?: number; rate?: number; media?: Media; seq?: number; duration?: number } = {},
  ): Promise<PlaybackState> {
    try {
      const answer = await this.client.request("playback.control", { party: this.id, action, ...fields });
      this.applyPlayback(answer.playback);
      return answer.playback;
    } catch (err) {
      if (err instanceof SocialSyncError && err.code === "conflict" && err.answer.playback) {
        this.applyPlayback(err.answer.playback as PlaybackState);
      }
      throw err;
    }
  }

  /** A shared break (hosts and cohosts): the party pauses for an interstitial, for
   * `durationS` seconds if given (then it plays on by itself), else until someone plays.
   * The state says so (`on_break`, `break_until`). */
  startBreak(durationS?: number): Promise<PlaybackState> {
    return this.control("break", durationS !== undefined ? { duration: durationS } : {});
  }

  /** @internal */
  reportStatus(position: number, playing: boolean, buffering: boolean, extra: StatusExtra = {}): Promise<unknown> {
    return this.client.request("playback.status", {
      party: this.id, position: Math.max(0, position), playing, buffering,
      at: Math.round(this.serverNow()), seq: this.playback.seq, wait_for_me: this.waitsForMe,
      // An ad (protocol 5.10) and, for live media, the player's edge delay (5.11).
      ...(extra.ad !== undefined ? { ad: extra.ad } : {}),
      ...(extra.edgeDelay !== undefined ? { edge_delay: Math.min(3600, Math.max(0, extra.edgeDelay)) } : {}),
      // The round trip of the clock's best sample: the server fits its lead to the slowest member.
      ...(Number.isFinite(this.client.clock.rtt) ? { rtt: Math.min(60_000, Math.round(this.client.clock.rtt)) } : {}),
    });
  }

  /** Whether the party waits when your player stalls (the host's `wait_for_buffering`
   * must be on too). `false`: "don't wait for me", your player catches up by itself. */
  get waitForMe(): boolean {
    return this.waitsForMe;
  }

  async setWaitForMe(wait: boolean): Promise<void> {
    if (wait === this.waitsForMe) return;
    this.waitsForMe = wait;
    const player = this.engine?.player;
    await this.reportStatus(player ? player.position() : this.expectedPosition(), player ? !player.paused() : false,
      this.engine?.stats.buffering ?? false);
  }

  /** Send a chat message. Retried with the same payload (the same nonce, so never
   * doubled) across disconnects, `unavailable` and the client's own rejoin, for
   * `retryForMs` (30 s by default). Resolves to `{held: true, party, nonce, text}`
   * when the message was held for a moderator's review. */
  async sendChat(
    text: string, options: { replyTo?: number; mediaTime?: number } = {},
  ): Promise<ChatMessage | HeldMessage> {
    const nonce = newNonce();
    const payload: Record<string, unknown> = { party: this.id, text, nonce };
    if (options.replyTo !== undefined) payload.reply_to = options.replyTo;
    if (options.mediaTime !== undefined) payload.media_time = Math.max(0, options.mediaTime);
    const answer = await this.client.retrying(this.id, () => this.client.request("chat.send", payload));
    if (answer.held) return { held: true, party: this.id, nonce, text };
    // Not taken into `messages` from the answer: it joins them with its broadcast, in id
    // order (9.2). Taken here, it could overtake an earlier id still on its way from
    // another node, which would then be dropped as already seen.
    return answer.message as ChatMessage;
  }

  /** Report a message to the moderators; enough reports hold it for review. */
  async report(messageId: number, reason: string): Promise<void> {
    await this.client.request("chat.report", { party: this.id, id: messageId, reason });
  }

  async history(before?: number, limit = 50): Promise<ChatMessage[]> {
    const payload: Record<string, unknown> = { party: this.id, limit };
    if (before !== undefined) payload.before = before;
    return (await this.client.request("chat.history", payload)).messages;
  }

  async react(emoji: string, mediaTime?: number): Promise<void> {
    const payload: Record<string, unknown> = { party: this.id, emoji };
    if (mediaTime !== undefined) payload.media_time = Math.max(0, mediaTime);
    await this.client.request("reaction.send", payload);
  }

  /** Open a poll (hosts, cohosts, moderators): 2–5 choices, for 15–1800 s. */
  async openPoll(question: string, choices: string[], durationS: number): Promise<PollInfo> {
    return this.startPoll("poll", question, choices, durationS);
  }

  /** Open a prediction: 2–5 outcomes, picked for 15–1800 s, then it locks until resolved. */
  async openPrediction(question: string, outcomes: string[], lockAfterS: number): Promise<PollInfo> {
    return this.startPoll("prediction", question, outcomes, lockAfterS);
  }

  /** Vote in the current poll (or pick a prediction's outcome): once. A second try is
   * refused `conflict`, and `myVote` then says the vote that counts. */
  async vote(choice: number): Promise<void> {
    const poll = this.poll;
    if (!poll) throw new SocialSyncError("not_found", "no poll in this party");
    try {
      await this.client.request("poll.vote", { party: this.id, id: poll.id, choice });
      this.myVote = choice;
    } catch (err) {
      if (err instanceof SocialSyncError && typeof err.answer.choice === "number") this.myVote = err.answer.choice;
      throw err;
    } finally {
      if (this.poll) this.emit("poll", this.poll, "voted");
    }
  }

  /** End the current poll now with its result, or lock a prediction. */
  closePoll(): Promise<PollInfo> {
    return this.runPoll("poll.close", {});
  }

  cancelPoll(): Promise<PollInfo> {
    return this.runPoll("poll.cancel", {});
  }

  /** A prediction's outcome: what happened (an index of its outcomes). */
  resolvePrediction(outcome: number): Promise<PollInfo> {
    return this.runPoll("prediction.resolve", { outcome });
  }

  /** Read the party's current poll and your vote (done after every join). */
  async refreshPoll(): Promise<PollInfo | null> {
    const answer = (await this.client.request("poll.get", { party: this.id })) as unknown as PollCurrent;
    if (answer.poll) this.takePoll(answer.poll, "current", answer.choice);
    return this.poll;
  }

  private async startPoll(kind: PollInfo["kind"], question: string, choices: string[], duration: number): Promise<PollInfo> {
    const answer = await this.client.request("poll.open", { party: this.id, kind, question, choices, duration });
    this.takePoll(answer.poll, "opened");
    return answer.poll;
  }

  private async runPoll(event: string, fields: Record<string, unknown>): Promise<PollInfo> {
    if (!this.poll) throw new SocialSyncError("not_found", "no poll in this party");
    const answer = await this.client.request(event, { party: this.id, id: this.poll.id, ...fields });
    const poll = answer.poll as PollInfo;
    this.takePoll(poll, poll.status === "ended" ? "ended" : "locked");
    return poll;
  }

  /** A poll as an event or answer brought it (and `myVote`, when the server said it):
   * taken if it is a newer poll, a later stage of this one, or more of its votes. */
  private takePoll(poll: PollInfo, change: PollChange, myVote?: number | null): void {
    const known = this.poll;
    if (known && known.id === poll.id) {
      const stage = POLL_STAGE[poll.status] - POLL_STAGE[known.status];
      if (stage < 0 || (stage === 0 && poll.total <= known.total && myVote === undefined)) return;
      if (stage === 0 && poll.total < known.total) poll = { ...poll, counts: known.counts, total: known.total };
    } else if (known && poll.opened_at < known.opened_at) {
      return; // an older poll's late news
    } else {
      this.myVote = null;
    }
    if (myVote !== undefined && myVote !== null) this.myVote = myVote;
    this.poll = poll;
    this.emit("poll", poll, change);
  }

  private takeResults(results: PollResults): void {
    const known = this.poll;
    if (!known || known.id !== results.id || known.status !== "open" || results.total <= known.total) return;
    this.poll = { ...known, counts: results.counts, total: results.total };
    this.emit("poll", this.poll, "results");
  }

  async setRole(userId: string, role: Member["role"]): Promise<void> {
    await this.client.request("member.role", { party: this.id, user: userId, role });
  }

  async update(changes: { title?: string; settings?: Partial<Omit<PartySettings, "type">> }): Promise<PartyInfo> {
    const info = (await this.client.request("party.update", { party: this.id, ...changes })).party;
    this.info = info;
    this.emit("party", info);
    return info;
  }

  async end(): Promise<void> {
    await this.client.request("party.end", { party: this.id });
  }

  async leave(): Promise<void> {
    this.detach();
    this.cameras.close();
    this.clips.close();
    this.client.forget(this.id);
    await this.client.request("party.leave", { party: this.id });
  }

  /** @internal an event for this party from the server. */
  handle(name: string, data: any): void {
    switch (name) {
      case "playback.state":
        this.applyPlayback(data);
        break;
      case "chat.message":
        if (this.joining) this.joining.push(data);
        else this.takeMessage(data);
        break;
      case "chat.restored": {
        // A message a moderator brought back: into its place by id.
        if (!this.messages.some((m) => m.id === data.id)) {
          this.messages.push(data);
          this.messages.sort((a, b) => a.id - b.id);
        }
        this.emit("restored", data);
        break;
      }
      case "chat.deleted": {
        const index = this.messages.findIndex((m) => m.id === data.id);
        if (index >= 0) this.messages.splice(index, 1);
        this.emit("deleted", data.id);
        break;
      }
      case "member.joined":
      case "member.updated":
        this.members.set(data.member.id, data.member);
        if (data.member.id === this.you?.id) this.you = data.member;
        this.emit("members", this.memberList());
        this.cameras.memberChanged(data.member);
        break;
      case "member.left":
        this.members.delete(data.user);
        this.emit("members", this.memberList());
        this.cameras.memberLeft(data.user);
        break;
      case "rtc.camera": {
        const member = this.members.get(data.user);
        if (member) {
          const updated = { ...member, camera: data.camera ?? null };
          this.members.set(member.id, updated);
          if (member.id === this.you?.id) this.you = updated;
          this.emit("members", this.memberList());
        }
        this.cameras.cameraEvent(data.user, data.camera ?? null);
        break;
      }
      case "rtc.reset":
        this.cameras.reset(data.users ?? []);
        break;
      case "reaction.burst":
        this.emit("reaction", data);
        break;
      case "party.updated":
        this.info = data.info;
        this.emit("party", data.info);
        break;
      case "party.ended":
      case "party.kicked":
        this.detach();
        this.cameras.close();
        this.client.forget(this.id);
        this.emit("ended", data.reason);
        break;
      case "party.rules":
        this.rules = data.rules;
        this.emit("rules", data.rules);
        break;
      case "poll.opened":
      case "poll.locked":
      case "poll.ended":
        this.takePoll(data.poll, name === "poll.opened" ? "opened" : name === "poll.locked" ? "locked" : "ended");
        break;
      case "poll.results":
        this.takeResults(data);
        break;
    }
  }

  private takeMessage(message: ChatMessage): void {
    if (message.id <= this.lastMessageId) return;
    this.lastMessageId = message.id;
    this.messages.push(message);
    this.emit("message", message);
  }

  private applyPlayback(state: PlaybackState, force = false): void {
    if (!force && this.playback && state.seq < this.playback.seq) return;
    const changed = !this.playback || state.seq !== this.playback.seq || force;
    this.playback = state;
    if (changed) {
      this.engine?.apply();
      this.emit("playback", state);
    }
  }
}

function newNonce(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
