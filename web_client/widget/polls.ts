import { SocialSyncError, type PollChange, type PollInfo } from "../src/index";
import { Throttle } from "../ui/announce";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { describeError } from "./format";

/** Live counts are announced to screen readers at most this often. */
export const ANNOUNCE_RESULTS_MS = 10_000;
/** What a host may pick for how long voting lasts (seconds; the server takes 15 to 1800). */
export const POLL_DURATIONS_S = [30, 60, 120, 300, 600];
const MAX_CHOICES = 5;
const MAX_QUESTION = 120;
const MAX_CHOICE = 40;

/** A poll's share of votes for one choice, 0..1. */
export function share(poll: PollInfo, index: number): number {
  return poll.total ? (poll.counts[index] ?? 0) / poll.total : 0;
}

/** A poll's most voted choices (a tie: several; no votes: none), or a resolved prediction's outcome. */
export function leaders(poll: PollInfo): number[] {
  if (poll.kind === "prediction") return poll.outcome === null ? [] : [poll.outcome];
  const top = Math.max(0, ...poll.counts);
  return top ? poll.counts.flatMap((n, i) => (n === top ? [i] : [])) : [];
}

/**
 * The party's poll or prediction: its question, a button per choice (one vote), live bars
 * of the counts and, at the end, the result; announced politely. Hosts, cohosts and
 * moderators start one here, end it early, cancel it, or resolve a prediction.
 */
