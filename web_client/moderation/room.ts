import type { PartyInfo, SocialSync } from "../src/index";
import { AuditPane } from "./audit";
import { ChatPane } from "./chat";
import { ClipsPane } from "./clips";
import type { ActOptions, Answer, RoomContext } from "./context";
import { LiveRegion, Throttle } from "../ui/announce";
import { byId, setText } from "./dom";
import { describeError, roomTypeLabel } from "./format";
import { t } from "./i18n";
import { QueuePane } from "./queue";
import { ReportsPane } from "./reports";
import { SettingsPane } from "./settings";
import { setupTabs } from "./tabs";
import type { AuditEntry, ChatRules, ClipReport, Held, ModMessage, Report, RoomCounts, UserRef, WatchAnswer } from "./types";

/** New chat messages are announced at most this often, summed up. */
const ANNOUNCE_MS = 4000;

/** The events of a watched room that the panel shows (they carry `party`). */
export const ROOM_EVENTS = new Set([
  "mod.message", "mod.held", "mod.resolved", "mod.report", "mod.audit",
  "chat.message", "chat.restored", "chat.deleted", "party.rules", "party.ended", "party.updated",
  "mod.clip", "mod.clip_report", "clip.removed",
]);

/** The watched room: its header, the shared reason and feedback, and the tabbed panes. */
export class RoomView implements RoomContext {
  party = "";
  private readonly heading = byId<HTMLHeadingElement>("room-heading");
  private readonly meta = byId<HTMLElement>("room-meta");
  private readonly reason = byId<HTMLInputElement>("reason");
  private readonly status = byId<HTMLElement>("action-status");
  private readonly error = byId<HTMLElement>("action-error");
  private readonly chat: ChatPane;
  private readonly queue: QueuePane;
  private readonly reports: ReportsPane;
  private readonly audit: AuditPane;
  private readonly clips: ClipsPane;
  private readonly settings = new SettingsPane();
  readonly selectTab: (id: string) => void;
  private info: PartyInfo | null = null;
  private ended = false;
  /** Whether the server records clips (its mod.watch has `clips`): only then does the
   * room list get a live held-clips count, as mod.rooms gives one only then. */
  private recordsClips = false;
  /** Names of the users this room has shown, by id (the audit log names them). */
  private readonly names = new Map<string, string>();
  private readonly announcer = new LiveRegion("mp-visually-hidden");
  private readonly spoken = new Throttle<ModMessage>(ANNOUNCE_MS, (batch) => {
    const last = batch[batch.length - 1];
    this.announcer.say(t("chat.announce", { count: batch.length, name: last.user.name }));
  });

  constructor(
    readonly client: SocialSync,
    private readonly onEnded: () => void,
    private readonly onCounts: (party: string, counts: RoomCounts) => void,
  ) {
    byId("announcer").replaceWith(this.announcer.el);
    this.announcer.el.id = "announcer";
    this.chat = new ChatPane(this, byId("chat-list"), byId("chat-log"), byId("chat-empty"));
    this.queue = new QueuePane(this, byId("queue-list"), byId("queue-empty"),
      (n) => {
        setText(byId("queue-count"), String(n));
        if (this.party) this.onCounts(this.party, { held: n });
      }, (held, decision) => this.decided(held, decision));
    this.reports = new ReportsPane(this, byId("reports-list"), byId("reports-empty"), {
      message: (id) => this.chat.get(id) ?? this.queue.byMessage(id),
      isDeleted: (id) => this.chat.isDeleted(id),
      show: (id) => {
        this.selectTab("tab-chat");
        return this.chat.focusMessage(id);
      },
      deleted: (id) => this.chat.markDeleted(id),
    }, (n) => {
      setText(byId("reports-count"), String(n));
      // The card counts what the tab lists (the server's mod.rooms leaves out held ones).
      if (this.party) this.onCounts(this.party, { reports: n });
    });
    this.clips = new ClipsPane(this, byId("clips-list"), byId("clips-empty"),
      (n) => {
        setText(byId("clips-count"), String(n));
        // The clips pane has every clip of the room, so its held ones are the room's.
        if (this.party && this.recordsClips) this.onCounts(this.party, { held_clips: n });
      });
    this.audit = new AuditPane(this, byId("audit-list"), byId("audit-empty"), byId("audit-more"), byId("audit-error"));
    this.selectTab = setupTabs(byId("room-tabs"), (id) => {
      if (id === "tab-chat") this.chat.scrollToEnd();
    });
  }

  localTime(serverMs: number): number {
    return serverMs - (this.client.serverNow() - Date.now());
  }

  nameOf(userId: string): string | null {
    return this.names.get(userId) ?? null;
  }

  private learn(user: UserRef | null | undefined): void {
    if (user && typeof user.id === "string" && typeof user.name === "string" && user.name) this.names.set(user.id, user.name);
  }

