// The action panel of the document view: who the document is about on the practice register
// (the match), why it needs a GP's review, every requested action with its decision, who it is
// assigned to, and the notes. Every control names a workflow step; the core decides (and may
// refuse: the window says why). Controls a role may not use are not drawn.
import type { ActionItem } from "../bindings/ActionItem";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { Decision } from "../bindings/Decision";
import type { RegisterPatient } from "../bindings/RegisterPatient";
import type { Role } from "../bindings/Role";
import type { User } from "../bindings/User";
import type { WorkflowView } from "../bindings/WorkflowView";
import type { WorkStep } from "../bindings/WorkStep";
import { age, formatDate, formatDateTime, formatNhsNumber } from "../lib/format";
import { parseUkDate } from "../lib/dates";
import { tag } from "../lib/labels";
import {
  assigneeLabel,
  businessResponseText,
  can,
  decisionText,
  defaultDue,
  isClosed,
  matchHeading,
  namesOf,
  needsGpReview,
  personLabel,
  registrationLabel,
  roleLabel,
  ROLES,
} from "../lib/workflow";
import { clear, h } from "../widgets/dom";
import { renderHistory } from "./history";

export interface WorkHandlers {
  /** Performs `step` on the document; `focus` names the control to focus once it is shown again. */
  step: (step: WorkStep, focus?: string) => void;
}

export interface WorkContext {
  work: WorkflowView;
  /** The document's own patient, to show where a register patient differs from it. */
  patient?: { family: string | null; given: string[]; birth_date: string | null } | null;
  user: CurrentUser | null;
  users: User[];
  today: Date;
}

/** "SMITH, Sam" from a register row. */
export function registerName(p: RegisterPatient): string {
  return [p.family_name.toUpperCase(), p.given_name].filter(Boolean).join(", ");
}

function fieldLine(label: string, value: string | Node): HTMLElement {
  return h("span", { class: "app-field" }, h("span", { class: "app-field__label" }, label), " ", h("span", { class: "app-field__value" }, value));
}

/**
 * Where a register patient differs from the document's patient (birth date, family name), in
 * words, so a person matching by hand sees what they are overriding.
 */
export function differences(p: RegisterPatient, doc: WorkContext["patient"]): string[] {
  if (!doc) return [];
  const out: string[] = [];
  const born = doc.birth_date?.slice(0, 10) ?? null;
  if (born && born !== p.birth_date) out.push(`born ${formatDate(born)} in the document`);
  const family = (doc.family ?? "").trim().toLowerCase();
  if (family && family !== p.family_name.trim().toLowerCase()) out.push(`surname ${doc.family} in the document`);
  return out;
}

/** A register patient in a line: name, NHS number, born, registration. */
export function registerLine(p: RegisterPatient, today: Date, doc: WorkContext["patient"] = null): HTMLElement {
  const years = age(p.birth_date, today);
  const differs = differences(p, doc);
  return h(
    "span",
    { class: "app-work__patient" },
    h("strong", {}, registerName(p)),
    " ",
    fieldLine("NHS No.", formatNhsNumber(p.nhs_number)),
    " ",
    fieldLine("Born", `${formatDate(p.birth_date)}${years ? ` (${years})` : ""}`),
    " ",
    fieldLine("Registration", `${registrationLabel(p.registration)}${p.deceased_date ? `, died ${formatDate(p.deceased_date)}` : ""}`),
    differs.length ? h("strong", { class: "app-work__differs", "data-testid": "differs" }, `Differs: ${differs.join("; ")}`) : null,
  );
}

let formSeq = 0;

/**
 * A small inline form: a labelled text field (or none), optional extra fields and a submit
 * button. Esc cancels it (without leaving the document). `required` refuses an empty text.
 */
