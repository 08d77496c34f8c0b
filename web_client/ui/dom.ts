/**
 * The only way the widget, the moderation panel and the demo page build DOM. Children
 * that are strings become text nodes, so user-provided text is never parsed as HTML:
 * there is no innerHTML anywhere.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
type Listener = (event: any) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      // "onclick" -> addEventListener("click"): the listener dies with the element.
      el.addEventListener(name.slice(2), value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content with text (user data goes through here or `h`). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

let idCounter = 0;
/** A document-unique id for label/aria wiring (several widgets may share a page). */
export function uid(prefix: string): string {
  idCounter += 1;
  return `ssw-${prefix}-${idCounter}`;
}

/** Owns what a widget part subscribes to, so that destroy() can undo all of it. */
export class Disposer {
  private readonly undo: Array<() => void> = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  add(fn: () => void): void {
    this.undo.push(fn);
  }

  interval(fn: () => void, ms: number): void {
    const id = setInterval(fn, ms);
    this.add(() => clearInterval(id));
  }

  /** A one-shot timer; forgotten once it has run, cancelled by dispose() if not. */
  timeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const id = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.add(id);
    return id;
  }

  clearTimeout(id: ReturnType<typeof setTimeout> | null): void {
    if (id === null) return;
    clearTimeout(id);
    this.timers.delete(id);
  }

  dispose(): void {
    for (const id of this.timers) clearTimeout(id);
    this.timers.clear();
    for (const fn of this.undo.splice(0).reverse()) {
      try {
        fn();
      } catch (err) {
        console.error("socialsync widget: cleanup failed", err);
      }
    }
  }
}

/** The page's element with this id; a missing one is a broken page (`where` names it). */
export function elementById<T extends HTMLElement>(id: string, where: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`${where}: #${id} is missing`);
  return el as T;
}
