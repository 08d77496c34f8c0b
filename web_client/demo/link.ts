/**
 * What the page's address asks for (pure: no DOM, no network): which party (`?party=ID`
 * or an invite link's `?invite=CODE`), a deep link's moment (`?t=` seconds), the
 * platform's tenant (`?tenant=`: its guests, and the frame-ancestors the server sends for
 * it), the language (`?lang=`) and a name that joins at once (`?name=`).
 */
export type Target = { party: string } | { invite: string };

export interface PageLink {
  target: Target | null;
  /** Where a party that has not started yet starts, seconds (protocol 5.3), or null. */
  t: number | null;
  tenant: string | null;
  lang: string | null;
  name: string | null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The server's bound for a position (inbound MAX_POSITION_S). */
const MAX_T = 1e11;

function text(params: URLSearchParams, key: string): string | null {
  return params.get(key)?.trim() || null;
}

/** A deep link's moment: seconds ("90", "90.5"), or 1h2m3s / 2m / 45s as people write them. */
export function parseMoment(value: string | null): number | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  let seconds: number;
  if (/^\d+(\.\d+)?s?$/.test(v)) {
    seconds = parseFloat(v);
  } else {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v);
    if (!m || !(m[1] || m[2] || m[3])) return null;
    seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_T ? seconds : null;
}

export function readLink(url: string): PageLink {
  const params = new URL(url).searchParams;
  const party = text(params, "party");
  const invite = text(params, "invite");
  // An invite link wins over a party id (it is what the friend was sent); a malformed
  // id is no target at all (the page offers to start a party).
  const target: Target | null = invite && ID.test(invite) ? { invite }
    : party && ID.test(party) ? { party } : null;
  return {
    target,
    t: target ? parseMoment(params.get("t")) : null,
    tenant: text(params, "tenant"),
    lang: text(params, "lang"),
    name: text(params, "name"),
  };
}

/**
 * This page's address for `target` (what history.replaceState writes once the party is
 * known): the target, and the page's own `tenant` and `lang` kept (the tenant selects the
 * frame-ancestors a reload is served with); a deep link's `t` and a `name` dropped.
 */
export function pageUrl(current: string, target: Target | null, keep: { lang?: string | null } = {}): string {
  const url = new URL(current);
  const tenant = url.searchParams.get("tenant");
  const lang = keep.lang === undefined ? url.searchParams.get("lang") : keep.lang;
  url.search = "";
  if (target) url.searchParams.set("party" in target ? "party" : "invite", "party" in target ? target.party : target.invite);
  if (tenant) url.searchParams.set("tenant", tenant);
  if (lang) url.searchParams.set("lang", lang);
  url.hash = "";
  return url.href;
}

/** The invitation to send: this page with the target and the tenant (whose guests join),
 * not the sender's language, name or moment. */
export function inviteLink(current: string, target: Target): string {
  const url = new URL(pageUrl(current, target, { lang: null }));
  return url.href;
}
