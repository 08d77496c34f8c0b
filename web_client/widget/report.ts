import { h, setText, uid } from "../ui/dom";

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
 * characters (the server's bound), then a thank-you in its place. Cancel or Escape
 * closes it and gives the opener (and focus) back. */
export function openReportForm(container: HTMLElement, opener: HTMLButtonElement, o: ReportFormOptions): HTMLFormElement {
  const reasonId = uid("report");
  const reason = h("input", {
    id: reasonId, class: "ssw-input", type: "text", maxlength: 200, required: true,
    placeholder: "Spam, abuse, spoilers…",
  });
  const status = h("p", { class: "ssw-error", role: "alert" });
  const close = () => {
    form.remove();
    opener.hidden = false;
    opener.focus();
  };
  const form = h("form", {
    class: "ssw-report",
    onsubmit: (event: Event) => {
      event.preventDefault();
      const why = reason.value.trim();
      if (!why) {
        setText(status, "Say briefly what is wrong with it.");
        return;
      }
      o.send(why).then(
        () => {
          form.replaceWith(h("p", { class: "ssw-hint", role: "status" }, "Reported. Thank you: a moderator will look at it."));
        },
        (err) => setText(status, o.describe(err)),
      );
    },
    onkeydown: (event: KeyboardEvent) => {
      if (event.key === "Escape") close();
    },
  },
  h("label", { for: reasonId, class: "ssw-label" }, o.label),
  h("div", { class: "ssw-row" },
    reason,
    h("button", { type: "submit", class: "ssw-button ssw-button-small" }, "Report"),
    h("button", { type: "button", class: "ssw-button ssw-button-small", onclick: close }, "Cancel")),
  status);
  container.appendChild(form);
  opener.hidden = true;
  reason.focus();
  return form;
}
