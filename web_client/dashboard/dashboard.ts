/**
 * The analytics dashboard at /dashboard/ (docs/analytics.md): for the tenant's moderators
 * and admins, with the moderation panel's sign-in (a pasted token or `#token=`, kept in
 * this tab's sessionStorage under the panel's key, so a tab signed in to one is signed in
 * to the other). Charts of the analytics REST API over a time range, for the tenant, a
 * party or a media item: viewers over time, retention by media position, key moments,
 * the invite funnel, top parties and media; each with a caption, a data table and a CSV.
 *
 * For automated tests: `body[data-state]` is signin, connecting, not_staff or ready;
 * `body[data-loading]` is "true" while charts load; `body[data-loads]` counts loads done.
 */
import { SocialSync, SocialSyncError } from "../src/index";
import { elementById, h, setText } from "../ui/dom";
import { staffToken } from "../ui/staff-token";
import { Api, ApiError, type ConcurrencyAnswer, type FunnelsAnswer, type MomentsAnswer, type Params,
  type Ranked, type RetentionAnswer, type SummaryAnswer, type TopAnswer } from "./api";
import { ChartCard } from "./charts";
import { amount, bucketFor, concurrencyStep, customWindow, presetWindow, RANGE_KEYS, type RangeKey, watchTime,
  type Window } from "./data";
import { i18n, t, translatePage } from "./i18n";
import { showConcurrency, showFunnels, showMoments, showRetention, showTop, when } from "./views";

/** The moderation panel's key: one sign-in for both pages (moderation/panel.ts). */
const STAFF_ROLES = ["moderator", "admin"];
/** Parties and media items offered in the selectors, at most (the most watched in the range). */
const CHOICES = 50;

type State = "loading" | "signin" | "connecting" | "not_staff" | "ready";