function inlineForm(opts: {
  label: string;
  submit: string;
  required: boolean;
  multiline?: boolean;
  extra?: HTMLElement[];
  testid: string;
  onSubmit: (text: string) => void;
  onCancel: () => void;
}): HTMLFormElement {
  const id = `work-field-${++formSeq}`;
  const error = h("p", { class: "nhsuk-error-message app-work__error", id: `${id}-error`, hidden: true });
  const input = opts.multiline
    ? h("textarea", { class: "nhsuk-textarea app-work__input", id, rows: "3", "aria-describedby": `${id}-error` })
    : h("input", { class: "nhsuk-input app-work__input", id, type: "text", autocomplete: "off", "aria-describedby": `${id}-error` });
  const form = h(
    "form",
    { class: "app-work__form", "data-testid": opts.testid },
    opts.extra ?? [],
    h("div", { class: "app-work__field" }, h("label", { class: "nhsuk-label app-work__label", for: id }, opts.label), error, input),
    h(
      "div",
      { class: "app-work__buttons" },
      h("button", { type: "submit", class: "app-button" }, opts.submit),
      h("button", { type: "button", class: "app-button app-button--secondary", onclick: () => opts.onCancel() }, "Cancel"),
    ),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (opts.required && !text) {
      error.textContent = `Give ${opts.label.toLowerCase().replace(/\s*\(.*\)$/, "")}.`;
      error.hidden = false;
      input.focus();
      return;
    }
    opts.onSubmit(text);
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      opts.onCancel();
    }
  });
  return form;
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}, secondary = true): HTMLButtonElement {
  return h("button", { type: "button", class: `app-button${secondary ? " app-button--secondary" : ""}`, onclick: () => onClick(), ...attrs }, label);
}

/** A select of people (profiles; not those the practice removed) and role lanes, for delegating and assigning. */
function whoSelect(id: string, users: User[], me: string | null): HTMLSelectElement {
  const names = namesOf(users);
  return h(
    "select",
    { class: "nhsuk-select app-work__select", id },
    h("option", { value: "" }, "Choose a person or a role…"),
    h("optgroup", { label: "People" }, users.filter((u) => u.name !== me && !u.removed_at).map((u) => h("option", { value: `user:${u.name}` }, personLabel(u.name, u.role, names)))),
    h("optgroup", { label: "Role lanes" }, ROLES.map((r) => h("option", { value: `role:${r.id}` }, `${r.label} lane`))),
  );
}

function readWho(value: string): { to_user: string | null; to_role: Role | null } | null {
  if (value.startsWith("user:")) return { to_user: value.slice(5), to_role: null };
  if (value.startsWith("role:")) return { to_user: null, to_role: value.slice(5) as Role };
  return null;
}

/** Replaces `slot`'s content with `form` and focuses its first field. */
function openForm(slot: HTMLElement, form: HTMLElement): void {
  clear(slot);
  slot.append(form);
  form.querySelector<HTMLElement>("select, input, textarea")?.focus();
}

function closeForm(slot: HTMLElement, focusBack: HTMLElement | null): void {
  clear(slot);
  focusBack?.focus();
}

// ----- the match ----------------------------------------------------------------------------------

