import type { SocialSync } from "../src/index";
import { SocialSyncError } from "../src/index";
import { byId, h, setText } from "./dom";
import { describeError, formatClock, roomTypeLabel } from "./format";
import { t } from "./i18n";
import type { PanelKey } from "./i18n";
import type { RoomCounts, RoomInfo } from "./types";

const REFRESH_MS = 10_000;

/** The room's review counts, each a badge of text: the messages' first, then the clips'
 * in the same colours, so a moderator reads "held" and "reports" the same way for both.
 * Only what is there is shown; a room with nothing to review says so in words. */
const COUNTS: ReadonlyArray<{ key: keyof RoomCounts; cls: string; label: PanelKey }> = [
  { key: "held", cls: "mp-badge-held", label: "rooms.held" },
  { key: "reports", cls: "mp-badge-report", label: "rooms.reports" },
  { key: "held_clips", cls: "mp-badge-held", label: "rooms.held_clips" },
  { key: "clip_reports", cls: "mp-badge-report", label: "rooms.clip_reports" },
];

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  title: HTMLElement;
  meta: HTMLElement;
  counts: Record<keyof RoomCounts, HTMLElement>;
  calm: HTMLElement;
  /** The last counts shown, by kind. */
  shown: RoomCounts;
}

/** The tenant's live rooms (`mod.rooms`), refreshed every 10 s; choosing one watches it. */
export class RoomsPane {
  private readonly list = byId<HTMLUListElement>("rooms-list");
  private readonly status = byId<HTMLElement>("rooms-status");
  private readonly error = byId<HTMLElement>("rooms-error");
  private readonly empty = byId<HTMLElement>("rooms-empty");
  private readonly refreshButton = byId<HTMLButtonElement>("rooms-refresh");
  private readonly rows = new Map<string, Row>();
  private selected: string | null = null;
  /** The watched room's counts as its tabs show them: they win over mod.rooms' numbers,
   * so the card and the tabs always agree for the room being looked at. */
  private live: { party: string; counts: RoomCounts } | null = null;
  private loading = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly client: SocialSync, private readonly onSelect: (id: string) => void) {
    this.refreshButton.addEventListener("click", () => void this.refresh());
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => {
      if (!document.hidden) void this.refresh();
    }, REFRESH_MS);
    void this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async refresh(): Promise<void> {
    if (this.loading || !this.client.connected) return;
    this.loading = true;
    this.refreshButton.disabled = true;
    try {
      const answer = await this.client.request("mod.rooms", {});
      this.render(Array.isArray(answer.rooms) ? answer.rooms : []);
      setText(this.error, "");
      setText(this.status, t("rooms.updated", { time: formatClock(Date.now()) }));
    } catch (err) {
      setText(this.error, t("rooms.list_failed", { error: describeError(err) }));
      // Asking again every 10 s will not change a refusal.
      if (err instanceof SocialSyncError && (err.code === "forbidden" || err.code === "unauthorized")) this.stop();
    } finally {
      this.loading = false;
      this.refreshButton.disabled = false;
    }
  }

  select(id: string | null): void {
    if (id !== this.selected) this.live = null;
    this.selected = id;
    for (const [key, row] of this.rows) {
      if (key === id) row.button.setAttribute("aria-current", "true");
      else row.button.removeAttribute("aria-current");
    }
  }

  /** The watched room's counts as its panes know them, between two refreshes. */
  setCounts(id: string, counts: RoomCounts): void {
    if (id === this.selected) this.live = { party: id, counts: { ...(this.live?.party === id ? this.live.counts : {}), ...counts } };
    const row = this.rows.get(id);
    if (row) this.updateCounts(row, counts);
  }

  private render(rooms: RoomInfo[]): void {
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const room of rooms) {
      if (!room?.id || seen.has(room.id)) continue;
      seen.add(room.id);
      const row = this.rows.get(room.id) ?? this.create(room.id);
      this.update(row, room);
      // Move rows only when the order changed: moving a focused button would blur it.
      const expected: Element | null = previous ? previous.nextElementSibling : this.list.firstElementChild;
      if (expected !== row.li) this.list.insertBefore(row.li, expected);
      previous = row.li;
    }
    for (const [id, row] of this.rows) {
      if (seen.has(id)) continue;
      row.li.remove();
      this.rows.delete(id);
    }
    this.empty.hidden = this.rows.size > 0;
    this.select(this.selected);
  }

  private create(id: string): Row {
    const title = h("span", { class: "mp-room-name" });
    const meta = h("span", { class: "mp-room-meta" });
    const counts = Object.fromEntries(COUNTS.map(({ key, cls }) =>
      [key, h("span", { class: `mp-badge ${cls}`, "data-count": key })])) as Row["counts"];
    const calm = h("span", { class: "mp-room-calm" }, t("rooms.nothing"));
    const button = h("button", { type: "button", class: "mp-room-button", "data-party": id },
      title, meta, h("span", { class: "mp-badges" }, ...COUNTS.map(({ key }) => counts[key]), calm));
    button.addEventListener("click", () => this.onSelect(id));
    const row: Row = { li: h("li", null, button), button, title, meta, counts, calm, shown: {} };
    this.rows.set(id, row);
    return row;
  }

  private update(row: Row, room: RoomInfo): void {
    setText(row.title, room.title || room.id);
    setText(row.meta, `${roomTypeLabel(room.settings?.type)} · ${t("room.members", { count: room.member_count ?? 0 })}`);
    const live = this.live?.party === room.id ? this.live.counts : {};
    this.updateCounts(row, { held: room.held, reports: room.reports, held_clips: room.held_clips,
      clip_reports: room.clip_reports, ...live });
  }

  /** Counts of zero, and counts the server does not give (a server that records no
   * clips has no clip counts), are not shown; none at all reads "Nothing to review". */
  private updateCounts(row: Row, counts: RoomCounts): void {
    for (const { key, label } of COUNTS) {
      const n = counts[key];
      if (typeof n === "number") row.shown[key] = n;
      const shown = row.shown[key] ?? 0;
      const badge = row.counts[key];
      setText(badge, shown ? t(label, { count: shown }) : "");
      badge.hidden = shown === 0;
    }
    row.calm.hidden = COUNTS.some(({ key }) => (row.shown[key] ?? 0) > 0);
  }
}
