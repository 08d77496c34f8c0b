// The staff sign-in token that the moderation panel and the operators' dashboard share:
// kept in sessionStorage (one tab's life, never in a URL that reaches a server).

const KEY = "socialsync.moderation.token";

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token lives only as long as the page
  }
}

export const staffToken = {
  get(): string | null {
    return storage()?.getItem(KEY) ?? null;
  },
  set(token: string): void {
    storage()?.setItem(KEY, token);
  },
  forget(): void {
    storage()?.removeItem(KEY);
  },
  /**
   * Take `#token=` (the fragment: never sent to a server, so never in a balancer's log)
   * into sessionStorage and out of the address bar and history at once. A `?token=` in
   * the query is refused: it has reached the server's logs already. Both leave the URL.
   */
  fromUrl(): { token: string | null; refused: boolean } {
    const query = new URLSearchParams(location.search);
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    const refused = query.has("token");
    const token = fragment.get("token")?.trim() || null;
    if (refused || fragment.has("token")) {
      query.delete("token");
      fragment.delete("token");
      const rest = query.toString();
      const hash = fragment.toString();
      history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${hash ? `#${hash}` : ""}`);
    }
    if (token) staffToken.set(token);
    return { token, refused };
  },
};
