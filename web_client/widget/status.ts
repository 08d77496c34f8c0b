import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";
import { formatMediaTime, ownSyncLabel } from "./format";

export const DRIFT_REFRESH_MS = 500;

/** Connection, the party's playback and this player's drift. */
export function statusLine(ctx: WidgetContext): HTMLElement {
  const party = ctx.party;
  const client = party.client;
  const connection = h("span", { class: "ssw-connection" });
  const playback = h("span", { class: "ssw-playback" });
  const drift = h("span", { class: "ssw-drift" });

  const setConnection = (state: "connected" | "reconnecting" | "rejoining" | "offline") => {
    connection.dataset.state = state;
    setText(connection, {
      connected: "Connected", reconnecting: "Reconnecting…", rejoining: "Rejoining…", offline: "Offline",
    }[state]);
  };

  const renderPlayback = () => {
    const state = party.playback;
    if (ctx.ended) {
      setText(playback, "Ended");
      return;
    }
    if (!state) return;
    playback.dataset.status = state.status;
    if (state.status === "waiting") {
      const n = party.memberList().filter((m) => m.connected && m.buffering).length;
      setText(playback, n > 0 ? `Waiting for ${n} member${n === 1 ? "" : "s"}` : "Waiting");
      return;
    }
    if (state.on_break) {
      const until = state.break_until;
      const left = until != null ? Math.max(0, Math.round((until - party.serverNow()) / 1000)) : null;
      setText(playback, left != null ? `Break · back in ${formatMediaTime(left)}` : "Break");
      return;
    }
    const verb = state.status === "playing" ? "Playing" : `Paused at ${formatMediaTime(state.position)}`;
    const by = ctx.memberName(state.by);
    setText(playback, by ? `${verb} · by ${by}` : verb);
  };

  const renderDrift = () => {
    const engine = party.engine;
    if (!engine || ctx.ended) {
      drift.hidden = true;
      return;
    }
    drift.hidden = false;
    const ms = Math.round(engine.stats.drift * 1000);
    // Plain words for the viewer; the figure stays at hand for whoever looks closer.
    setText(drift, `You: ${ownSyncLabel(engine.stats.drift, engine.stats.buffering, engine.stats.inAd)}`);
    drift.title = `${ms > 0 ? "+" : ""}${ms} ms from the party`;
    drift.dataset.driftMs = String(ms);
    drift.classList.toggle("ssw-drift-bad", Math.abs(ms) >= 250);
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
    drift,
    h("span", { class: "ssw-toggle" }, noWait,
      h("label", { for: noWaitId }, "Don't pause the others when my video stalls")));
}
