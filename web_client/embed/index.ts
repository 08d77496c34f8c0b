/**
 * The one-tag embed, served at /embed/socialsync.js:
 *
 *   <video id="video" src="/films/42.mp4" controls playsinline></video>
 *   <script src="https://sync.example.com/embed/socialsync.js" data-player="#video"
 *           data-token-url="/api/socialsync-token" defer></script>
 *
 * mounts the watch-party widget beside the player, joins the party the page's URL names
 * (`?party=`, `?invite=`, `?t=`) or offers "Start a watch party", and keeps the player in
 * sync. Every setting is a `data-` attribute (docs/embedding.md); there is no inline
 * script to allow in the page's CSP. The stylesheet `socialsync.css` beside this file
 * is added to the page's head (`data-css="off"` to bring your own).
 *
 * For the page's own scripts: `window.SocialSyncEmbed` — `instances` (each has `ready`,
 * a promise of {client, party, engine, player, widget}, `panel` and `destroy()`), and
 * `mount(script, extras)` for a script tag added later or with options that are not
 * attributes (a live player's `programTime`, a player adapter of your own).
 */
import { readConfig } from "./config";
import { Embed, type EmbedExtras } from "./embed";

export { readConfig, inviteLink, parseMoment } from "./config";
export type { EmbedConfig } from "./config";
export type { EmbedExtras, EmbedState, Joined } from "./embed";

interface EmbedApi {
  instances: Embed[];
  mount(script: HTMLScriptElement, extras?: EmbedExtras): Embed;
}

declare global {
  interface Window {
    SocialSyncEmbed?: EmbedApi;
  }
}

const styled = new Set<string>();

function addStylesheet(scriptSrc: string): void {
  const href = new URL("socialsync.css", scriptSrc).href;
  if (styled.has(href) || document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return;
  styled.add(href);
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.appendChild(link);
}

function mount(script: HTMLScriptElement, extras: EmbedExtras = {}): Embed {
  const config = readConfig({ ...script.dataset }, script.src || location.href, location.href);
  if (config.css && script.src) addStylesheet(script.src);
  const embed = new Embed(config, extras, script);
  api.instances.push(embed);
  return embed;
}

function whenReady(fn: () => void): void {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn, { once: true });
  else fn();
}

// A second copy of this file on the page (two tags) shares the first one's API.
const api: EmbedApi = window.SocialSyncEmbed ?? { instances: [], mount };
window.SocialSyncEmbed = api;

// The tag that loaded this file: `currentScript` while it runs (not for modules, nor
// when a page adds the tag later: then call SocialSyncEmbed.mount(script) yourself).
const own = document.currentScript;
if (own instanceof HTMLScriptElement && own.dataset.autoMount !== "false" && own.dataset.autoMount !== "off") {
  whenReady(() => {
    try {
      api.mount(own);
    } catch (err) {
      console.error(err);
    }
  });
}
