import type { RoomContext } from "./context";
import { byId, setText } from "./dom";
import { t } from "./i18n";
import type { ChatRules } from "./types";

const DEFAULT_RULES: ChatRules = {
  slow_mode_s: 0, members_only: false, emote_only: false, locked: false, links: true,
  link_domains: [], blocked_terms: [], allowed_terms: [],
};

/** The room's chat rules: the form shows the current ones and saves all of them with `mod.rules`. */
export class SettingsPane {
  private readonly form = byId<HTMLFormElement>("rules-form");
  private readonly slow = byId<HTMLInputElement>("slow-mode");
  private readonly membersOnly = byId<HTMLInputElement>("members-only");
  private readonly emoteOnly = byId<HTMLInputElement>("emote-only");
  private readonly locked = byId<HTMLInputElement>("locked");
  private readonly links = byId<HTMLInputElement>("links");
  private readonly blocked = byId<HTMLTextAreaElement>("blocked-terms");
  private readonly allowed = byId<HTMLTextAreaElement>("allowed-terms");
  private readonly domains = byId<HTMLTextAreaElement>("link-domains");
  private readonly save = byId<HTMLButtonElement>("rules-save");
  private readonly discard = byId<HTMLButtonElement>("rules-reset");
  private readonly note = byId<HTMLElement>("rules-note");
  private ctx: RoomContext | null = null;
  private current: ChatRules = DEFAULT_RULES;
  /** Edited but not saved: a change from elsewhere does not overwrite the moderator's typing. */
  private dirty = false;

  constructor() {
    this.form.addEventListener("input", () => this.setDirty(true));
    this.form.addEventListener("change", () => this.setDirty(true));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.discard.addEventListener("click", () => this.fill(this.current));
  }

  reset(ctx: RoomContext, rules: ChatRules | undefined): void {
    this.ctx = ctx;
    this.current = { ...DEFAULT_RULES, ...(rules ?? {}) };
    this.fill(this.current);
  }

  /** `party.rules`: someone (maybe this panel) changed the rules. */
  changed(rules: ChatRules): void {
    const same = JSON.stringify(this.read()) === JSON.stringify(normalise(rules));
    this.current = { ...DEFAULT_RULES, ...rules };
    if (!this.dirty || same) this.fill(this.current);
    else setText(this.note, t("settings.changed_elsewhere"));
  }

  private fill(rules: ChatRules): void {
    this.slow.value = String(rules.slow_mode_s ?? 0);
    this.membersOnly.checked = !!rules.members_only;
    this.emoteOnly.checked = !!rules.emote_only;
    this.locked.checked = !!rules.locked;
    this.links.checked = !!rules.links;
    this.blocked.value = (rules.blocked_terms ?? []).join("\n");
    this.allowed.value = (rules.allowed_terms ?? []).join("\n");
    this.domains.value = (rules.link_domains ?? []).join("\n");
    this.setDirty(false);
    setText(this.note, "");
  }

  private read(): ChatRules {
    return normalise({
      slow_mode_s: Number(this.slow.value),
      members_only: this.membersOnly.checked,
      emote_only: this.emoteOnly.checked,
      locked: this.locked.checked,
      links: this.links.checked,
      link_domains: lines(this.domains.value),
      blocked_terms: lines(this.blocked.value),
      allowed_terms: lines(this.allowed.value),
    });
  }

  private setDirty(dirty: boolean): void {
    this.dirty = dirty;
    this.discard.disabled = !dirty;
  }

  private async submit(): Promise<void> {
    if (!this.ctx) return;
    const rules = this.read();
    const answer = await this.ctx.act(t("act.save_settings"), "mod.rules", { ...rules }, {
      reason: false, button: this.save, done: () => t("done.settings_saved"),
    });
    if (answer?.rules) {
      this.current = { ...DEFAULT_RULES, ...answer.rules };
      this.fill(this.current);
    }
  }
}

function lines(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const term = line.trim();
    if (term) seen.add(term);
  }
  return [...seen];
}

function normalise(rules: ChatRules): ChatRules {
  return {
    slow_mode_s: Math.round(rules.slow_mode_s ?? 0),
    members_only: !!rules.members_only,
    emote_only: !!rules.emote_only,
    locked: !!rules.locked,
    links: !!rules.links,
    link_domains: rules.link_domains ?? [],
    blocked_terms: rules.blocked_terms ?? [],
    allowed_terms: rules.allowed_terms ?? [],
  };
}