function renderMatch(ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  const { work, user, today } = ctx;
  const s = work.state;
  const names = namesOf(ctx.users);
  const slot = h("div", { class: "app-work__formslot" });
  const mayMatch = can(user, "match") && !isClosed(s);
  const mayReject = can(user, "reject") && !isClosed(s);
  const matched = s.match_state === "matched";
  const box = h("div", {
    class: `app-work__box app-work__match app-work__match--${matched ? "ok" : s.match_state === "unchecked" ? "unchecked" : "problem"}`,
    id: "work-match",
    "data-testid": "match-banner",
    "data-match": s.match_state,
    role: "group",
    "aria-labelledby": "work-match-title",
    tabindex: "-1",
  });
  const heading = h("h4", { class: "app-work__heading", id: "work-match-title" }, matchHeading(s.match_state));
  box.append(heading);
  if (matched && work.register_patient) {
    box.append(h("p", { class: "app-work__line" }, registerLine(work.register_patient, today)));
  }
  if (s.match_reason) box.append(h("p", { class: "app-work__reason" }, matched ? `How: ${s.match_reason}` : `Why: ${s.match_reason}`));
  if (s.matched && matched) box.append(h("p", { class: "app-work__stamp" }, `Matched by ${personLabel(s.matched.by, s.matched.role, names)}, ${formatDateTime(s.matched.at)}`));
  if (s.match_state === "not-known" && s.rejected) {
    box.append(h("p", { class: "app-work__stamp" }, `Rejected by ${personLabel(s.rejected.by, s.rejected.role, names)}, ${formatDateTime(s.rejected.at)}${s.reject_reason ? `: ${s.reject_reason}` : ""}`));
  }
  if (s.business_response) box.append(h("p", { class: "app-work__stamp", "data-testid": "business-response" }, `Answer to the hospital: ${businessResponseText(s.business_response)}${answerSent(work.answer, s.business_response)}`));

  const candidates = matched ? [] : work.candidates;
  if (candidates.length) {
    box.append(
      h("p", { class: "app-work__subheading" }, `Patients on the register who may be this patient (${candidates.length}):`),
      h(
        "ul",
        { class: "app-work__candidates", "data-testid": "candidates" },
        candidates.map((c) =>
          h(
            "li",
            { "data-nhs": c.nhs_number },
            registerLine(c, today, ctx.patient ?? null),
            mayMatch
              ? button(
                  "Match to this patient",
                  () => {
                    const back = document.activeElement as HTMLElement | null;
                    openForm(
                      slot,
                      inlineForm({
                        label: `Why this is ${registerName(c)} (required)`,
                        submit: "Match",
                        required: true,
                        testid: "match-form",
                        onSubmit: (reason) => handlers.step({ step: "match", nhs_number: c.nhs_number, reason }, "match"),
                        onCancel: () => closeForm(slot, back),
                      }),
                    );
                  },
                  { "data-testid": "match-candidate", "aria-label": `Match to this patient: ${registerName(c)}, NHS number ${formatNhsNumber(c.nhs_number)}` },
                )
              : null,
          ),
        ),
      ),
    );
  } else if (!matched && s.match_state !== "unchecked" && s.match_state !== "not-known") {
    box.append(h("p", { class: "app-work__reason" }, "No patient on the register looks like this one."));
  }

  const buttons: HTMLElement[] = [];
  if (!matched && mayMatch && s.match_state !== "unchecked") {
    if (s.match_state !== "awaiting-registration") {
      buttons.push(
        button(
          "Awaiting registration",
          () => {
            const back = document.activeElement as HTMLElement | null;
            openForm(slot, inlineForm({ label: "Note (optional)", submit: "Mark awaiting registration", required: false, testid: "awaiting-form", onSubmit: (reason) => handlers.step({ step: "awaiting-registration", reason: reason || null }, "match"), onCancel: () => closeForm(slot, back) }));
          },
          { "data-testid": "awaiting-registration" },
        ),
      );
    }
  }
  if (!matched && mayReject && s.match_state !== "unchecked") {
    buttons.push(button("Reject as not known", () => openReject(slot, handlers), { "data-testid": "reject", "aria-keyshortcuts": "r", id: "work-reject" }));
  }
  if (matched && mayMatch) {
    buttons.push(
      button(
        "Undo match",
        () => {
          const back = document.activeElement as HTMLElement | null;
          openForm(slot, inlineForm({ label: "Why the match is wrong (required)", submit: "Undo match", required: true, testid: "undo-match-form", onSubmit: (reason) => handlers.step({ step: "undo-match", reason }, "match"), onCancel: () => closeForm(slot, back) }));
        },
        { "data-testid": "undo-match" },
      ),
    );
  }
  if (buttons.length) box.append(h("div", { class: "app-work__buttons" }, buttons));
  box.append(slot);
  return box;
}

function openReject(slot: HTMLElement, handlers: WorkHandlers): void {
  const back = document.activeElement as HTMLElement | null;
  openForm(
    slot,
    inlineForm({
      label: "Why the patient is not known to the practice (required)",
      submit: "Reject as not known",
      required: true,
      testid: "reject-form",
      onSubmit: (reason) => handlers.step({ step: "reject", reason }, "match"),
      onCancel: () => closeForm(slot, back),
    }),
  );
}

// ----- GP review ------------------------------------------------------------------------------------

