/**
 * The moderation panel at /moderation/: a moderator signs in with a token (pasted, or
 * in the URL fragment `#token=`, which browsers never send to servers; kept in
 * sessionStorage), picks a live room and watches its chat, review
 * queue, reports and audit log, and acts on them (docs/moderation.md).
 * For automated tests: `window.socialsyncPanel = {client}`, `body[data-state=ready]`
 * once signed in, `body[data-watching=<party id>]` once `mod.watch` answered.
 */
import { SocialSync, SocialSyncError } from "../src/index";
import { staffToken } from "../ui/staff-token";
import { byId, h, setText } from "./dom";
import { describeError } from "./format";
import { t, translatePage } from "./i18n";
import { ROOM_EVENTS, RoomView } from "./room";
import { RoomsPane } from "./rooms";
import type { WatchAnswer } from "./types";

declare global {
  interface Window {
    socialsyncPanel?: { client: SocialSync };
  }
}

const STAFF_ROLES = ["moderator", "admin"];

type State = "loading" | "signin" | "connecting" | "ready";

const ui = {
  who: byId<HTMLElement>("who"),
  whoName: byId<HTMLElement>("who-name"),
  whoRoles: byId<HTMLElement>("who-roles"),
  signOut: byId<HTMLButtonElement>("sign-out"),
  connection: byId<HTMLElement>("connection"),
  signin: byId<HTMLElement>("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  tokenInput: byId<HTMLTextAreaElement>("token-input"),
  signinButton: byId<HTMLButtonElement>("signin-button"),
  signinError: byId<HTMLElement>("signin-error"),
  roleNotice: byId<HTMLElement>("role-notice"),
  workspace: byId<HTMLElement>("workspace"),
  roomsError: byId<HTMLElement>("rooms-error"),
  openRoom: byId<HTMLFormElement>("open-room"),
  roomId: byId<HTMLInputElement>("room-id"),
  roomEmpty: byId<HTMLElement>("room-empty"),
  roomBody: byId<HTMLElement>("room-body"),
  roomHeading: byId<HTMLElement>("room-heading"),
  unwatch: byId<HTMLButtonElement>("unwatch"),
};

function setState(state: State): void {
  document.body.dataset.state = state;
}

function showSignIn(error = ""): void {
  setState("signin");
  ui.signin.hidden = false;
  ui.workspace.hidden = true;
  ui.who.hidden = true;
  ui.signinButton.disabled = false;
  setText(ui.signinError, error);
  ui.tokenInput.focus();
}

async function signIn(token: string): Promise<void> {
  setState("connecting");
  ui.signinButton.disabled = true;
  setText(ui.signinError, "");
  let client: SocialSync;
  try {
    client = await SocialSync.connect({ url: location.origin, auth: { token } });
  } catch (err) {
    // A refused token is forgotten; a server that is down is not the token's fault.
    if (err instanceof SocialSyncError && err.code === "unauthorized") staffToken.forget();
    showSignIn(t("signin.failed", { error: describeError(err) }));
    return;
  }
  staffToken.set(token);
  window.socialsyncPanel = { client };
  ui.signin.hidden = true;
  ui.tokenInput.value = "";
  start(client);
}

function showUser(client: SocialSync): boolean {
  const user = client.user;
  const roles = user?.roles ?? [];
  setText(ui.whoName, user?.name ?? "?");
  ui.whoRoles.replaceChildren(...roles.map((r) => h("span", { class: "mp-badge mp-badge-role", "data-role": r },
    t("who.role", { role: r }))));
  ui.who.hidden = false;
  const staff = roles.some((r) => STAFF_ROLES.includes(r));
  ui.roleNotice.hidden = staff;
  setText(ui.roleNotice, staff ? "" : t("who.not_staff", { roles: roles.join(", "), hasRoles: roles.length ? "yes" : "no" }));
  return staff;
}

/** Which room is watched, with no event lost or doubled while `mod.watch` is under way. */
class Watcher {
  watching: string | null = null;
  private pending: string | null = null;
  private buffer: Array<[string, any]> = [];
  private seq = 0;

  constructor(
    private readonly client: SocialSync,
    private readonly room: RoomView,
    private readonly rooms: RoomsPane,
  ) {
    client.onServerEvent((name, data) => this.onEvent(name, data));
  }

  async watch(party: string, again = false): Promise<void> {
    if (!again && (party === this.watching || party === this.pending)) return;
    const seq = ++this.seq;
    const previous = again ? null : this.watching;
    this.watching = null;
    this.pending = party;
    this.buffer = [];
    delete document.body.dataset.watching;
    this.rooms.select(party);
    if (previous && previous !== party) this.unwatchQuietly(previous);
    setText(ui.roomsError, "");
    let answer: WatchAnswer;
    try {
      answer = (await this.client.request("mod.watch", { party })) as unknown as WatchAnswer;
    } catch (err) {
      if (seq !== this.seq) return;
      this.pending = null;
      this.rooms.select(null);
      this.showNothing();
      setText(ui.roomsError, t("rooms.watch_failed", { error: describeError(err) }));
      return;
    }
    if (seq !== this.seq) {
      // Another room was chosen meanwhile.
      if (party !== this.pending && party !== this.watching) this.unwatchQuietly(party);
      return;
    }
    this.pending = null;
    this.watching = party;
    ui.roomEmpty.hidden = true;
    ui.roomBody.hidden = false;
    this.room.show(party, answer);
    for (const [name, data] of this.buffer.splice(0)) this.room.handle(name, data);
    document.body.dataset.watching = party;
  }

  async unwatch(): Promise<void> {
    const party = this.watching ?? this.pending;
    this.seq++;
    this.watching = this.pending = null;
    this.rooms.select(null);
    this.showNothing();
    if (party) this.unwatchQuietly(party);
  }

  private showNothing(): void {
    delete document.body.dataset.watching;
    ui.roomBody.hidden = true;
    ui.roomEmpty.hidden = false;
  }

  private unwatchQuietly(party: string): void {
    this.client.request("mod.unwatch", { party }).catch(() => {
      /* the socket may be gone, and with it the subscription */
    });
  }

  private onEvent(name: string, data: any): void {
    if (!ROOM_EVENTS.has(name) || typeof data?.party !== "string") return;
    if (data.party === this.pending) this.buffer.push([name, data]);
    else if (data.party === this.watching) this.room.handle(name, data);
  }
}

function start(client: SocialSync): void {
  const staff = showUser(client);
  ui.workspace.hidden = false;
  // (The rooms list's clicks reach the watcher, which is made just below.)
  const rooms = new RoomsPane(client, (id) => void w.watch(id));
  const room = new RoomView(client, () => void rooms.refresh(), (party, counts) => rooms.setCounts(party, counts));
  const w = new Watcher(client, room, rooms);

  ui.openRoom.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = ui.roomId.value.trim();
    if (!id) return;
    void w.watch(id).then(() => {
      if (w.watching === id) ui.roomHeading.focus();
    });
  });
  ui.unwatch.addEventListener("click", () => void w.unwatch());

  client.on("disconnected", (reason) => {
    setText(ui.connection, reason === "unauthorized" ? t("connection.token_refused") : t("connection.lost"));
  });
  client.on("reconnected", () => {
    setText(ui.connection, "");
    // Watching belongs to the socket: a new socket watches again (and catches up).
    if (w.watching) void w.watch(w.watching, true);
    rooms.start();
  });
  client.on("error", (err) => setText(ui.connection, t("connection.after_reconnect", { error: describeError(err) })));

  rooms.start();
  if (!staff) ui.roomId.focus();
  setState("ready");
}

function main(): void {
  translatePage();
  ui.signOut.addEventListener("click", () => {
    staffToken.forget();
    window.socialsyncPanel?.client.close();
    location.replace(location.pathname);
  });
  ui.signinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    if (token) void signIn(token);
  });
  const fromUrl = staffToken.fromUrl();
  const token = fromUrl.token ?? staffToken.get();
  if (token) void signIn(token);
  else if (fromUrl.refused) {
    showSignIn(t("signin.query_refused"));
  } else showSignIn();
}

main();
