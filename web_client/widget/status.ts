import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { formatMediaTime, ownSyncStatus, SYNC_KEY } from "./format";

export const DRIFT_REFRESH_MS = 500;

/**
 * The connection and the party's playback in plain words ("Playing", "Waiting for Ana"),
 * and this player's standing ("in sync", "catching up") with the figure behind it in a
 * disclosure for whoever wants it, beside the "don't wait for me" switch.
 */
export function statusLine(ctx: WidgetContext): HTMLElement {
  const { party, t, i18n } = ctx;
  const client = party.client;
  const connection = h("span", { class: "ssw-connection" });
  const playback = h("span", { class: "ssw-playback" });
  const ownWords = h("span", { class: "ssw-own-sync" });
  const driftText = h("span", { class: "ssw-drift" });

  const setConnection = (state: "connected" | "reconnecting" | "rejoining" | "offline") => {
    connection.dataset.state = state;
    setText(connection, t(`connection.${state}`));
  };

  const renderPlayback = () => {
    const state = party.playback;
    if (ctx.ended) {
      setText(playback, t("playback.ended"));
      return;
    }
    if (!state) return;
    playback.dataset.status = state.status;
    if (state.status === "waiting") {
      const names = party.memberList().filter((m) => m.connected && m.buffering).map((m) => m.name);
      setText(playback, t("playback.waiting", {
        count: names.length, first: names[0] ?? "", second: names[1] ?? "",
        others: Math.max(0, names.length - 1),
      }));
      return;
    }
    if (state.on_break) {
      const until = state.break_until;
      const left = until != null ? Math.max(0, Math.round((until - party.serverNow()) / 1000)) : null;
      setText(playback, left != null ? t("playback.break_left", { left: formatMediaTime(left, i18n) }) : t("playback.break"));
      return;
    }
    const by = ctx.memberName(state.by);
    const at = formatMediaTime(state.position, i18n);
    setText(playback, state.status === "playing"
      ? (by ? t("playback.playing_by", { by }) : t("playback.playing"))
      : (by ? t("playback.paused_by", { at, by }) : t("playback.paused", { at })));
  };

  const renderDrift = () => {
    const engine = party.engine;
    if (!engine || ctx.ended) {
      details.hidden = true;
      return;
    }
    details.hidden = false;
    const ms = Math.round(engine.stats.drift * 1000);
    const status = ownSyncStatus(engine.stats.drift, engine.stats.buffering, engine.stats.inAd);
    details.dataset.sync = status;
    setText(ownWords, t("status.you", { status: t(SYNC_KEY[status]) }));
    // The figure, for whoever opens it: "9 ms ahead of the party".
    setText(driftText, t("status.drift", { ms: Math.abs(ms), side: ms > 0 ? "ahead" : ms < 0 ? "behind" : "same" }));
    driftText.dataset.driftMs = String(ms);
    summary.title = driftText.textContent ?? "";
    details.classList.toggle("ssw-drift-bad", Math.abs(ms) >= 250);
  };

  // "Don't wait for me": this member's stalls never pause the party (protocol 5.9).
  const noWaitId = uid("nowait");
  const noWait = h("input", { id: noWaitId, type: "checkbox", class: "ssw-checkbox ssw-no-wait" });
  noWait.checked = !party.waitForMe;
  noWait.addEventListener("change", () => {
    party.setWaitForMe(!noWait.checked).catch(() => {
      noWait.checked = !party.waitForMe;
    });
  });

  const summary = h("summary", { class: "ssw-sync-summary" }, ownWords);
  const details = h("details", { class: "ssw-sync-details" },
    summary,
    h("div", { class: "ssw-sync-more" },
      h("p", { class: "ssw-hint" }, driftText),
      h("span", { class: "ssw-toggle" }, noWait, h("label", { for: noWaitId }, t("status.no_wait")))));

  ctx.disposer.add(client.on("disconnected", () => setConnection("reconnecting")));
  ctx.disposer.add(client.on("connected", (again) => setConnection(again ? "rejoining" : "connected")));
  ctx.disposer.add(client.on("reconnected", () => setConnection("connected")));
  ctx.on("playback", renderPlayback);
  ctx.on("members", renderPlayback);
  ctx.on("joined", () => {
    setConnection("connected");
    renderPlayback();
  });
  ctx.on("ended", () => {
    renderPlayback();
    renderDrift();
  });
  ctx.disposer.interval(renderDrift, DRIFT_REFRESH_MS);
  setConnection(client.connected ? "connected" : "offline");
  renderPlayback();
  renderDrift();

  // Connection and playback are announced when they change; the drift (every 500 ms) is not.
  return h("div", { class: "ssw-status" },
    h("p", { class: "ssw-status-live", role: "status", "aria-live": "polite" }, connection, " · ", playback),
    details);
}
