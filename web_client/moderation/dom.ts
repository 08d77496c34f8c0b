/**
 * The panel builds DOM with the widget's helpers: string children become text nodes,
 * so text from users (names, messages, reasons) is never parsed as HTML.
 */
export { append, h, setText } from "../widget/dom";
export type { Attrs, Child } from "../widget/dom";

export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`moderation panel: #${id} is missing`);
  return el as T;
}
