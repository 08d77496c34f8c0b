/**
 * What viewers see of the analytics (protocol 18): the best moments of a VOD as chapter
 * marks ("Jump to the best moments": marks along a timeline, and the same moments as a
 * list of buttons that seek the party, as a timeline comment's does), and a live
 * "N watching" count in the header.
 *
 * The moments come from `analytics.moments` (the tenant's counts for the media item:
 * reactions, messages, rewatches), asked for on joining, after a new media item is
 * loaded and every few minutes; none (live media, nothing yet, an older server): the
 * section stays hidden. The count is the members present: from the member events in a
 * watch party, from `analytics.watching` in a live room (which sends none).
 */
import type { KeyMoment, MomentsAnswer, WatchingAnswer } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { describeError, formatMediaTime } from "./format";

/** Moments asked for: how many, and how many media seconds each spans. */
export const TOP_MOMENTS = 5;
export const MOMENT_BUCKET_S = 10;
/** The moments are asked for again this often (the server remembers an answer a minute). */
export const MOMENTS_REFRESH_MS = 3 * 60_000;
/** A live room's count is asked for this often (a watch party's follows its member events). */
export const WATCHING_REFRESH_MS = 30_000;
/** The "you are here" mark along the timeline moves this often. */
const NOW_TICK_MS = 1_000;

/** Where a moment sits along the timeline, as a share of it (0..1). */
export function markAt(moment: KeyMoment, durationS: number | undefined, moments: readonly KeyMoment[]): number {
  const length = durationS && durationS > 0 ? durationS : Math.max(...moments.map((m) => m.end_s), 1);
  return Math.min(1, Math.max(0, moment.start_s / length));
}