function renderReview(ctx: WorkContext, handlers: WorkHandlers): HTMLElement | null {
  const s = ctx.work.state;
  if (!s.gp_review.length) return null;
  const pending = needsGpReview(s);
  const slot = h("div", { class: "app-work__formslot" });
  return h(
    "div",
    { class: `app-work__box app-work__review${pending ? " app-work__review--pending" : ""}`, id: "work-review", "data-testid": "gp-review", role: "group", "aria-labelledby": "work-review-title" },
    h("h4", { class: "app-work__heading", id: "work-review-title" }, pending ? "Needs a GP's review" : "GP review done"),
    h(
      "ul",
      { class: "app-work__reasons" },
      s.gp_review.map((r) => h("li", {}, h("blockquote", { class: "app-work__quote" }, r.detail))),
    ),
    s.gp_reviewed ? h("p", { class: "app-work__stamp" }, `Reviewed by ${personLabel(s.gp_reviewed.by, s.gp_reviewed.role, namesOf(ctx.users))}, ${formatDateTime(s.gp_reviewed.at)}`) : null,
    pending && can(ctx.user, "sign-off") && !isClosed(s)
      ? h(
          "div",
          { class: "app-work__buttons" },
          button(
            "Sign off the review",
            () => {
              const back = document.activeElement as HTMLElement | null;
              openForm(slot, inlineForm({ label: "Note (optional)", submit: "Sign off", required: false, testid: "sign-off-form", onSubmit: (note) => handlers.step({ step: "sign-off", note: note || null }, "review"), onCancel: () => closeForm(slot, back) }));
            },
            { "data-testid": "sign-off" },
            false,
          ),
        )
      : pending
        ? h("p", { class: "app-work__reason" }, "Only a GP may sign this off or file it.")
        : null,
    slot,
  );
}

// ----- requested actions ------------------------------------------------------------------------------

