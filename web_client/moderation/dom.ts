/**
 * The panel builds DOM with the shared helpers (ui/dom.ts): string children become text nodes,
 * so text from users (names, messages, reasons) is never parsed as HTML.
 */
import { elementById } from "../ui/dom";

export { append, h, setText, uid } from "../ui/dom";
export type { Attrs, Child } from "../ui/dom";

export function byId<T extends HTMLElement>(id: string): T {
  return elementById<T>(id, "moderation panel");
}
