import { h, uid } from "./dom";
import { t } from "./i18n";

/**
 * One message's actions in one row: `primary` always in view, `more` inline beside them
 * on a wide screen and behind a "More" button on a narrow one (panel.css), opening
 * below as a second row. Escape (or a remote's Back) closes it and returns to "More".
 */
export function actionRow(label: string, primary: HTMLElement[], more: HTMLElement[]): HTMLElement {
  const id = uid("more");
  const menu = h("div", { id, class: "mp-more-menu", role: "group", "aria-label": t("actions.more_label", { label }) },
    more);
  const toggle = h("button", {
    type: "button", class: "mp-button mp-button-small mp-more-toggle", "aria-expanded": "false", "aria-controls": id,
  }, t("actions.more"));
  const wrap = h("div", { class: "mp-more" }, toggle, menu);
  const setOpen = (open: boolean, focus: "first" | "toggle" | null) => {
    wrap.classList.toggle("mp-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (focus === "first") menu.querySelector<HTMLElement>("button:not(:disabled)")?.focus();
    if (focus === "toggle") toggle.focus();
  };
  toggle.addEventListener("click", () => setOpen(!wrap.classList.contains("mp-open"), "first"));
  menu.addEventListener("keydown", (event: KeyboardEvent) => {
    if (!wrap.classList.contains("mp-open")) return;
    if (event.key === "Escape" || event.key === "GoBack" || event.key === "BrowserBack") {
      event.preventDefault();
      setOpen(false, "toggle");
    }
  });
  return h("div", { class: "mp-actions", role: "group", "aria-label": label }, primary, wrap);
}