function renderAction(a: ActionItem, ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  const closed = isClosed(ctx.work.state);
  const slot = h("div", { class: "app-work__formslot" });
  const meta = [a.responsible ? `Person responsible: ${a.responsible}` : null, a.status ? `Status: ${a.status}` : null].filter(Boolean).join(". ");
  const decide = (decision: Decision) => handlers.step({ step: "decide", index: a.index, decision }, `action-${a.index}`);
  const controls: HTMLElement[] = [];
  if (a.needs_decision && !a.decision && !closed) {
    const label = (verb: string) => `${verb}: ${a.text.length > 80 ? `${a.text.slice(0, 77)}…` : a.text}`;
    controls.push(
      h(
        "div",
        { class: "app-work__buttons app-work__decide" },
        button("Done", () => {
          const back = document.activeElement as HTMLElement | null;
          openForm(slot, inlineForm({ label: "What was done (optional)", submit: "Mark done", required: false, testid: "done-form", onSubmit: (note) => decide({ decision: "done", note: note || null }), onCancel: () => closeForm(slot, back) }));
        }, { "data-decide": "done", "aria-label": label("Done") }),
        button("Delegate", () => {
          const back = document.activeElement as HTMLElement | null;
          const whoId = `delegate-who-${a.index}`;
          const dueId = `delegate-due-${a.index}`;
          const who = whoSelect(whoId, ctx.users, null);
          // Typed as dd-Mmm-yyyy like every date in the app (a date picker would show the
          // computer's locale, and 12/08 reads differently in the UK and the US).
          const due = h("input", { class: "nhsuk-input app-work__date", id: dueId, type: "text", autocomplete: "off", spellcheck: "false", value: formatDate(defaultDue(ctx.today)), "aria-describedby": `${dueId}-error` });
          const dueError = h("p", { class: "nhsuk-error-message app-work__error", hidden: true, id: `${dueId}-error` });
          const whoError = h("p", { class: "nhsuk-error-message app-work__error", hidden: true, id: `${whoId}-error` });
          who.setAttribute("aria-describedby", `${whoId}-error`);
          openForm(
            slot,
            inlineForm({
              label: "Note for them (optional)",
              submit: "Delegate",
              required: false,
              testid: "delegate-form",
              extra: [
                h("div", { class: "app-work__field" }, h("label", { class: "nhsuk-label app-work__label", for: whoId }, "Delegate to"), whoError, who),
                h("div", { class: "app-work__field app-work__field--date" }, h("label", { class: "nhsuk-label app-work__label", for: dueId }, "Due by (dd-Mmm-yyyy)"), dueError, due),
              ],
              onSubmit: (note) => {
                const to = readWho(who.value);
                if (!to) {
                  whoError.textContent = "Choose a person or a role.";
                  whoError.hidden = false;
                  who.focus();
                  return;
                }
                const day = parseUkDate(due.value);
                if (!day.ok) {
                  dueError.textContent = day.error;
                  dueError.hidden = false;
                  due.focus();
                  return;
                }
                decide({ decision: "delegated", ...to, due: day.iso, note: note || null });
              },
              onCancel: () => closeForm(slot, back),
            }),
          );
        }, { "data-decide": "delegate", "aria-label": label("Delegate") }),
        button("Not applicable", () => {
          const back = document.activeElement as HTMLElement | null;
          openForm(slot, inlineForm({ label: "Why it is not for the practice (required)", submit: "Mark not applicable", required: true, testid: "not-applicable-form", onSubmit: (reason) => decide({ decision: "not-applicable", reason }), onCancel: () => closeForm(slot, back) }));
        }, { "data-decide": "not-applicable", "aria-label": label("Not applicable") }),
      ),
    );
  }
  const state = a.decision
    ? h("p", { class: "app-work__decision", "data-testid": "decision" }, decisionText(a.decision, namesOf(ctx.users)))
    : a.needs_decision
      ? h("p", { class: "app-work__decision app-work__decision--open" }, "No decision yet")
      : null;
  return h(
    "li",
    {
      class: `app-work__action${a.needs_decision ? (a.decision ? " app-work__action--decided" : " app-work__action--open") : " app-work__action--info"}`,
      "data-action-index": a.index,
      "data-testid": "requested-action",
      "data-undecided": a.needs_decision && !a.decision ? "true" : null,
      tabindex: "-1",
      id: `work-action-${a.index}`,
    },
    h(
      "div",
      { class: "app-work__action-head" },
      a.needs_decision ? (a.decision ? tag("Decided", "green", "app-tag--small") : tag("To decide", "orange", "app-tag--small")) : tag("Information", "grey", "app-tag--small"),
      h("span", { class: "app-work__action-text" }, a.text),
    ),
    meta || a.heading ? h("p", { class: "app-work__meta" }, [a.heading ? `Under "${a.heading}"` : null, meta || null].filter(Boolean).join(". ")) : null,
    state,
    controls,
    slot,
  );
}

function renderActions(ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  const actions = ctx.work.actions;
  const forPractice = actions.filter((a) => a.needs_decision);
  const open = forPractice.filter((a) => !a.decision).length;
  return h(
    "div",
    { class: "app-work__box app-work__actions-box", id: "work-actions", role: "group", "aria-labelledby": "work-actions-title" },
    h(
      "h4",
      { class: "app-work__heading", id: "work-actions-title" },
      "Requested actions",
      " ",
      h("span", { class: "app-work__count", "data-testid": "undecided-count" }, actions.length ? (forPractice.length ? `${forPractice.length - open} of ${forPractice.length} for the practice decided` : "none for the practice to decide") : ""),
    ),
    actions.length
      ? h("ol", { class: "app-work__actions" }, actions.map((a) => renderAction(a, ctx, handlers)))
      : h("p", { class: "app-work__reason" }, "No requested actions were found in this document. Read the plan and the follow-up sections before filing."),
  );
}

// ----- assignment and notes ------------------------------------------------------------------------------

