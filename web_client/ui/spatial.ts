/**
 * Keyboard and TV-remote navigation: the arrow keys move focus to the nearest control
 * in that direction (on screen, so a right-to-left layout needs nothing special),
 * Enter activates (checkboxes and radio buttons too, which a remote has no Space for),
 * and "Back" (Escape, Backspace outside a text field, a remote's Back key) closes what
 * is open or leaves a text field.
 *
 * Text fields keep Left/Right (the caret) and a select keeps its arrows; Up/Down leave a
 * single-line field. A control that handles an arrow itself marks the event handled
 * (preventDefault) and is left alone.
 */

export const FOCUSABLE = [
  "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary",
  "[tabindex]:not([tabindex='-1'])", "[contenteditable=true]",
].join(",");

type Direction = "up" | "down" | "left" | "right";
const ARROWS: Record<string, Direction> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
/** Back on remotes: webOS (461) and Tizen (10009) send key codes, others names. */
const BACK_KEYS = new Set(["Escape", "GoBack", "BrowserBack", "XF86Back", "Back"]);
const BACK_CODES = new Set([461, 10009]);
const TEXT_TYPES = new Set(["text", "search", "url", "email", "tel", "password", "number", ""]);

export function isTextField(el: Element | null): el is HTMLInputElement | HTMLTextAreaElement {
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) return TEXT_TYPES.has(el.type);
  return el instanceof HTMLElement && el.isContentEditable;
}

/** Whether `event` is "Back": Escape, a remote's Back, or Backspace outside a text field (or in an empty one). */
export function isBack(event: KeyboardEvent): boolean {
  if (BACK_KEYS.has(event.key) || BACK_CODES.has(event.keyCode)) return true;
  if (event.key !== "Backspace") return false;
  const target = event.target as Element | null;
  return !isTextField(target) || (target as HTMLInputElement).value === "";
}

function visible(el: HTMLElement): boolean {
  if ((el as HTMLButtonElement).disabled) return false;
  if (el.closest("[inert],[hidden],[aria-hidden=true]")) return false;
  // Inside a closed <details>, only its summary shows.
  const details = el.closest("details");
  if (details && !details.open && el.tagName !== "SUMMARY" && el.closest("summary") === null) return false;
  const rects = el.getClientRects();
  if (!rects.length) return false;
  const style = getComputedStyle(el);
  return style.visibility !== "hidden";
}

/** The candidates of `scope` that are on screen and can take focus. */
export function focusables(scope: ParentNode): HTMLElement[] {
  return [...scope.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(visible);
}

/**
 * The nearest of `candidates` from `from` in `direction`: its centre must lie beyond
 * `from`'s centre that way; distance along the way counts once, off the way three times
 * (so a row's neighbour wins over something far below).
 */
export function nearest(from: DOMRect, candidates: Array<{ el: HTMLElement; rect: DOMRect }>,
  direction: Direction): HTMLElement | null {
  const cx = from.left + from.width / 2;
  const cy = from.top + from.height / 2;
  let best: HTMLElement | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const { el, rect } of candidates) {
    const x = rect.left + rect.width / 2;
    const y = rect.top + rect.height / 2;
    let along: number;
    let across: number;
    switch (direction) {
      case "right": along = rect.left - from.right; across = Math.abs(y - cy); if (x <= cx + 1) continue; break;
      case "left": along = from.left - rect.right; across = Math.abs(y - cy); if (x >= cx - 1) continue; break;
      case "down": along = rect.top - from.bottom; across = Math.abs(x - cx); if (y <= cy + 1) continue; break;
      default: along = from.top - rect.bottom; across = Math.abs(x - cx); if (y >= cy - 1) continue; break;
    }
    // Overlapping rows (along < 0) count as adjacent; for up/down, overlapping columns
    // are straight above or below.
    const overlapX = Math.min(rect.right, from.right) - Math.max(rect.left, from.left);
    if ((direction === "up" || direction === "down") && overlapX > 0) across = 0;
    const score = Math.max(0, along) + 3 * across;
    if (score < bestScore) {
      bestScore = score;
      best = el;
    }
  }
  return best;
}

export interface SpatialOptions {
  /** "Back" pressed on `target`: return true when handled (default: close the enclosing
   * open <details> and focus its summary). */
  onBack?(target: HTMLElement, event: KeyboardEvent): boolean;
}

/** Turn on arrow, Enter and Back navigation inside `root`; returns the off switch. */
export function spatialNavigation(root: HTMLElement, options: SpatialOptions = {}): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (!target) return;

    if (isBack(event)) {
      if (options.onBack?.(target, event)) {
        event.preventDefault();
        return;
      }
      const details = target.closest("details[open]") as HTMLDetailsElement | null;
      if (details && root.contains(details)) {
        details.open = false;
        details.querySelector("summary")?.focus();
        event.preventDefault();
      }
      return;
    }

    if (event.key === "Enter" && target instanceof HTMLInputElement
      && (target.type === "checkbox" || target.type === "radio")) {
      target.click();
      event.preventDefault();
      return;
    }

    const direction = ARROWS[event.key];
    if (!direction || event.shiftKey) return;
    if (target instanceof HTMLSelectElement) return;
    if (target instanceof HTMLInputElement && target.type === "range") return;
    if (isTextField(target)) {
      if (direction === "left" || direction === "right") return;
      if (target instanceof HTMLTextAreaElement) {
        const atStart = target.selectionStart === 0 && target.selectionEnd === 0;
        const atEnd = target.selectionStart === target.value.length;
        if ((direction === "up" && !atStart) || (direction === "down" && !atEnd)) return;
      }
    }
    // An open modal dialog keeps focus inside it.
    const dialog = target.closest("dialog[open]");
    const scope = dialog && root.contains(dialog) ? dialog : root;
    const from = target.getBoundingClientRect();
    const candidates = focusables(scope)
      .filter((el) => el !== target && !el.contains(target))
      .filter((el) => scope === dialog || !el.closest("dialog:not([open])"))
      .map((el) => ({ el, rect: el.getBoundingClientRect() }));
    const next = nearest(from, candidates, direction);
    if (!next) return; // the edge: the page may move on
    event.preventDefault();
    next.focus();
    next.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  };
  root.addEventListener("keydown", onKey);
  return () => root.removeEventListener("keydown", onKey);
}
