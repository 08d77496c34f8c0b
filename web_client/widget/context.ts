import type { Member, PartySession } from "../src/index";
import { Disposer } from "../ui/dom";
import type { WidgetI18n, WidgetKey } from "./i18n";
import type { Values } from "../ui/i18n";

const STAFF_ROLES = ["moderator", "admin"];

/** What every part of the widget shares: the party, the language and one place to register cleanup. */
export class WidgetContext {
  readonly disposer = new Disposer();
  ended = false;

  constructor(readonly party: PartySession, readonly i18n: WidgetI18n) {
    // First of all "ended" listeners, so that the others already see the flag.
    this.disposer.add(party.on("ended", () => (this.ended = true)));
  }

  /** A message of the widget's catalogue. */
  t = (key: WidgetKey, values?: Values): string => this.i18n.t(key, values);

  /** Subscribe to a party event for the widget's lifetime. */
  on: PartySession["on"] = (event, fn) => {
    const off = this.party.on(event, fn);
    this.disposer.add(off);
    return off;
  };

  me(): Member {
    return this.party.members.get(this.party.you.id) ?? this.party.you;
  }

  isStaff(): boolean {
    return (this.party.client.user?.roles ?? []).some((role) => STAFF_ROLES.includes(role));
  }

  /** May change roles and settings: the host, or tenant staff. */
  isHost(): boolean {
    return !this.ended && (this.me().role === "host" || this.isStaff());
  }

  canControl(): boolean {
    return !this.ended && this.party.canControl;
  }

  /** A server timestamp on this device's clock, for display. */
  localTime(serverMs: number): number {
    return serverMs + (Date.now() - this.party.serverNow());
  }

  memberName(userId: string | null | undefined): string | null {
    if (!userId) return null;
    return this.party.members.get(userId)?.name ?? null;
  }

  /** The host's name, if the host is (or was) a member here. */
  hostName(): string | null {
    const host = this.party.memberList().find((m) => m.role === "host");
    return host?.name ?? this.memberName(this.party.info.host);
  }
}
