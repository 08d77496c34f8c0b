import type { PartyInfo, SocialSync } from "../src/index";
import { AuditPane } from "./audit";
import { ChatPane } from "./chat";
import { ClipsPane } from "./clips";
import type { ActOptions, Answer, RoomContext } from "./context";
import { byId, setText } from "./dom";
import { describeError, plural, roomTypeLabel } from "./format";
import { QueuePane } from "./queue";
import { ReportsPane } from "./reports";
import { SettingsPane } from "./settings";
import { setupTabs } from "./tabs";
import type { AuditEntry, ChatRules, ClipReport, Held, ModMessage, Report, RoomCounts, WatchAnswer } from "./types";

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

  constructor(
    readonly client: SocialSync,
    private readonly onEnded: () => void,
    private readonly onCounts: (party: string, counts: RoomCounts) => void,
  ) {
    this.chat = new ChatPane(this, byId("chat-list"), byId("chat-empty"));
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
    }, (n) => setText(byId("reports-count"), String(n)));
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
      setText(this.error, `Could not ${what}: ${describeError(err)}`);
      return null;
    } finally {
      if (button) {
        button.removeAttribute("aria-busy");
        button.disabled = false;
      }
    }
    // After the button is back: `done` may turn it off for good (a deleted message).
    setText(this.status, options.done ? options.done(answer) : "Done.");
    return answer;
  }

  /** Fill every pane from a `mod.watch` answer. */
  show(party: string, answer: WatchAnswer): void {
    this.party = party;
    this.ended = false;
    this.info = answer.party ?? null;
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
      case "chat.restored":
        this.chat.upsert(data as ModMessage);
        this.reports.refresh(data.id);
        break;
      case "chat.deleted":
        this.chat.markDeleted(data.id);
        this.reports.refresh(data.id);
        break;
      case "mod.held":
        this.queue.add(data as Held);
        if (data.message !== undefined && data.message !== null) this.reports.refresh(data.message);
        break;
      case "mod.resolved": {
        const held = this.queue.remove(data.held);
        if (held) this.decided(held, String(data.decision).startsWith("approve") ? "approve" : "reject");
        break;
      }
      case "mod.report":
        this.reports.add(data as Report);
        break;
      case "mod.audit":
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
        setText(this.status, "This room has ended.");
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
      info ? plural(info.member_count ?? 0, "member") : "",
      `ID ${this.party}`,
      this.ended ? "ended" : "",
    ];
    setText(this.meta, parts.filter(Boolean).join(" · "));
  }
}
