import type { SocialSync } from "../src/index";
import { SocialSyncError } from "../src/index";
import { byId, h, setText } from "./dom";
import { describeError, formatClock, plural, roomTypeLabel } from "./format";
import type { RoomCounts, RoomInfo } from "./types";

const REFRESH_MS = 10_000;

/** The room's review counts, each a badge of text: the messages' first, then the clips'
 * in the same colours, so a moderator reads "held" and "reports" the same way for both. */
const COUNTS: ReadonlyArray<{ key: keyof RoomCounts; cls: string; label: (n: number) => string }> = [
  { key: "held", cls: "mp-badge-held", label: (n) => `${n} held` },
  { key: "reports", cls: "mp-badge-report", label: (n) => plural(n, "report") },
  { key: "held_clips", cls: "mp-badge-held", label: (n) => plural(n, "held clip") },
  { key: "clip_reports", cls: "mp-badge-report", label: (n) => plural(n, "clip report") },
];

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  title: HTMLElement;
  meta: HTMLElement;
  counts: Record<keyof RoomCounts, HTMLElement>;
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
      setText(this.status, `Updated ${formatClock(Date.now())}`);
    } catch (err) {
      setText(this.error, `Could not list the rooms: ${describeError(err)}`);
      // Asking again every 10 s will not change a refusal.
      if (err instanceof SocialSyncError && (err.code === "forbidden" || err.code === "unauthorized")) this.stop();
    } finally {
      this.loading = false;
      this.refreshButton.disabled = false;
    }
  }

  select(id: string | null): void {
    this.selected = id;
    for (const [key, row] of this.rows) {
      if (key === id) row.button.setAttribute("aria-current", "true");
      else row.button.removeAttribute("aria-current");
    }
  }

  /** The watched room's counts as its panes know them, between two refreshes. */
  setCounts(id: string, counts: RoomCounts): void {
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
    const button = h("button", { type: "button", class: "mp-room-button", "data-party": id },
      title, meta, h("span", { class: "mp-badges" }, ...COUNTS.map(({ key }) => counts[key])));
    button.addEventListener("click", () => this.onSelect(id));
    const row = { li: h("li", null, button), button, title, meta, counts };
    this.rows.set(id, row);
    return row;
  }

  private update(row: Row, room: RoomInfo): void {
    setText(row.title, room.title || room.id);
    setText(row.meta, `${roomTypeLabel(room.settings?.type)} · ${plural(room.member_count ?? 0, "member")}`);
    this.updateCounts(row, room);
  }

  /** A count the server does not give is not shown (rather than shown as 0): a server
   * that records no clips has no clip counts. */
  private updateCounts(row: Row, counts: RoomCounts): void {
    for (const { key, label } of COUNTS) {
      const badge = row.counts[key];
      const n = counts[key];
      if (typeof n === "number") {
        setText(badge, label(n));
        badge.classList.toggle("mp-zero", n === 0);
      }
      badge.hidden = typeof n !== "number" && !badge.textContent;
    }
  }
}
