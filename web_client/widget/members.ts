import type { Member } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import { BadgeMarks } from "./badges";
import type { WidgetContext } from "./context";
import { describeError, SYNC_KEY, syncStatus } from "./format";
import type { WidgetKey } from "./i18n";

const ROLE_ORDER: Record<Member["role"], number> = { host: 0, cohost: 1, member: 2 };

/** One member's row, kept across updates so that focus on its buttons survives. */
class MemberRow {
  readonly el: HTMLLIElement;
  private readonly name = h("span", { class: "ssw-member-name" });
  private readonly you: HTMLSpanElement;
  private readonly badge = h("span", { class: "ssw-badge" });
  private readonly awards: BadgeMarks;
  private readonly status = h("span", { class: "ssw-sync" });
  private readonly actions = h("div", { class: "ssw-member-actions", role: "group" });
  private readonly buttons: Record<Member["role"], HTMLButtonElement>;

  constructor(private readonly ctx: WidgetContext, private member: Member, onError: (text: string) => void) {
    this.you = h("span", { class: "ssw-member-you" }, ctx.t("people.you"));
    this.awards = new BadgeMarks(ctx.i18n);
    const roleButton = (role: Member["role"], label: string) =>
      h("button", {
        type: "button", class: "ssw-button ssw-button-small",
        onclick: () => {
          ctx.party.setRole(this.member.id, role).then(
            () => onError(""),
            (err) => onError(describeError(err, "roles", ctx.i18n)),
          );
        },
      }, label);
    this.buttons = {
      cohost: roleButton("cohost", ctx.t("people.make_cohost")),
      member: roleButton("member", ctx.t("people.make_member")),
      host: roleButton("host", ctx.t("people.make_host")),
    };
    this.actions.append(this.buttons.cohost, this.buttons.member, this.buttons.host);
    this.el = h("li", { class: "ssw-member" },
      h("span", { class: "ssw-member-who" }, this.name, " ", this.you, " ", this.badge, " ", this.awards.el),
      this.status,
      this.actions);
    this.update(member);
  }

  update(member: Member): void {
    this.member = member;
    const isYou = member.id === this.ctx.party.you.id;
    setText(this.name, member.name);
    this.awards.update(member.badges);
    this.you.hidden = !isYou;
    this.el.dataset.user = member.id;
    this.el.dataset.role = member.role;
    this.badge.hidden = member.role === "member";
    setText(this.badge, this.ctx.t(member.role === "host" ? "people.badge_host" : "people.badge_cohost"));
    this.badge.className = `ssw-badge ssw-badge-${member.role}`;
    const status = syncStatus(member);
    this.el.dataset.sync = status;
    this.status.className = `ssw-sync ssw-sync-${status}`;
    setText(this.status, this.ctx.t(SYNC_KEY[status]));
    const manage = this.ctx.isHost() && !isYou && member.role !== "host";
    this.actions.hidden = !manage;
    this.actions.setAttribute("aria-label", this.ctx.t("people.roles_for", { name: member.name }));
    this.buttons.cohost.hidden = member.role === "cohost";
    this.buttons.member.hidden = member.role === "member";
    const labels: Record<Member["role"], WidgetKey> = {
      cohost: "people.make_cohost_label", member: "people.make_member_label", host: "people.make_host_label",
    };
    for (const [role, button] of Object.entries(this.buttons) as Array<[Member["role"], HTMLButtonElement]>) {
      button.setAttribute("aria-label", this.ctx.t(labels[role], { name: member.name }));
      button.disabled = !manage || role === member.role;
    }
  }
}

/** The member list: who is here, their role and whether their player keeps up. */
export function membersSection(ctx: WidgetContext): HTMLElement {
  const headingId = uid("members");
  const heading = h("h3", { id: headingId, class: "ssw-heading" }, ctx.t("people.heading", { count: 0 }));
  const list = h("ul", { class: "ssw-members" });
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const rows = new Map<string, MemberRow>();
  const showError = (text: string) => setText(alert, text);

  const render = () => {
    const members = ctx.party.memberList().sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
    setText(heading, ctx.t("people.heading", { count: members.length }));
    const seen = new Set<string>();
    members.forEach((member, index) => {
      seen.add(member.id);
      let row = rows.get(member.id);
      if (row) row.update(member);
      else rows.set(member.id, (row = new MemberRow(ctx, member, showError)));
      // Move only what is out of place: moving a node would drop focus from its buttons.
      if (list.children[index] !== row.el) list.insertBefore(row.el, list.children[index] ?? null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.el.remove();
        rows.delete(id);
      }
    }
  };

  ctx.on("members", render);
  ctx.on("joined", render);
  ctx.on("party", render);
  ctx.on("ended", render);
  render();
  return h("section", { class: "ssw-section ssw-people", "aria-labelledby": headingId }, heading, list, alert);
}