function renderAssignment(ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  const s = ctx.work.state;
  const slot = h("div", { class: "app-work__formslot" });
  const assigned = s.assigned_user ?? (s.assigned_role ? `${roleLabel(s.assigned_role)} lane` : null);
  const me = ctx.user?.name ?? null;
  const closed = isClosed(s);
  const buttons: HTMLElement[] = [];
  if (!closed && ctx.user && s.assigned_user !== me) buttons.push(button("Claim", () => handlers.step({ step: "claim" }, "assign"), { "data-testid": "claim", "aria-keyshortcuts": "c" }));
  if (!closed && can(ctx.user, "reassign")) {
    buttons.push(
      button("Assign", () => openAssign(slot, ctx, handlers), { "data-testid": "assign", "aria-keyshortcuts": "w", id: "work-assign" }),
    );
  }
  return h(
    "div",
    { class: "app-work__box app-work__assign", id: "work-assignment", role: "group", "aria-labelledby": "work-assign-title" },
    h("h4", { class: "app-work__heading", id: "work-assign-title" }, "Assigned to"),
    h("p", { class: "app-work__line", "data-testid": "assigned-to" }, assigned ? (assigneeLabel(assigned, namesOf(ctx.users)) ?? assigned) : "Nobody"),
    buttons.length ? h("div", { class: "app-work__buttons" }, buttons) : null,
    slot,
  );
}

function openAssign(slot: HTMLElement, ctx: WorkContext, handlers: WorkHandlers): void {
  const back = document.activeElement as HTMLElement | null;
  const whoId = "assign-who";
  const who = whoSelect(whoId, ctx.users, null);
  const whoError = h("p", { class: "nhsuk-error-message app-work__error", hidden: true, id: `${whoId}-error` });
  who.setAttribute("aria-describedby", `${whoId}-error`);
  openForm(
    slot,
    inlineForm({
      label: "Note (optional)",
      submit: "Assign",
      required: false,
      testid: "assign-form",
      extra: [h("div", { class: "app-work__field" }, h("label", { class: "nhsuk-label app-work__label", for: whoId }, "Assign to"), whoError, who)],
      onSubmit: (note) => {
        const to = readWho(who.value);
        if (!to) {
          whoError.textContent = "Choose a person or a role.";
          whoError.hidden = false;
          who.focus();
          return;
        }
        handlers.step({ step: "assign", ...to, note: note || null }, "assign");
      },
      onCancel: () => closeForm(slot, back),
    }),
  );
}

/**
 * A note's HTML, rendered by the core from Markdown with raw HTML escaped, parsed into an inert
 * template and copied element by element: only formatting elements survive, no attributes
 * but a link's text (links are shown as text, never followed).
 */