  async act(what: string, event: string, payload: Record<string, unknown>, options: ActOptions = {}): Promise<Answer | null> {
    const body: Record<string, unknown> = { party: this.party, ...payload };
    const reason = this.reason.value.trim();
    if ((options.reason ?? true) && reason) body.reason = reason;
    const button = options.button ?? null;
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
    setText(this.error, "");
    setText(this.status, "");
    let answer: Answer;
    try {
      answer = await this.client.request(event, body);
    } catch (err) {
      setText(this.error, t("act.failed", { what, error: describeError(err) }));
      return null;
    } finally {
      if (button) {
        button.removeAttribute("aria-busy");
        button.disabled = false;
      }
    }
    // After the button is back: `done` may turn it off for good (a deleted message).
    setText(this.status, options.done ? options.done(answer) : t("done.generic"));
    return answer;
  }

  /** Fill every pane from a `mod.watch` answer. */
  show(party: string, answer: WatchAnswer): void {
    this.party = party;
    this.ended = false;
    this.info = answer.party ?? null;
    this.names.clear();
    this.spoken.dispose();
    for (const m of Array.isArray(answer.members) ? answer.members : []) this.learn(m as UserRef);
    for (const m of Array.isArray(answer.messages) ? answer.messages : []) this.learn(m.user);
    for (const m of Array.isArray(answer.held) ? answer.held : []) this.learn(m.user);
    for (const r of Array.isArray(answer.reports) ? answer.reports : []) this.learn(r.reporter);
    for (const c of Array.isArray(answer.clips) ? answer.clips : []) this.learn(c.user);
    setText(this.status, "");
    setText(this.error, "");
    this.renderHeader();
    this.chat.reset(Array.isArray(answer.messages) ? answer.messages : []);
    this.queue.reset(Array.isArray(answer.held) ? answer.held : []);
    this.reports.reset(Array.isArray(answer.reports) ? answer.reports : []);
    this.settings.reset(this, answer.rules);
    this.recordsClips = Array.isArray(answer.clips);
    this.clips.reset(Array.isArray(answer.clips) ? answer.clips : [],
      Array.isArray(answer.clip_reports) ? answer.clip_reports : []);
    this.audit.reset();
    void this.audit.load();
  }

  handle(name: string, data: any): void {
    switch (name) {
      case "mod.message":
      case "chat.message":
      case "chat.restored": {
        const known = this.chat.get(data.id) !== undefined;
        this.learn(data.user);
        this.chat.upsert(data as ModMessage);
        this.reports.refresh(data.id);
        if (!known && name !== "chat.restored" && data.user) this.spoken.push(data as ModMessage);
        break;
      }
      case "chat.deleted":
        this.chat.markDeleted(data.id);
        this.reports.refresh(data.id);
        break;
      case "mod.held":
        this.learn(data.user);
        this.queue.add(data as Held);
        if (data.message !== undefined && data.message !== null) this.reports.refresh(data.message);
        break;
      case "mod.resolved": {
        const held = this.queue.remove(data.held);
        if (held) this.decided(held, String(data.decision).startsWith("approve") ? "approve" : "reject");
        break;
      }
      case "mod.report":
        this.learn(data.reporter);
        this.reports.add(data as Report);
        break;
      case "mod.audit":
        this.learn(data.actor);
        this.audit.add(data as AuditEntry);
        break;
      case "mod.clip":
        this.clips.add(data.clip);
        break;
      case "mod.clip_report":
        this.clips.report(data as ClipReport);
        break;
      case "clip.removed":
        this.clips.remove(data.id);
        break;
      case "party.rules":
        if (data.rules) this.settings.changed(data.rules as ChatRules);
        break;
      case "party.updated":
        if (data.info) {
          this.info = data.info;
          this.renderHeader();
        }
        break;
      case "party.ended":
        this.ended = true;
        this.renderHeader();
        setText(this.status, t("room.ended_status"));
        this.onEnded();
        break;
    }
  }

  /** A held message was decided. Taken down by reports: its reports are dealt with, and
   * approved, the same message is back for everybody. */
  private decided(held: Held, decision: "approve" | "reject"): void {
    const message = held.message;
    if (message === undefined || message === null) return;
    this.reports.remove(message);
    if (decision === "approve") this.chat.restore(message);
  }

  private renderHeader(): void {
    const info = this.info;
    setText(this.heading, info?.title || this.party);
    const parts = [
      roomTypeLabel(info?.settings?.type),
      info ? t("room.members", { count: info.member_count ?? 0 }) : "",
      t("room.id", { id: this.party }),
      this.ended ? t("room.ended") : "",
    ];
    setText(this.meta, parts.filter(Boolean).join(" · "));
  }
}