export function pollsSection(ctx: WidgetContext, announce: (text: string) => void): HTMLElement {
  const { t, i18n, party } = ctx;
  const headingId = uid("poll");
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const heading = h("h3", { id: headingId, class: "ssw-heading" });
  const status = h("p", { class: "ssw-poll-status" });
  const question = h("p", { class: "ssw-poll-question", dir: "auto" });
  const choices = h("ul", { class: "ssw-poll-choices" });
  const runnerActions = h("div", { class: "ssw-poll-actions", role: "group", "aria-labelledby": headingId });
  const card = h("div", { class: "ssw-poll" }, status, question, choices, runnerActions);
  const startButton = h("button", {
    type: "button", class: "ssw-button ssw-poll-start", "aria-expanded": "false",
    onclick: () => showForm(form.hidden),
  }, t("polls.start"));

  const runner = () => !ctx.ended && (ctx.me().role !== "member" || ctx.isStaff());
  const fail = (err: unknown, doing: "vote" | "open" | "run") => setText(alert, refusal(err, doing));

  function refusal(err: unknown, doing: "vote" | "open" | "run"): string {
    if (err instanceof SocialSyncError) {
      if (err.code === "moderated") return t("polls.moderated");
      if (err.code === "conflict" && doing === "vote") {
        return t(err.message.includes("voted") ? "polls.voted_already" : "polls.closed");
      }
      if (err.code === "conflict" && doing === "open") return t("polls.busy");
      if (err.code === "too_large") return t("polls.too_long", { question: MAX_QUESTION, choice: MAX_CHOICE });
    }
    return describeError(err, "other", i18n);
  }

  // ------------------------------------------------------------------ the card
  function renderStatus(poll: PollInfo): void {
    const votes = t("polls.total", { count: poll.total });
    if (poll.status === "open") {
      const left = Math.max(0, (poll.closes_at - party.serverNow()) / 1000);
      setText(status, t("polls.left", { kind: poll.kind, left: i18n.duration(Math.ceil(left)), votes }));
    } else if (poll.status === "locked") {
      setText(status, t("polls.locked", { votes }));
    } else {
      setText(status, t("polls.over", { end: poll.end ?? "completed", votes }));
    }
  }

  function choiceRow(poll: PollInfo, index: number): HTMLLIElement {
    const text = poll.choices[index];
    const mine = party.myVote === index;
    const first = leaders(poll).includes(index) && poll.status === "ended";
    const percent = i18n.number(share(poll, index), { style: "percent" });
    const countId = uid("poll-count");
    const count = h("span", { class: "ssw-poll-count", id: countId },
      t("polls.votes", { count: poll.counts[index] ?? 0, percent }));
    const fill = h("span", { class: "ssw-poll-fill" });
    fill.style.inlineSize = `${Math.round(share(poll, index) * 1000) / 10}%`;
    const badges = [
      mine ? h("span", { class: "ssw-badge ssw-poll-mine" }, t("polls.your_vote")) : null,
      first ? h("span", { class: "ssw-badge ssw-poll-winner" },
        t("polls.winner", { kind: poll.kind })) : null,
    ];
    const label = h("span", { class: "ssw-poll-label", dir: "auto" }, text);
    const body = [h("span", { class: "ssw-poll-line" }, label, badges, count),
      h("span", { class: "ssw-poll-bar", "aria-hidden": "true" }, fill)];
    const votable = poll.status === "open" && party.myVote === null && !ctx.ended;
    const item = votable
      ? h("button", {
        type: "button", class: "ssw-poll-choice", "aria-describedby": countId, "data-choice": index,
        "aria-label": t("polls.vote_label", { choice: text }),
        onclick: () => vote(index),
      }, body)
      : h("div", { class: "ssw-poll-choice", "data-choice": index }, body);
    return h("li", { class: first ? "ssw-poll-row ssw-poll-row-winner" : mine ? "ssw-poll-row ssw-poll-row-mine" : "ssw-poll-row" },
      item);
  }

  function renderActions(poll: PollInfo): void {
    const buttons: HTMLButtonElement[] = [];
    const act = (label: string, run: () => Promise<unknown>, extra = "") =>
      h("button", {
        type: "button", class: `ssw-button ssw-button-small ${extra}`.trim(),
        onclick: () => run().then(() => setText(alert, ""), (err) => fail(err, "run")),
      }, label);
    if (runner() && poll.status === "open") {
      buttons.push(act(t("polls.end", { kind: poll.kind }), () => party.closePoll(), "ssw-poll-end"));
    }
    if (runner() && poll.kind === "prediction" && poll.status !== "ended") {
      poll.choices.forEach((choice, i) =>
        buttons.push(act(t("polls.resolve", { choice }), () => party.resolvePrediction(i), "ssw-poll-resolve")));
    }
    if (runner() && poll.status !== "ended") {
      buttons.push(act(t("polls.cancel", { kind: poll.kind }), () => party.cancelPoll(), "ssw-poll-cancel"));
    }
    runnerActions.replaceChildren(...buttons);
    runnerActions.hidden = !buttons.length;
  }

  function render(): void {
    const poll = party.poll;
    const underWay = !!poll && poll.status !== "ended";
    setText(heading, t("polls.heading", { kind: poll?.kind ?? "poll" }));
    card.hidden = !poll;
    startButton.hidden = !runner() || underWay;
    if (underWay || !runner()) showForm(false);
    section.hidden = !poll && !runner();
    // A poll comes first: above the chat in a narrow widget, atop the side in a wide one.
    section.classList.toggle("ssw-polls-active", !!poll);
    if (!poll) return;
    card.dataset.status = poll.status;
    card.dataset.kind = poll.kind;
    setText(question, poll.question);
    renderStatus(poll);
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.choice;
    choices.replaceChildren(...poll.choices.map((_, i) => choiceRow(poll, i)));
    if (focused !== undefined) {
      // Voting turns the buttons into results: keep the keyboard where it was.
      const again = choices.querySelector<HTMLElement>(`[data-choice="${focused}"]`);
      if (again instanceof HTMLButtonElement) again.focus();
      else if (again) { again.tabIndex = -1; again.focus(); }
    }
    renderActions(poll);
  }

  function vote(index: number): void {
    const poll = party.poll;
    if (!poll) return;
    party.vote(index).then(() => {
      setText(alert, "");
      announce(t("polls.announce_voted", { choice: poll.choices[index] }));
    }, (err) => fail(err, "vote"));
  }

  // ------------------------------------------------------------------ announcements
  const listOf = (poll: PollInfo) =>
    poll.choices.map((choice, i) => t("polls.part", { choice, count: poll.counts[i] ?? 0 })).join(t("list.separator"));
  const spoken = new Throttle<PollInfo>(ANNOUNCE_RESULTS_MS, (polls) => {
    const poll = polls[polls.length - 1];
    if (party.poll?.id === poll.id && party.poll.status === "open") announce(t("polls.announce_results", { list: listOf(poll) }));
  });
  ctx.disposer.add(() => spoken.dispose());

  function said(poll: PollInfo, change: PollChange): void {
    if (change === "opened" || (change === "current" && poll.status === "open")) {
      announce(t("polls.announce_opened", { kind: poll.kind, question: poll.question }));
    } else if (change === "results") {
      spoken.push(poll);
    } else if (change === "locked") {
      spoken.dispose();
      announce(t("polls.announce_locked", { question: poll.question, list: listOf(poll) }));
    } else if (change === "ended") {
      spoken.dispose();
      const winner = leaders(poll).map((i) => poll.choices[i]).join(t("list.separator"));
      announce(t("polls.announce_ended", {
        end: poll.end ?? "completed", kind: poll.kind, question: poll.question, winner,
        hasWinner: winner ? "yes" : "no", list: listOf(poll),
      }));
    }
  }

  // ------------------------------------------------------------------ the form
  const formIds = { question: uid("poll-q"), duration: uid("poll-d"), kind: uid("poll-kind") };
  const kindPoll = h("input", { type: "radio", name: formIds.kind, value: "poll", id: uid("poll-k"), checked: true });
  const kindPrediction = h("input", { type: "radio", name: formIds.kind, value: "prediction", id: uid("poll-k") });
  const questionInput = h("input", {
    id: formIds.question, class: "ssw-input", type: "text", maxlength: MAX_QUESTION, required: true, dir: "auto",
    autocomplete: "off",
  });
  const choiceList = h("ol", { class: "ssw-poll-form-choices" });
  const durationLabel = h("label", { for: formIds.duration });
  const duration = h("select", { id: formIds.duration, class: "ssw-input" },
    POLL_DURATIONS_S.map((s) => h("option", { value: s, selected: s === 60 },
      s < 60 ? t("polls.seconds", { count: s }) : t("polls.minutes", { count: s / 60 }))));
  const addChoice = h("button", {
    type: "button", class: "ssw-button ssw-button-small", onclick: () => addChoiceInput(true),
  }, t("polls.add_choice"));
  const formAlert = h("p", { class: "ssw-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "ssw-button ssw-button-primary" }, t("polls.submit"));

  function addChoiceInput(focus = false): void {
    const n = choiceList.childElementCount + 1;
    const id = uid("poll-c");
    const input = h("input", {
      id, class: "ssw-input ssw-poll-choice-input", type: "text", maxlength: MAX_CHOICE, dir: "auto",
      autocomplete: "off", required: n <= 2,
    });
    choiceList.append(h("li", null, h("label", { for: id, class: "ssw-poll-choice-label" }), input));
    addChoice.hidden = n >= MAX_CHOICES;
    labelChoices();
    if (focus) input.focus();
  }

  const kindNow = (): PollInfo["kind"] => (kindPrediction.checked ? "prediction" : "poll");
  function labelChoices(): void {
    choiceList.querySelectorAll("label").forEach((label, i) =>
      setText(label, t("polls.choice", { kind: kindNow(), n: i + 1 })));
    setText(durationLabel, t("polls.duration", { kind: kindNow() }));
  }
  kindPoll.addEventListener("change", labelChoices);
  kindPrediction.addEventListener("change", labelChoices);

  function resetForm(): void {
    questionInput.value = "";
    choiceList.replaceChildren();
    addChoiceInput();
    addChoiceInput();
    setText(formAlert, "");
  }

  const form = h("form", { class: "ssw-poll-form", "aria-labelledby": headingId, novalidate: true },
    h("fieldset", { class: "ssw-fieldset" },
      h("legend", null, t("polls.kind_legend")),
      h("span", { class: "ssw-toggle" }, kindPoll, h("label", { for: kindPoll.id }, t("polls.kind", { kind: "poll" }))),
      h("span", { class: "ssw-toggle" }, kindPrediction,
        h("label", { for: kindPrediction.id }, t("polls.kind", { kind: "prediction" })))),
    h("label", { for: formIds.question }, t("polls.question")),
    questionInput,
    choiceList,
    addChoice,
    durationLabel,
    duration,
    h("div", { class: "ssw-poll-form-actions" },
      submit,
      h("button", { type: "button", class: "ssw-button", onclick: () => showForm(false, true) }, t("polls.close_form"))),
    formAlert);
  form.hidden = true;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const texts = [...choiceList.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);
    if (!questionInput.value.trim() || texts.length < 2) {
      setText(formAlert, t("polls.incomplete"));
      return;
    }
    submit.disabled = true;
    const seconds = Number(duration.value);
    const opened = kindNow() === "prediction"
      ? party.openPrediction(questionInput.value, texts, seconds)
      : party.openPoll(questionInput.value, texts, seconds);
    opened.then(() => {
      resetForm();
      showForm(false);
    }, (err) => setText(formAlert, refusal(err, "open"))).finally(() => (submit.disabled = false));
  });

  function showForm(show: boolean, refocus = false): void {
    const wasShown = !form.hidden;
    form.hidden = !show;
    startButton.setAttribute("aria-expanded", String(show));
    if (show && !wasShown) questionInput.focus();
    if (!show && refocus) startButton.focus();
  }

  resetForm();
  const section = h("section", { class: "ssw-section ssw-polls", "aria-labelledby": headingId },
    heading, card, startButton, form, alert);

  ctx.on("poll", (poll, change) => {
    render();
    said(poll, change);
  });
  ctx.on("members", render);
  ctx.on("joined", render);
  ctx.on("ended", render);
  ctx.disposer.interval(() => {
    const poll = party.poll;
    if (poll?.status === "open") renderStatus(poll);
  }, 1000);
  render();
  return section;
}
