// The medicines reconciliation section of the document view (issue 13): the hospital's line,
// the practice's line and what changed, side by side, with one decision per row, then the
// sign-off (pharmacist or GP). The core decides and may refuse; the window says why.
import type { CurrentUser } from "../bindings/CurrentUser";
import type { MedChoice } from "../bindings/MedChoice";
import type { MedIntent } from "../bindings/MedIntent";
import type { MedrecView } from "../bindings/MedrecView";
import { formatDateTime, formatDayLong, ukDay } from "../lib/format";
import { tag } from "../lib/labels";
import {
  CHOICES,
  confirmUnchangedState,
  decisionProblem,
  dueLine,
  dueState,
  followUpField,
  followUpWords,
  INTENTS,
  listLine,
  listStaleness,
  readFollowUpDue,
  rowModels,
  signOffState,
  type RowModel,
  type Side,
} from "../lib/medrec";
import { personLabel } from "../lib/workflow";
import { h } from "../widgets/dom";

export interface MedrecHandlers {
  /** `followUpDue`: the follow-up task's day (`yyyy-mm-dd`), or null for the default. */
  decide: (row: string, choice: MedChoice, intent: MedIntent | null, note: string | null, followUpDue: string | null) => void;
  signOff: () => void;
  /** Records every undecided unchanged row as "Keep practice version" (confirmed unchanged). */
  confirmUnchanged?: () => void;
  /** Opens the printable summary. */
  summary?: () => void;
  /** Saves the signed-off reconciled list as FHIR. */
  export?: () => void;
}

/** What the last export said (the path saved, or why not), shown under the buttons. */
export type MedrecStatus = { text: string; error: boolean };

export interface MedrecContext {
  view: MedrecView;
  user: CurrentUser | null;
  today: Date;
  /** A message to show at the top of the section (e.g. "reloaded: it changed elsewhere"). */
  notice?: string | null;
  /** The practice list version the sign-off wrote (from the document's events). */
  newListVersion?: number | null;
  /** The last export's result. */
  status?: MedrecStatus | null;
}

/** The column names, also shown as each cell's label when the table is stacked in a narrow pane. */
const COLUMNS = ["Hospital's wording", "Practice's wording", "What changed", "Decision"] as const;

function sideCell(side: Side | null, empty: string, testid: string, label: string): HTMLElement {
  if (!side) return h("td", { class: "app-medrec__cell app-medrec__none", "data-testid": testid, "data-label": label }, empty);
  return h(
    "td",
    { class: "app-medrec__cell", "data-testid": testid, "data-label": label },
    h("strong", { class: "app-medrec__name" }, side.name),
    side.dose ? h("span", { class: "app-medrec__line" }, side.dose) : h("span", { class: "app-medrec__line app-medrec__missing" }, "No dose given"),
    side.route ? h("span", { class: "app-medrec__line" }, `Route: ${side.route}`) : null,
    side.status ? h("span", { class: "app-medrec__line app-medrec__status" }, side.status) : null,
    side.reason ? h("span", { class: "app-medrec__line" }, `Reason: ${side.reason}`) : null,
  );
}

/** The follow-up a decided row opened: what, when, and open or done by whom. */
function followUpLine(r: RowModel, base: string, today: Date): HTMLElement | null {
  const f = r.record ? followUpWords(r.record) : null;
  if (!f) return null;
  const overdue = f.open && dueState(f.due, today) === "overdue";
  return h(
    "div",
    { class: `app-medrec__followup${f.open ? " app-medrec__followup--open" : ""}` },
    h("p", { class: "app-medrec__followup-text", id: `${base}-follow-up`, tabindex: "-1", "data-testid": "medrec-follow-up" }, f.text),
    overdue ? tag("Overdue", "red", "app-tag--small app-medrec__followup-overdue") : null,
  );
}

