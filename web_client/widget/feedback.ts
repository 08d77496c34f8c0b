import { SocialSyncError, type FeedbackPrompt } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { describeError } from "./format";
import type { WidgetI18n } from "./i18n";

/** A comment's length, at most (the server's, domain/feedback.py). */
export const MAX_COMMENT = 500;

/** The scores a prompt offers, lowest first: 1–5 (CSAT) or 0–10 (NPS). */
export function scores(prompt: Pick<FeedbackPrompt, "min" | "max">): number[] {
  const out: number[] = [];
  for (let s = prompt.min; s <= prompt.max && out.length < 11; s++) out.push(s);
  return out;
}

/** A score in words, for screen readers: CSAT's five each have a name; NPS's ends do. */
export function scoreLabel(i18n: WidgetI18n, prompt: Pick<FeedbackPrompt, "survey" | "min" | "max">,
  score: number): string {
  if (prompt.survey === "csat") return i18n.t("feedback.csat_score", { score: String(score) });
  const end = score === prompt.min ? "low" : score === prompt.max ? "high" : "none";
  return i18n.t("feedback.nps_score", { score, end });
}

/** What a refused answer tells the viewer. */
export function refusal(err: unknown, i18n: WidgetI18n): string {
  if (err instanceof SocialSyncError) {
    if (err.code === "moderated") return i18n.t("feedback.moderated");
    if (err.code === "not_found") return i18n.t("feedback.expired");
    if (err.code === "conflict") return i18n.t("feedback.thanks");
  }
  return describeError(err, "other", i18n);
}

/**
 * The end-of-party question (protocol 19.2), when the server asks it (`feedback.prompt`,
 * at most once a week): a score (radio buttons: arrow keys move, each named in words),
 * an optional comment, Send or Not now. Answered once with `feedback.send`; the thanks
 * and any refusal are announced.
 */
export function feedbackSection(ctx: WidgetContext, announce: (text: string) => void): HTMLElement {
  const { t, i18n, party } = ctx;
  const headingId = uid("feedback");
  const section = h("section", { class: "ssw-section ssw-feedback", "aria-labelledby": headingId });
  section.hidden = true;
  let expiry: ReturnType<typeof setTimeout> | null = null;
  const close = () => {
    section.hidden = true;
    section.replaceChildren();
    if (expiry !== null) clearTimeout(expiry);
    expiry = null;
  };
  ctx.disposer.add(close);

  function show(prompt: FeedbackPrompt): void {
    const name = uid("feedback-score");
    const alert = h("p", { class: "ssw-error", role: "alert" });
    const status = h("p", { class: "ssw-feedback-status", role: "status" });
    const choices = scores(prompt).map((score) => {
      const input = h("input", { type: "radio", name, value: String(score), class: "ssw-feedback-radio",
        "aria-label": scoreLabel(i18n, prompt, score) });
      return { score, input, label: h("label", { class: "ssw-feedback-score" }, input, h("span", null, String(score))) };
    });
    const scale = h("div", { class: "ssw-feedback-scores", role: "presentation" }, choices.map((c) => c.label));
    // The radio pattern: arrows pick the next score, in the direction they point (so also in
    // right-to-left); handled here so that the widget's arrow navigation leaves them be.
    scale.addEventListener("keydown", (event) => {
      const at = choices.findIndex((c) => c.input === event.target);
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (at < 0 || step === undefined) return;
      const rtl = getComputedStyle(scale).direction === "rtl" && (event.key === "ArrowLeft" || event.key === "ArrowRight");
      const next = choices[Math.min(choices.length - 1, Math.max(0, at + (rtl ? -step : step)))];
      event.preventDefault();
      next.input.checked = true;
      next.input.focus();
    });
    const commentId = uid("feedback-comment");
    const comment = h("textarea", { id: commentId, class: "ssw-input ssw-feedback-comment", rows: 2,
      maxlength: MAX_COMMENT, dir: "auto" });
    const send = h("button", { type: "submit", class: "ssw-button ssw-button-primary" }, t("feedback.send"));
    const later = h("button", { type: "button", class: "ssw-button", onclick: close }, t("feedback.later"));
    const form = h("form", { class: "ssw-feedback-form", novalidate: true },
      h("fieldset", { class: "ssw-fieldset ssw-feedback-scale" },
        h("legend", null, t("feedback.question", { survey: prompt.survey })),
        h("div", { class: "ssw-feedback-range" },
          scale,
          h("p", { class: "ssw-feedback-ends", "aria-hidden": "true" },
            h("span", null, t("feedback.low_end", { survey: prompt.survey })),
            h("span", null, t("feedback.high_end", { survey: prompt.survey }))))),
      h("label", { for: commentId, class: "ssw-feedback-comment-label" }, t("feedback.comment")),
      comment,
      h("div", { class: "ssw-feedback-actions" }, send, later),
      alert);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = choices.find((c) => c.input.checked);
      if (!picked) {
        setText(alert, t("feedback.pick"));
        choices[0]?.input.focus();
        return;
      }
      send.disabled = true;
      const text = comment.value.trim();
      const payload = { prompt: prompt.id, score: picked.score, ...(text ? { comment: text } : {}) };
      party.client.request("feedback.send", payload).then(
        () => thank(status),
        (err) => {
          send.disabled = false;
          const words = refusal(err, i18n);
          if (err instanceof SocialSyncError && err.code === "conflict") thank(status);
          else setText(alert, words);
        },
      );
    });
    section.replaceChildren(h("h3", { id: headingId, class: "ssw-heading" }, t("feedback.heading")), form, status);
    section.hidden = false;
    announce(t("feedback.asked"));
    if (expiry !== null) clearTimeout(expiry);
    expiry = setTimeout(close, Math.max(0, prompt.expires_at - party.serverNow()));
  }

  function thank(status: HTMLElement): void {
    section.querySelector("form")?.remove();
    setText(status, t("feedback.thanks"));
    announce(t("feedback.thanks"));
    if (expiry !== null) clearTimeout(expiry);
    expiry = setTimeout(close, 8_000);
  }

  ctx.disposer.add(party.client.onServerEvent((event, data) => {
    if (event === "feedback.prompt" && data?.party === party.id) show(data as FeedbackPrompt);
  }));
  return section;
}