const byId = <T extends HTMLElement>(id: string) => elementById<T>(id, "dashboard");
const ui = {
  who: byId<HTMLElement>("who"),
  whoName: byId<HTMLElement>("who-name"),
  whoRoles: byId<HTMLElement>("who-roles"),
  signOut: byId<HTMLButtonElement>("sign-out"),
  signin: byId<HTMLElement>("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  tokenInput: byId<HTMLTextAreaElement>("token-input"),
  signinButton: byId<HTMLButtonElement>("signin-button"),
  signinError: byId<HTMLElement>("signin-error"),
  roleNotice: byId<HTMLElement>("role-notice"),
  workspace: byId<HTMLElement>("workspace"),
  filters: byId<HTMLFormElement>("filters"),
  range: byId<HTMLSelectElement>("range"),
  customFrom: byId<HTMLElement>("custom-from"),
  customTo: byId<HTMLElement>("custom-to"),
  since: byId<HTMLInputElement>("since"),
  until: byId<HTMLInputElement>("until"),
  party: byId<HTMLSelectElement>("party"),
  media: byId<HTMLSelectElement>("media"),
  apply: byId<HTMLButtonElement>("apply"),
  filtersError: byId<HTMLElement>("filters-error"),
  status: byId<HTMLElement>("status"),
  kpis: byId<HTMLElement>("kpi-list"),
  cards: byId<HTMLElement>("cards"),
};

function setState(state: State): void {
  document.body.dataset.state = state;
}

function describe(err: unknown): string {
  if (err instanceof ApiError || err instanceof SocialSyncError) {
    const detail = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
    return detail && detail !== err.code ? `${detail} (${err.code})` : err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

function showSignIn(error = ""): void {
  setState("signin");
  ui.signin.hidden = false;
  ui.workspace.hidden = true;
  ui.who.hidden = true;
  ui.roleNotice.hidden = true;
  ui.signinButton.disabled = false;
  setText(ui.signinError, error);
  ui.tokenInput.focus();
}

/** The panel's sign-in: the token is checked by connecting with it, which also names the person. */
async function signIn(token: string): Promise<void> {
  setState("connecting");
  ui.signinButton.disabled = true;
  setText(ui.signinError, "");
  let client: SocialSync;
  try {
    client = await SocialSync.connect({ url: location.origin, auth: { token } });
  } catch (err) {
    if (err instanceof SocialSyncError && err.code === "unauthorized") staffToken.forget();
    showSignIn(t("signin.failed", { error: describe(err) }));
    return;
  }
  const user = client.user;
  client.close(); // the dashboard reads REST; the socket only said who this is
  staffToken.set(token);
  ui.signin.hidden = true;
  ui.tokenInput.value = "";
  const roles = user?.roles ?? [];
  setText(ui.whoName, user?.name ?? "?");
  ui.whoRoles.replaceChildren(...roles.map((r) => h("span", { class: "db-badge", "data-role": r }, t("who.role", { role: r }))));
  ui.who.hidden = false;
  if (!roles.some((r) => STAFF_ROLES.includes(r))) {
    setText(ui.roleNotice, t("who.not_staff", { roles: roles.join(", "), hasRoles: roles.length ? "yes" : "no" }));
    ui.roleNotice.hidden = false;
    setState("not_staff");
    return;
  }
  void new Dashboard(token).start();
}

// ---------------------------------------------------------------------------- the dashboard

interface Filters {
  range: RangeKey;
  since: number;
  until: number;
  party: string;
  media: string;
}

class Dashboard {
  private readonly api: Api;
  /** The server's clock minus this browser's (ms), once known: the ranges end at the server's now. */
  private offsetMs: number | null = null;
  private loads = 0;
  private seq = 0;
  private partyNames = new Map<string, string>();
  private media = new Map<string, Ranked>();
  private readonly cards = {
    concurrency: this.card("concurrency", "concurrency.title", "concurrency", { wide: true }),
    retention: this.card("retention", "retention.title", "retention"),
    moments: this.card("moments", "moments.title", "moments"),
    parties: this.card("parties", "top.parties_title", "top"),
    media: this.card("media", "top.media_title", "top"),
    funnel: this.card("funnel", "funnel.title", "funnels", { wide: true }),
  };

  constructor(token: string) {
    this.api = new Api(token, () => {
      staffToken.forget();
      showSignIn(t("signin.expired"));
    });
    ui.cards.replaceChildren(...Object.values(this.cards).map((c) => c.el));
  }

  private card(key: string, title: Parameters<typeof t>[0], endpoint: string, options: { wide?: boolean } = {}) {
    return new ChartCard(() => this.api, { key, title: t(title), endpoint, ...options });
  }

  async start(): Promise<void> {
    ui.workspace.hidden = false;
    ui.range.replaceChildren(...RANGE_KEYS.map((key) => h("option", { value: key }, t("filters.range_option", { range: key }))));
    ui.party.replaceChildren(h("option", { value: "" }, t("filters.all_parties")));
    ui.media.replaceChildren(h("option", { value: "" }, t("filters.all_media")));
    const asked = this.fromUrl();
    ui.range.value = asked.range;
    this.showCustom();
    ui.range.addEventListener("change", () => this.showCustom());
    ui.filters.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.learnNow().then((known) => {
        const filters = known ? this.read() : null;
        if (filters) void this.load(filters);
      });
    });
    const known = await this.learnNow();
    setState("ready");
    if (!known) return; // said in the status line; "Show" tries again
    if (asked.range === "custom") {
      ui.since.value = localInput(asked.since);
      ui.until.value = localInput(asked.until);
    }
    const filters = this.read(asked);
    if (filters) await this.load(filters);
  }

  /** The server's now (the ranges end there: this browser's clock may be off), asked once. */
  private async learnNow(): Promise<boolean> {
    if (this.offsetMs !== null) return true;
    ui.apply.disabled = true;
    setText(ui.status, t("status.loading"));
    try {
      const probe = await this.api.json<SummaryAnswer>("summary", {});
      this.offsetMs = probe.range.until - 1 - Date.now();
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setText(ui.status, t("status.failed", { error: describe(err) }));
      return false;
    } finally {
      ui.apply.disabled = false;
    }
  }

  private now(): number {
    return Date.now() + (this.offsetMs ?? 0);
  }

  private showCustom(): void {
    const custom = ui.range.value === "custom";
    ui.customFrom.hidden = ui.customTo.hidden = !custom;
    if (custom && !ui.since.value) {
      const w = presetWindow("d7", this.now());
      ui.since.value = localInput(w.since);
      ui.until.value = localInput(w.until);
    }
  }

  private fromUrl(): Filters {
    const q = new URLSearchParams(location.search);
    const range = (RANGE_KEYS as readonly string[]).includes(q.get("range") ?? "") ? q.get("range") as RangeKey : "h24";
    return {
      range, since: Number(q.get("since")), until: Number(q.get("until")),
      party: q.get("party") ?? "", media: q.get("media") ?? "",
    };
  }

  /** The form as filters (null, and the error said, when the dates are unusable). */
  private read(asked?: Filters): Filters | null {
    setText(ui.filtersError, "");
    const range = ui.range.value as RangeKey;
    let w: Window | null;
    if (range === "custom") {
      w = customWindow(new Date(ui.since.value).getTime(), new Date(ui.until.value).getTime());
      if (!w) {
        setText(ui.filtersError, t("filters.bad_range"));
        return null;
      }
    } else {
      w = presetWindow(range, this.now());
    }
    return { range, ...w, party: asked?.party ?? ui.party.value, media: asked?.media ?? ui.media.value };
  }

  private toUrl(f: Filters): void {
    const q = new URLSearchParams(location.search);
    for (const name of ["range", "since", "until", "party", "media"]) q.delete(name);
    q.set("range", f.range);
    if (f.range === "custom") {
      q.set("since", String(f.since));
      q.set("until", String(f.until));
    }
    if (f.party) q.set("party", f.party);
    if (f.media) q.set("media", f.media);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  async load(f: Filters): Promise<void> {
    const seq = ++this.seq;
    this.toUrl(f);
    document.body.dataset.loading = "true";
    ui.apply.disabled = true;
    setText(ui.status, t("status.loading"));
    const window = { since: f.since, until: f.until };
    const scope: Params = { ...window, party: f.party || null, media: f.media || null };
    const step = concurrencyStep(f.until - f.since);
    const current = () => seq === this.seq;
    const tasks = [
      this.summary(scope, current),
      this.run(this.cards.concurrency, "concurrency", { ...scope, step_s: step }, current,
        (a: ConcurrencyAnswer) => showConcurrency(this.cards.concurrency, a, step)),
      this.run(this.cards.funnel, "funnels", scope, current, (a: FunnelsAnswer) => showFunnels(this.cards.funnel, a)),
      this.choicesAndTop(f, scope, current),
    ];
    await Promise.all(tasks);
    if (!current()) return;
    ui.apply.disabled = false;
    document.body.dataset.loading = "false";
    document.body.dataset.loads = String(++this.loads);
    setText(ui.status, t("status.loaded", { scope: this.scopeWords(f), from: when(f.since), to: when(f.until) }));
  }

  private scopeWords(f: Filters): string {
    const party = f.party ? this.partyNames.get(f.party) ?? f.party : "";
    const media = f.media ? this.mediaName(f.media) : "";
    const kind = f.party && f.media ? "both" : f.party ? "party" : f.media ? "media" : "all";
    return t("status.scope", { kind, name: kind === "party" ? party : media, party });
  }

  /** Load one chart: its card says loading, then shows the answer or the refusal. */
  private async run<T>(card: ChartCard, endpoint: string, params: Params, current: () => boolean,
    show: (answer: T) => void): Promise<T | null> {
    card.loading(params);
    try {
      const answer = await this.api.json<T>(endpoint, params);
      if (current()) show(answer);
      return answer;
    } catch (err) {
      if (current()) card.failed(describe(err));
      return null;
    }
  }

  private async summary(scope: Params, current: () => boolean): Promise<void> {
    let answer: SummaryAnswer;
    try {
      answer = await this.api.json<SummaryAnswer>("summary", scope);
    } catch (err) {
      if (current()) ui.kpis.replaceChildren(h("p", { class: "db-error" }, t("chart.failed", { error: describe(err) })));
      return;
    }
    if (!current()) return;
    const m = answer.metrics;
    const kpi = (key: string, label: Parameters<typeof t>[0], text: string, value: number | null) =>
      h("div", { class: "db-kpi" }, h("dt", null, t(label)),
        h("dd", { "data-kpi": key, "data-value": value === null ? null : String(value) }, text));
    ui.kpis.replaceChildren(
      kpi("sessions", "kpi.sessions", i18n.number(m.sessions), m.sessions),
      kpi("unique_viewers", "kpi.unique_viewers", i18n.number(m.unique_viewers), m.unique_viewers),
      kpi("returning_viewers", "kpi.returning", i18n.number(m.returning_viewers), m.returning_viewers),
      kpi("watch_time_s", "kpi.watch_time", watchTime(m.watch_time_s, i18n), m.watch_time_s),
      kpi("watch_time_per_viewer_s", "kpi.per_viewer", watchTime(m.watch_time_per_viewer_s, i18n),
        m.watch_time_per_viewer_s),
      kpi("peak_viewers", "kpi.peak", i18n.number(m.peak_viewers), m.peak_viewers),
      kpi("average_viewers", "kpi.average", amount(m.average_viewers, i18n), m.average_viewers),
      kpi("session_duration_median_s", "kpi.median_session", watchTime(m.session_duration_median_s, i18n),
        m.session_duration_median_s),
      kpi("average_party_size", "kpi.party_size", amount(m.average_party_size, i18n), m.average_party_size),
      kpi("engagement_per_minute", "kpi.engagement", amount(m.engagement_per_minute, i18n), m.engagement_per_minute),
    );
  }

  /**
   * The selectors' parties and media (the most watched in the range, whatever the scope),
   * the top charts (in the scope), then retention and key moments: of the chosen media
   * item, else of the party's most watched one (the server picks), else of the range's
   * most watched media item.
   */
  private async choicesAndTop(f: Filters, scope: Params, current: () => boolean): Promise<void> {
    const window = { since: f.since, until: f.until };
    const scoped = Boolean(f.party || f.media);
    this.cards.parties.loading({ ...scope, by: "parties", limit: CHOICES });
    this.cards.media.loading({ ...scope, by: "media", limit: CHOICES });
    let parties: TopAnswer, media: TopAnswer;
    try {
      [parties, media] = await Promise.all([
        this.api.json<TopAnswer>("top", { ...window, by: "parties", limit: CHOICES }),
        this.api.json<TopAnswer>("top", { ...window, by: "media", limit: CHOICES }),
      ]);
    } catch (err) {
      if (!current()) return;
      for (const card of [this.cards.parties, this.cards.media, this.cards.retention, this.cards.moments]) {
        card.failed(describe(err));
      }
      return;
    }
    if (!current()) return;
    for (const p of parties.items) this.partyNames.set(p.id, p.about.title || t("filters.untitled", { id: p.id }));
    for (const m of media.items) this.media.set(m.id, m);
    this.fillChoices(ui.party, "filters.all_parties", parties.items.map((p) => p.id), f.party,
      (id) => this.partyNames.get(id) ?? id);
    this.fillChoices(ui.media, "filters.all_media", media.items.map((m) => m.id), f.media, (id) => this.mediaName(id));

    const top = async (by: "parties" | "media") => {
      const card = by === "parties" ? this.cards.parties : this.cards.media;
      const name = (item: Ranked) => (by === "parties" ? this.partyNames.get(item.id) ?? item.about.title ?? item.id
        : this.mediaName(item.id, item));
      if (!scoped) { // the selectors' answers are the charts' too
        showTop(card, (by === "parties" ? parties : media).items, name);
        return;
      }
      await this.run(card, "top", { ...scope, by, limit: CHOICES }, current, (a: TopAnswer) => showTop(card, a.items, name));
    };
    // Which media item retention and key moments are about.
    const mediaId = f.media || (f.party ? "" : media.items[0]?.id ?? "");
    const positions = async () => {
      if (!mediaId && !f.party) {
        this.cards.retention.loading(scope);
        this.cards.moments.loading(scope);
        this.cards.retention.show(t("retention.no_media"), null, { columns: [], rows: [] });
        this.cards.moments.show(t("moments.no_media"), null, { columns: [], rows: [] });
        return;
      }
      const about = { ...scope, media: mediaId || null };
      const retention = await this.run(this.cards.retention, "retention", { ...about, unit: "second" }, current,
        (a: RetentionAnswer) => showRetention(this.cards.retention, a, this.mediaName(a.media ?? mediaId)));
      if (!current()) return;
      const chosen = retention?.media ?? (mediaId || null);
      const bucket = bucketFor(chosen ? this.media.get(chosen)?.about.duration_s : null);
      await this.run(this.cards.moments, "moments", { ...about, media: chosen, bucket_s: bucket, top: 5 }, current,
        (a: MomentsAnswer) => showMoments(this.cards.moments, a, this.mediaName(a.media ?? chosen ?? ""), bucket));
    };
    await Promise.all([top("parties"), top("media"), positions()]);
  }

  private fillChoices(select: HTMLSelectElement, all: "filters.all_parties" | "filters.all_media", ids: string[],
    chosen: string, name: (id: string) => string): void {
    const options = [h("option", { value: "" }, t(all))];
    const listed = chosen && !ids.includes(chosen) ? [chosen, ...ids] : ids;
    for (const id of listed) options.push(h("option", { value: id }, name(id)));
    select.replaceChildren(...options);
    select.value = chosen;
  }

  private mediaName(id: string, item?: Ranked): string {
    const about = (item ?? this.media.get(id))?.about;
    if (about?.title) return about.title;
    if (about?.url) {
      try {
        return decodeURIComponent(new URL(about.url).pathname.split("/").pop() || about.url);
      } catch {
        return about.url;
      }
    }
    return id || t("value.none");
  }
}

/** Epoch ms as a datetime-local input's value (this browser's time zone). */
function localInput(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function main(): void {
  translatePage();
  ui.signOut.addEventListener("click", () => {
    staffToken.forget();
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
  else showSignIn(fromUrl.refused ? t("signin.query_refused") : "");
}

main();