function decisionCell(r: RowModel, ctx: MedrecContext, handlers: MedrecHandlers): HTMLElement {
  const cell = h("td", { class: "app-medrec__cell app-medrec__decide", "data-label": COLUMNS[3] });
  const base = `medrec-${r.key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  if (r.decided && r.decision) cell.append(h("p", { class: "app-medrec__decision", "data-testid": "medrec-decision" }, r.decision));
  const followUp = followUpLine(r, base, ctx.today);
  if (followUp) cell.append(followUp);
  if (ctx.view.signed_off || !ctx.user) {
    if (!r.decided) cell.append(h("p", { class: "app-muted" }, ctx.user ? "No decision." : "Choose who is working to decide."));
    return cell;
  }
  const was = r.record;
  const error = h("p", { class: "nhsuk-error-message app-work__error", id: `${base}-error`, hidden: true });
  const choice = h(
    "select",
    { class: "nhsuk-select app-medrec__select", id: `${base}-choice`, "data-testid": "medrec-choice", "aria-describedby": `${base}-error` },
    h("option", { value: "" }, "Choose a decision…"),
    CHOICES.map((c) => h("option", { value: c.id, selected: was?.choice === c.id }, c.label)),
  );
  const intent = h(
    "select",
    { class: "nhsuk-select app-medrec__select", id: `${base}-intent`, "data-testid": "medrec-intent" },
    h("option", { value: "" }, "Intent: not stated"),
    INTENTS.map((c) => h("option", { value: c.id, selected: was?.intent === c.id }, c.label)),
  );
  const note = h("input", { class: "nhsuk-input app-medrec__note", id: `${base}-note`, type: "text", autocomplete: "off", "data-testid": "medrec-note" });
  note.value = was?.note ?? "";
  // The follow-up's day: shown for a query to the hospital, and for an on-hold medicine the
  // practice keeps or takes (a review of its restart); it opens a task for the person deciding.
  const dueId = `${base}-due`;
  const dueHint = h("span", { class: "app-medrec__hint", id: `${dueId}-hint` });
  const dueError = h("p", { class: "nhsuk-error-message app-work__error", id: `${dueId}-error`, hidden: true });
  const due = h("input", {
    class: "nhsuk-input app-medrec__date",
    id: dueId,
    type: "date",
    min: ukDay(ctx.today),
    autocomplete: "off",
    "data-testid": "medrec-follow-up-due",
    "aria-describedby": `${dueId}-hint ${dueId}-error`,
  });
  // The day in words beside the input: a date input shows the computer's locale (05/12 or 12/05).
  const dueWords = h("span", { class: "app-medrec__date-words", id: `${dueId}-words`, "data-testid": "medrec-follow-up-words" });
  due.setAttribute("aria-describedby", `${dueId}-words ${dueId}-hint ${dueId}-error`);
  const dueField = h(
    "div",
    { class: "app-medrec__field app-medrec__field--due", hidden: true },
    h("label", { class: "app-medrec__label app-medrec__label--strong", for: dueId }, "Follow-up due"),
    dueHint,
    dueError,
    h("span", { class: "app-medrec__date-line" }, due, dueWords),
  );
  const showWords = () => (dueWords.textContent = due.value ? formatDayLong(due.value) : "Default date");
  let dueTyped = false;
  const typed = () => {
    dueTyped = true;
    showWords();
  };
  due.addEventListener("input", typed);
  due.addEventListener("change", typed);
  const showFollowUp = () => {
    const f = followUpField(choice.value, r.category, ctx.today, was);
    dueField.hidden = !f.show;
    if (!f.show) return;
    dueHint.textContent = f.hint ?? "";
    // What the person chose stays; otherwise the default follows the decision chosen.
    if (!dueTyped && f.due) due.value = f.due;
    showWords();
  };
  // Typing a letter on a closed select changes it without always firing "change" at once.
  choice.addEventListener("change", showFollowUp);
  choice.addEventListener("input", showFollowUp);
  choice.addEventListener("keyup", showFollowUp);
  showFollowUp();
  const form = h(
    "form",
    { class: "app-medrec__form", "data-testid": "medrec-form" },
    error,
    h(
      "div",
      { class: "app-medrec__field app-medrec__field--choice" },
      h("label", { class: "nhsuk-u-visually-hidden", for: choice.id }, "Decision"),
      choice,
    ),
    h(
      "div",
      { class: "app-medrec__field app-medrec__field--intent" },
      h("label", { class: "nhsuk-u-visually-hidden", for: intent.id }, "Intent"),
      intent,
    ),
    h("div", { class: "app-medrec__field app-medrec__field--note" }, h("label", { class: "app-medrec__label", for: note.id }, "Note (required to query the hospital)"), note),
    dueField,
    h("button", { type: "submit", class: "app-button app-medrec__save", "data-testid": "medrec-save" }, r.decided ? "Change the decision" : "Decide"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.hidden = true;
    dueError.hidden = true;
    const problem = decisionProblem(choice.value, note.value);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      (choice.value ? note : choice).focus();
      return;
    }
    let followUpDue: string | null = null;
    if (!dueField.hidden) {
      // A date input holds "" while what is typed is not a whole date: say so, do not guess.
      const read = due.validity?.badInput ? { ok: false as const, error: "Enter the whole date (day, month and year), or clear it for the default." } : readFollowUpDue(due.value, ctx.today);
      if (!read.ok) {
        dueError.textContent = read.error;
        dueError.hidden = false;
        due.focus();
        return;
      }
      followUpDue = read.due;
    }
    handlers.decide(r.key, choice.value as MedChoice, (intent.value || null) as MedIntent | null, note.value.trim() || null, followUpDue);
  });
  // A decided row keeps its form folded away: the decision is what the pharmacist reads.
  cell.append(r.decided ? h("details", { class: "app-medrec__change" }, h("summary", {}, "Change this decision"), form) : form);
  return cell;
}

function row(r: RowModel, ctx: MedrecContext, handlers: MedrecHandlers): HTMLElement {
  return h(
    "tr",
    {
      class: `app-medrec__row app-medrec__row--${r.risk}${r.category === "omission" ? " app-medrec__row--omission" : ""}${r.decided ? " app-medrec__row--decided" : ""}`,
      "data-medrec-row": r.key,
      "data-category": r.category,
      "data-undecided": r.decided ? "false" : "true",
    },
    sideCell(r.hospital, r.category === "omission" ? "Not on the discharge: neither continued nor stopped" : "Not on the hospital's lists", "medrec-hospital", COLUMNS[0]),
    sideCell(r.practice, "Not on the practice list", "medrec-practice", COLUMNS[1]),
    h(
      "td",
      { class: "app-medrec__cell app-medrec__what", "data-testid": "medrec-change", "data-label": COLUMNS[2] },
      r.risk === "high" ? h("strong", { class: "app-medrec__category app-medrec__category--high" }, r.category === "omission" ? `⚠ ${r.categoryText}` : r.categoryText) : h("span", { class: "app-medrec__category" }, r.categoryText),
      r.detail ? h("span", { class: "app-medrec__line" }, r.detail) : null,
      r.flags.length ? h("span", { class: "app-medrec__flags" }, r.flags.map((f) => tag(f, "orange", "app-medrec__flag"))) : null,
      r.others.length ? h("span", { class: "app-medrec__line" }, `Could also be: ${r.others.join("; ")}`) : null,
    ),
    decisionCell(r, ctx, handlers),
  );
}

/** Print summary, and (once signed off) the FHIR export, with what the last export said. */
function outputTools(ctx: MedrecContext, handlers: MedrecHandlers): HTMLElement {
  const status = ctx.status ?? null;
  return h(
    "div",
    { class: "app-medrec__output" },
    h(
      "div",
      { class: "app-work__buttons" },
      h(
        "button",
        { type: "button", class: "app-button app-button--secondary", id: "medrec-summary-open", "data-testid": "medrec-summary", "aria-haspopup": "dialog", onclick: () => handlers.summary?.() },
        "Print summary",
      ),
      ctx.view.signed_off
        ? h("button", { type: "button", class: "app-button app-button--secondary", id: "medrec-export", "data-testid": "medrec-export", onclick: () => handlers.export?.() }, "Export reconciled list (FHIR)")
        : null,
    ),
    h(
      "p",
      { class: `app-medrec__result${status?.error ? " app-medrec__result--error" : ""}`, id: "medrec-export-result", role: "status", "data-testid": "medrec-export-result" },
      status?.text ?? "",
    ),
  );
}

/** The section (for a document with medicines). */
export function renderMedrec(ctx: MedrecContext, handlers: MedrecHandlers): HTMLElement {
  const { view, today } = ctx;
  const section = h("section", { class: "app-medrec", id: "medrec", "aria-labelledby": "medrec-title", "data-jump": "medrec section", "data-testid": "medrec" });
  section.append(h("h3", { class: "app-section__title app-medrec__title", id: "medrec-title", tabindex: "-1" }, "Medicines reconciliation"));
  if (ctx.notice) section.append(h("p", { class: "nhsuk-error-message app-medrec__notice", role: "alert", "data-testid": "medrec-notice" }, ctx.notice));
  const listed = listLine(view, today);
  if (!listed) {
    section.append(h("p", { class: "app-medrec__nolist", "data-testid": "medrec-no-list" }, "No practice medication list for this patient: import it with handover medlist import"));
    return section;
  }
  const due = dueLine(view, today);
  const rows = rowModels(view);
  const omissions = rows.filter((r) => r.category === "omission").length;
  section.append(
    h(
      "p",
      { class: "app-medrec__meta" },
      h("span", { "data-testid": "medrec-list" }, `Compared with the ${listed}.`),
      " ",
      h("strong", { class: due.overdue ? "app-medrec__due app-medrec__due--overdue" : "app-medrec__due", "data-testid": "medrec-due" }, due.text),
      " ",
      h("span", { class: "app-medrec__count", "data-testid": "medrec-undecided" }, view.undecided ? `${rows.length - view.undecided} of ${rows.length} rows decided` : `All ${rows.length} rows decided`),
    ),
  );
  const stale = listStaleness(view, today);
  if (stale.text) {
    // The same words as `stale.text`, the date kept on one line.
    const [before, after] = stale.asOf ? stale.text.split(stale.asOf, 2) : [stale.text, ""];
    section.append(
      h(
        "div",
        { class: "app-medrec__stale", "data-testid": "medrec-list-stale" },
        h("strong", {}, "Practice list out of date: "),
        before,
        stale.asOf && after !== undefined ? [h("span", { class: "app-nowrap" }, stale.asOf), after] : null,
      ),
    );
  }
  if (omissions && !view.signed_off) {
    section.append(h("p", { class: "app-medrec__warning" }, `${omissions} ${omissions === 1 ? "medicine is" : "medicines are"} on the practice list but missing from the discharge: check with the hospital whether ${omissions === 1 ? "it was" : "they were"} meant to stop.`));
  }
  const confirm = confirmUnchangedState(view, ctx.user);
  if (confirm.show) {
    section.append(
      h(
        "div",
        { class: "app-work__buttons app-medrec__bulk" },
        h(
          "button",
          { type: "button", class: "app-button app-button--secondary", id: "medrec-confirm-unchanged", "data-testid": "medrec-confirm-unchanged", "aria-describedby": "medrec-confirm-unchanged-hint", onclick: () => handlers.confirmUnchanged?.() },
          `Confirm all unchanged (${confirm.count})`,
        ),
        h(
          "span",
          { class: "app-medrec__reason", id: "medrec-confirm-unchanged-hint" },
          `Records each of the ${confirm.count} unchanged ${confirm.count === 1 ? "row" : "rows"} without a decision as “Keep practice version” (confirmed unchanged).`,
        ),
      ),
    );
  }
  section.append(
    h(
      "div",
      { class: "app-medrec__scroll" },
      h(
        "table",
        { class: "app-medrec__table", "data-testid": "medrec-table" },
        h("caption", { class: "nhsuk-u-visually-hidden" }, "Discharge medicines against the practice list, one row each"),
        h("thead", {}, h("tr", {}, COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((r) => row(r, ctx, handlers))),
      ),
    ),
  );
  if (view.signed_off) {
    section.append(
      h(
        "div",
        { class: "app-medrec__signed", "data-testid": "medrec-signed-off", tabindex: "-1", id: "medrec-signed" },
        h("strong", {}, `Signed off by ${personLabel(view.signed_off.by, view.signed_off.role)}, ${formatDateTime(view.signed_off.at)}.`),
        ctx.newListVersion
          ? ` The reconciled list is now the practice list's version ${ctx.newListVersion} (compared with the ${listed}).`
          : ` The reconciled list is now the practice list's next version (compared with the ${listed}).`,
      ),
    );
    section.append(outputTools(ctx, handlers));
    return section;
  }
  const sign = signOffState(view, ctx.user);
  if (sign.show) {
    const reasonId = "medrec-signoff-reason";
    section.append(
      h(
        "div",
        { class: "app-work__buttons app-medrec__signoff" },
        h(
          "button",
          { type: "button", class: "app-button", id: "medrec-signoff", "data-testid": "medrec-signoff", "aria-disabled": sign.enabled ? null : "true", "aria-describedby": sign.reason ? reasonId : null, onclick: () => (sign.enabled ? handlers.signOff() : undefined) },
          "Sign off the reconciliation",
        ),
        sign.reason ? h("span", { class: "app-medrec__reason", id: reasonId }, sign.reason) : null,
      ),
    );
  } else if (sign.reason) {
    section.append(h("p", { class: "app-muted app-medrec__reason" }, sign.reason));
  }
  section.append(outputTools(ctx, handlers));
  return section;
}

/** The section when the reconciliation could not be read. */
export function renderMedrecError(message: string): HTMLElement {
  return h("section", { class: "app-medrec", id: "medrec", "aria-label": "Medicines reconciliation", "data-jump": "medrec section" }, h("p", { class: "nhsuk-error-message", role: "alert" }, `The medicines reconciliation could not be read: ${message}`));
}
