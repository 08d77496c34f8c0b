import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";

export interface ReportFormOptions {
  /** The question the form asks, naming what is reported and whose it is. */
  label: string;
  /** Send the report with the trimmed reason; rejects with the server's refusal. */
  send: (reason: string) => Promise<unknown>;
  /** A refusal in words for the member. */
  describe: (err: unknown) => string;
}

/** The "why are you reporting this?" form of a chat message or a reaction clip, opened
 * in `container` in place of its `opener` button: a required reason of at most 200
 * characters (the server's bound), then a thank-you in its place. Cancel or "Back"
 * (Escape, a remote's Back) closes it and gives the opener (and focus) back. */
export function openReportForm(container: HTMLElement, opener: HTMLButtonElement, ctx: WidgetContext,
  o: ReportFormOptions): HTMLFormElement {
  const { t } = ctx;
  const reasonId = uid("report");
  const reason = h("input", {
    id: reasonId, class: "ssw-input", type: "text", maxlength: 200, required: true,
    placeholder: t("report.placeholder"),
  });
  const status = h("p", { class: "ssw-error", role: "alert" });
  const close = () => {
    form.remove();
    opener.hidden = false;
    opener.focus();
  };
  const form = h("form", {
    class: "ssw-report", "data-ssw-closable": "",
    onsubmit: (event: Event) => {
      event.preventDefault();
      const why = reason.value.trim();
      if (!why) {
        setText(status, t("report.empty"));
        return;
      }
      o.send(why).then(
        () => {
          form.replaceWith(h("p", { class: "ssw-hint", role: "status" }, t("report.thanks")));
        },
        (err) => setText(status, o.describe(err)),
      );
    },
    onkeydown: (event: KeyboardEvent) => {
      if (event.key === "Escape" || event.key === "GoBack" || event.key === "BrowserBack") {
        event.preventDefault();
        close();
      }
    },
  },
  h("label", { for: reasonId, class: "ssw-label" }, o.label),
  h("div", { class: "ssw-row" },
    reason,
    h("button", { type: "submit", class: "ssw-button ssw-button-small" }, t("report.submit")),
    h("button", { type: "button", class: "ssw-button ssw-button-small", onclick: close }, t("report.cancel"))),
  status);
  container.appendChild(form);
  opener.hidden = true;
  reason.focus();
  return form;
}
