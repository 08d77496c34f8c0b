import type { Member } from "../src/index";
import type { WidgetContext } from "./context";
import { h, setText, uid } from "../ui/dom";
import { describeError, SYNC_LABEL, syncStatus } from "./format";

const ROLE_ORDER: Record<Member["role"], number> = { host: 0, cohost: 1, member: 2 };

/** One member's row, kept across updates so that focus on its buttons survives. */
class MemberRow {
  readonly el: HTMLLIElement;
  private readonly name = h("span", { class: "ssw-member-name" });
  private readonly you = h("span", { class: "ssw-member-you" }, "(you)");
  private readonly badge = h("span", { class: "ssw-badge" });
  private readonly status = h("span", { class: "ssw-sync" });
  private readonly actions = h("div", { class: "ssw-member-actions", role: "group" });
  private readonly buttons: Record<Member["role"], HTMLButtonElement>;

  constructor(private readonly ctx: WidgetContext, private member: Member, onError: (text: string) => void) {
    const roleButton = (role: Member["role"], label: string) =>
      h("button", {
        type: "button", class: "ssw-button ssw-button-small",
        onclick: () => {
          ctx.party.setRole(this.member.id, role).then(
            () => onError(""),
            (err) => onError(describeError(err, "change roles")),
          );
        },
      }, label);
    this.buttons = {
      cohost: roleButton("cohost", "Make cohost"),
      member: roleButton("member", "Make member"),
      host: roleButton("host", "Make host"),
    };
    this.actions.append(this.buttons.cohost, this.buttons.member, this.buttons.host);
    this.el = h("li", { class: "ssw-member" },
      h("span", { class: "ssw-member-who" }, this.name, " ", this.you, " ", this.badge),
      this.status,
      this.actions);
    this.update(member);
  }

  update(member: Member): void {
    this.member = member;
    const isYou = member.id === this.ctx.party.you.id;
    setText(this.name, member.name);
    this.you.hidden = !isYou;
    this.el.dataset.user = member.id;
    this.el.dataset.role = member.role;
    this.badge.hidden = member.role === "member";
    setText(this.badge, member.role === "host" ? "host" : "cohost");
    this.badge.className = `ssw-badge ssw-badge-${member.role}`;
    const status = syncStatus(member);
    this.el.dataset.sync = status;
    this.status.className = `ssw-sync ssw-sync-${status}`;
    setText(this.status, SYNC_LABEL[status]);
    const manage = this.ctx.isHost() && !isYou && member.role !== "host";
    this.actions.hidden = !manage;
    this.actions.setAttribute("aria-label", `Roles for ${member.name}`);
    this.buttons.cohost.hidden = member.role === "cohost";
    this.buttons.member.hidden = member.role === "member";
    for (const [role, button] of Object.entries(this.buttons)) {
      const verb = button.textContent ?? "";
      button.setAttribute("aria-label", `${verb.replace(/^Make /, `Make ${member.name} `)}`);
      button.disabled = !manage || role === member.role;
    }
  }
}

/** The member list: who is here, their role and whether their player keeps up. */
export function membersSection(ctx: WidgetContext): HTMLElement {
  const headingId = uid("members");
  const heading = h("h3", { id: headingId, class: "ssw-heading" }, "People");
  const list = h("ul", { class: "ssw-members" });
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const rows = new Map<string, MemberRow>();
  const showError = (text: string) => setText(alert, text);

  const render = () => {
    const members = ctx.party.memberList().sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
    setText(heading, `People (${members.length})`);
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