/** The "Best moments" section: marks along the media's timeline and a list of buttons. */
export function momentsSection(ctx: WidgetContext): HTMLElement {
  const { party, t, i18n } = ctx;
  const headingId = uid("moments");
  const hintId = uid("moments-hint");
  const bar = h("div", { class: "ssw-moments-bar", "aria-hidden": "true" });
  const now = h("span", { class: "ssw-moments-now" });
  const list = h("ol", { class: "ssw-moments-list", "aria-labelledby": headingId, "aria-describedby": hintId });
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const section = h("section", { class: "ssw-section ssw-moments", "aria-labelledby": headingId },
    h("h3", { id: headingId, class: "ssw-heading" }, t("moments.heading")),
    h("p", { id: hintId, class: "ssw-hint" }, t("moments.hint")),
    bar, list, alert);
  section.hidden = true;

  let shown: KeyMoment[] = [];
  let asking = 0;
  let mediaUrl = party.playback.media.url;

  const seek = (moment: KeyMoment) => {
    if (!ctx.canControl()) return;
    const duration = party.playback.media.duration;
    const position = duration !== undefined ? Math.min(moment.start_s, duration) : moment.start_s;
    setText(alert, "");
    party.control("seek", { position }).catch((err) => setText(alert, describeError(err, "seek", i18n)));
  };

  const label = (m: KeyMoment) => t("chat.play_from", { time: formatMediaTime(m.start_s, i18n) });
  /** What happened there, in words: "4 reactions · 1 message". */
  const detail = (m: KeyMoment) => [
    m.reactions ? t("moments.reactions", { count: m.reactions }) : "",
    m.messages ? t("moments.messages", { count: m.messages }) : "",
    m.rewatches ? t("moments.rewatches", { count: m.rewatches }) : "",
  ].filter(Boolean).join(" · ");

  function render(): void {
    const duration = party.playback.media.duration;
    const allowed = ctx.canControl();
    // "▶ 0:40" (named "Play from 0:40"), described by what happened there.
    list.replaceChildren(...shown.map((m) => {
      const detailId = uid("moment");
      return h("li", { class: "ssw-moment-item" },
        h("button", {
          type: "button", class: "ssw-seek ssw-moment", "data-start": m.start_s, "aria-label": label(m),
          "aria-describedby": detailId, disabled: !allowed, onclick: () => seek(m),
        }, `▶ ${formatMediaTime(m.start_s, i18n)}`),
        h("span", { id: detailId, class: "ssw-moment-detail" }, detail(m)));
    }));
    // Pointer users may click a mark on the bar as well; the list is the accessible way.
    bar.replaceChildren(...shown.map((m) => {
      const mark = h("span", {
        class: "ssw-moment-mark", "data-start": m.start_s, title: `${label(m)}: ${detail(m)}`,
        onclick: () => seek(m),
      });
      mark.style.insetInlineStart = `${(markAt(m, duration, shown) * 100).toFixed(2)}%`;
      return mark;
    }), now);
    bar.classList.toggle("ssw-moments-bar-locked", !allowed);
    section.hidden = shown.length === 0;
    moveNow();
  }

  function moveNow(): void {
    if (section.hidden) return;
    const duration = party.playback.media.duration;
    if (!duration) {
      now.hidden = true;
      return;
    }
    now.hidden = false;
    const share = Math.min(1, Math.max(0, party.expectedPosition() / duration));
    now.style.insetInlineStart = `${(share * 100).toFixed(2)}%`;
  }

  async function ask(): Promise<void> {
    if (ctx.ended || !party.isJoined) return;
    const seq = ++asking;
    const url = party.playback.media.url;
    if (party.playback.media.kind === "live") {
      shown = [];
      render();
      return;
    }
    let answer: MomentsAnswer;
    try {
      answer = await party.client.request("analytics.moments", {
        party: party.id, top: TOP_MOMENTS, bucket_s: MOMENT_BUCKET_S,
      }) as unknown as MomentsAnswer;
    } catch {
      // An older server (no such event), or the party is gone: no chapter marks, no noise.
      if (seq === asking) {
        shown = [];
        render();
      }
      return;
    }
    // Another media item was loaded meanwhile: its own answer is on the way.
    if (seq !== asking || url !== party.playback.media.url) return;
    shown = answer.moments ?? [];
    render();
    section.dataset.media = answer.media ?? "";
  }

  ctx.on("joined", () => void ask());
  ctx.on("playback", (state) => {
    if (state.media.url !== mediaUrl) {
      mediaUrl = state.media.url;
      shown = [];
      render();
      void ask();
    }
    moveNow();
  });
  ctx.on("members", render);
  ctx.on("party", render);
  ctx.on("ended", render);
  ctx.disposer.interval(() => void ask(), MOMENTS_REFRESH_MS);
  ctx.disposer.interval(moveNow, NOW_TICK_MS);
  void ask();
  return section;
}

/** Members present now: a watch party's from its member list. */
export function presentMembers(members: ReadonlyArray<{ connected: boolean }>): number {
  return members.filter((m) => m.connected).length;
}

/** The header's "N watching". */
export function watchingCount(ctx: WidgetContext): HTMLElement {
  const { party, t } = ctx;
  const el = h("p", { class: "ssw-watching" });
  const live = () => party.info.settings.type === "live_room";
  let count = live() ? party.info.member_count : presentMembers(party.memberList());

  const show = () => {
    el.dataset.count = String(count);
    setText(el, t("watching.count", { count }));
    el.hidden = ctx.ended;
  };
  const fromMembers = () => {
    if (live()) return;
    count = presentMembers(party.memberList());
    show();
  };
  let asking = 0;
  const ask = async () => {
    if (!live() || ctx.ended || !party.isJoined) return;
    const seq = ++asking;
    try {
      const answer = await party.client.request("analytics.watching", { party: party.id }) as unknown as WatchingAnswer;
      if (seq !== asking) return;
      count = answer.watching;
      show();
    } catch {
      // keep the last count: the next tick asks again
    }
  };

  ctx.on("members", fromMembers);
  ctx.on("joined", () => {
    if (live()) void ask();
    else fromMembers();
  });
  ctx.on("ended", show);
  ctx.disposer.interval(() => void ask(), WATCHING_REFRESH_MS);
  show();
  void ask();
  return el;
}