export function safeNoteHtml(html: string): DocumentFragment {
  const allowed = new Set(["P", "STRONG", "EM", "UL", "OL", "LI", "CODE", "PRE", "BLOCKQUOTE", "H1", "H2", "H3", "H4", "H5", "H6", "BR", "HR", "DEL", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"]);
  const template = document.createElement("template");
  template.innerHTML = html;
  const out = document.createDocumentFragment();
  const copy = (from: Node, to: Node) => {
    for (const child of Array.from(from.childNodes)) {
      if (child.nodeType === Node.TEXT_NODE) to.appendChild(document.createTextNode(child.textContent ?? ""));
      else if (child.nodeType === Node.ELEMENT_NODE) {
        const el = child as Element;
        if (allowed.has(el.tagName)) {
          const clean = document.createElement(el.tagName.toLowerCase());
          copy(el, clean);
          to.appendChild(clean);
        } else copy(el, to);
      }
    }
  };
  copy(template.content, out);
  return out;
}

function renderNotes(ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  const notes = ctx.work.notes;
  const id = "work-note-input";
  const input = h("textarea", { class: "nhsuk-textarea app-work__input", id, rows: "2", "aria-describedby": "work-note-hint" });
  const form = h(
    "form",
    { class: "app-work__form", "data-testid": "note-form" },
    h("label", { class: "nhsuk-label app-work__label", for: id }, "Add a note"),
    h("p", { class: "app-work__hint", id: "work-note-hint" }, "Markdown: **bold**, *italic*, - lists. Notes are kept with the document and cannot be changed."),
    input,
    h("div", { class: "app-work__buttons" }, h("button", { type: "submit", class: "app-button app-button--secondary" }, "Add note")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) handlers.step({ step: "note", markdown: text }, "notes");
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return h(
    "div",
    { class: "app-work__box app-work__notes", id: "work-notes", role: "group", "aria-labelledby": "work-notes-title" },
    h("h4", { class: "app-work__heading", id: "work-notes-title" }, `Notes (${notes.length})`),
    notes.length
      ? h(
          "ol",
          { class: "app-work__notelist", "data-testid": "notes" },
          notes.map((n) => h("li", { class: "app-work__note" }, h("p", { class: "app-work__stamp" }, `${namesOf(ctx.users)(n.by)}, ${formatDateTime(n.at)}`), h("div", { class: "app-work__notebody" }, safeNoteHtml(n.html)))),
        )
      : null,
    form,
  );
}

/**
 * Where the document stands on the practice's shared record: who filed it (perhaps on another
 * computer), and this computer's steps on it that are not yet on the practice server.
 */
export function renderShared(ctx: WorkContext): HTMLElement | null {
  const filed = ctx.work.state.filed;
  const n = ctx.work.pending.length;
  if (!filed && !n) return null;
  return h(
    "div",
    { class: "app-work__shared" },
    filed ? h("p", { class: "app-work__line", id: "work-filed" }, `Filed by ${namesOf(ctx.users)(filed.by)}, ${formatDateTime(filed.at)}.`) : null,
    n
      ? h(
          "p",
          { class: "app-work__line app-work__pending", id: "work-pending" },
          tag("Pending", "orange"),
          ` ${n === 1 ? "1 step" : `${n} steps`} on this document ${n === 1 ? "is" : "are"} not yet on the practice server: kept on this computer and sent when the server can be reached. Until then other computers do not see ${n === 1 ? "it" : "them"}.`,
        )
      : null,
  );
}

/**
 * Whether the answer to the hospital went: ", sent 02-Dec-2026 10:40", ", waiting to be sent",
 * or, on a computer of the practice, that it is not sent from here (said, never implied).
 */
export function answerSent(answer: WorkflowView["answer"], code: string): string {
  if (!answer || answer.response_code !== code) return "";
  if (answer.from_practice) {
    // Handed to the practice server, which sends one answer per message.
    if (!answer.sent_at) return ", waiting to be handed to the practice server, which sends it";
    const other = /:(\d{5})-from-another-desktop$/.exec(answer.sent_as ?? "");
    if (other) return `. Another computer of the practice answered first (${businessResponseText(other[1])}): the practice server sends that one`;
    return `, handed to the practice server ${formatDateTime(answer.sent_at)}, which sends it`;
  }
  if (answer.sent_at) return `, sent ${formatDateTime(answer.sent_at)}`;
  return answer.last_error ? `, not sent yet (last attempt failed: ${answer.last_error})` : ", waiting to be sent at the next sync";
}

/** The whole panel. */
export function renderWorkPanel(ctx: WorkContext, handlers: WorkHandlers): HTMLElement {
  return h(
    "section",
    { class: "app-work", id: "work-panel", "aria-labelledby": "work-title", "data-jump": "work section", "data-testid": "work-panel" },
    h("h3", { class: "app-section__title app-work__title", id: "work-title", tabindex: "-1" }, "Work on this document"),
    ctx.user ? null : h("p", { class: "nhsuk-error-message" }, "Choose who is working (the Switch button at the top) before acting on this document."),
    renderShared(ctx),
    renderMatch(ctx, handlers),
    renderReview(ctx, handlers),
    renderActions(ctx, handlers),
    renderAssignment(ctx, handlers),
    renderNotes(ctx, handlers),
    renderHistory(ctx.work.events, namesOf(ctx.users)),
  );
}

/** The panel when the workflow could not be read. */
export function renderWorkError(message: string): HTMLElement {
  return h("section", { class: "app-work", id: "work-panel", "aria-label": "Work on this document" }, h("p", { class: "nhsuk-error-message", role: "alert" }, `The workflow of this document could not be read: ${message}`));
}

/** Opens the reject form in the panel shown in `root` (the `r` key); false when it is not offered. */
export function openRejectIn(root: HTMLElement): boolean {
  const b = root.querySelector<HTMLButtonElement>("#work-reject");
  if (!b) return false;
  b.click();
  return true;
}

/** Opens the assign form (the `w` key); false when it is not offered. */
export function openAssignIn(root: HTMLElement): boolean {
  const b = root.querySelector<HTMLButtonElement>("#work-assign");
  if (!b) return false;
  b.click();
  return true;
}
