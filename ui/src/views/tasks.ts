// The Tasks view: first the medicines reconciliations waiting for sign-off (oldest first, each
// with its 7-day due date), then delegated actions and reconciliation follow-ups (mine, my role's
// lane, overdue, due this week), each with its patient, the action word for word, its due date,
// Done, and a way to open its document.
import type { MedrecDue } from "../bindings/MedrecDue";
import type { Task } from "../bindings/Task";
import { formatDateTime, formatNhsNumber } from "../lib/format";
import { kindLabel, tag } from "../lib/labels";
import { dueWords, medrecDueDay } from "../lib/medrec";
import { dueText, roleLabel, TASK_FILTERS, type TaskFilter } from "../lib/workflow";
import { clear, h } from "../widgets/dom";
import { listName } from "./rows";

export interface TasksActions {
  filter: (filter: TaskFilter) => void;
  done: (task: Task) => void;
  open: (task: Task) => void;
  /** Opens a document at its medicines reconciliation. */
  openMedrec?: (documentId: number) => void;
  /** Lists every reconciliation waiting, not only the oldest. */
  moreDue?: () => void;
}

/** How many reconciliations waiting for sign-off the Tasks view lists at first (the oldest). */
export const MEDREC_DUE_LIMIT = 10;
/** ... and after "Show all". */
export const MEDREC_DUE_ALL = 500;

/**
 * The reconciliations waiting for sign-off, oldest first; `total` counts them all, and when more
 * wait than are shown, `more` lists them all.
 */
export function renderMedrecDue(rows: MedrecDue[], total: number, today: Date, open: (documentId: number) => void, more?: () => void): HTMLElement {
  if (!rows.length) return h("p", { class: "nhsuk-body app-muted", "data-testid": "medrec-due-none" }, "No medicines reconciliations are waiting for sign-off.");
  const caption = total > rows.length ? `${total} waiting for sign-off: the oldest ${rows.length} shown` : `${total} waiting for sign-off, oldest first`;
  const table = h(
    "table",
    { class: "nhsuk-table app-table app-medrec-due", "data-testid": "medrec-due", "data-total": total },
    h("caption", { class: "nhsuk-table__caption app-table__caption", "data-testid": "medrec-due-total" }, caption),
    h(
      "thead",
      {},
      h("tr", {}, ["Patient", "Document", "Received", "Reconcile by", ""].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c || h("span", { class: "nhsuk-u-visually-hidden" }, "Open")))),
    ),
    h(
      "tbody",
      {},
      rows.map((r) => {
        const dueDay = medrecDueDay(r.received_at);
        const due = dueDay ? dueWords(dueDay, today) : null;
        const name = listName(r.patient_name);
        return h(
          "tr",
          { "data-document-id": r.document_id, "data-testid": "medrec-due-row", "data-overdue": due?.state === "overdue" ? "true" : "false" },
          h("td", {}, h("strong", {}, name), r.nhs_number ? h("div", { class: "app-small" }, `NHS No. ${formatNhsNumber(r.nhs_number)}`) : null),
          h(
            "td",
            {},
            h("div", {}, r.title ?? kindLabel(r.kind), h("span", { class: "app-muted" }, ` (${r.medications} ${r.medications === 1 ? "medicine" : "medicines"})`)),
            r.sender ? h("div", { class: "app-small app-muted" }, r.sender) : null,
          ),
          h("td", { class: "app-nowrap" }, formatDateTime(r.received_at)),
          h(
            "td",
            { class: "app-tasks__due" },
            !due ? "" : due.state === "overdue" ? tag(due.text, "red", "app-tag--small") : due.state === "today" ? tag(due.text, "orange", "app-tag--small") : due.text,
          ),
          h(
            "td",
            { class: "app-tasks__buttons" },
            h(
              "button",
              { type: "button", class: "app-button app-button--secondary", "data-testid": "medrec-due-open", "aria-label": `Open document: the medicines reconciliation for ${name}`, onclick: () => open(r.document_id) },
              "Open document",
            ),
          ),
        );
      }),
    ),
  );
  if (total <= rows.length || !more) return table;
  return h(
    "div",
    { class: "app-medrec-due__wrap" },
    table,
    h("button", { type: "button", class: "app-button app-button--secondary", "data-testid": "medrec-due-more", onclick: () => more() }, `Show all ${total}`),
  );
}

export class TasksPage {
  private readonly tabs = h("div", { class: "app-page__tabs", role: "group", "aria-label": "Which tasks" });
  private readonly body = h("div", { class: "app-page__body", id: "tasks-body", "aria-live": "polite" });
  private readonly dueBody = h("div", { class: "app-page__body", id: "medrec-due-body" });
  /** The reconciliations part: shown to those who may sign off (pharmacists and GPs). */
  private readonly duePart = h(
    "section",
    { class: "app-tasks__part", id: "medrec-due-part", "aria-labelledby": "medrec-due-heading", hidden: true },
    h("h2", { class: "nhsuk-heading-s app-tasks__heading", id: "medrec-due-heading" }, "Medicines reconciliations to sign off"),
    h("p", { class: "nhsuk-body-s app-muted app-tasks__intro" }, "Discharges whose medicines are not reconciled and signed off yet: due 7 days from receipt (NICE QS120)."),
    this.dueBody,
  );
  readonly heading = h("h1", { class: "nhsuk-heading-l app-page__title", id: "tasks-heading", tabindex: "-1" }, "Tasks");
  readonly element = h(
    "section",
    { class: "app-page", id: "tasks-page", "aria-labelledby": "tasks-heading", hidden: true },
    this.heading,
    this.duePart,
    h(
      "section",
      { class: "app-tasks__part", "aria-labelledby": "tasks-list-heading" },
      h("h2", { class: "nhsuk-heading-s app-tasks__heading", id: "tasks-list-heading" }, "Delegated tasks"),
      h("p", { class: "nhsuk-body-s app-muted app-tasks__intro" }, "Requested actions and medicines follow-ups for you or your role. Done records it in the document's audit trail; open the document to read the action in context."),
      this.tabs,
      this.body,
    ),
  );

  constructor(private readonly actions: TasksActions) {}

  /** Focuses the Open button of reconciliation row `index` (or the last one). */
  focusDueRow(index: number): void {
    const buttons = this.dueBody.querySelectorAll<HTMLElement>("[data-testid=medrec-due-open]");
    (buttons[index] ?? buttons[buttons.length - 1])?.focus();
  }

  /** Hides the reconciliations (for someone who may not sign them off). */
  hideDue(): void {
    this.duePart.hidden = true;
    clear(this.dueBody);
  }

  dueLoading(): void {
    this.duePart.hidden = false;
    clear(this.dueBody);
    this.dueBody.append(h("p", { class: "app-muted" }, "Loading reconciliations…"));
  }

  /** The reconciliations waiting for sign-off, or why they could not be listed. */
  renderDue(due: { rows: MedrecDue[]; total: number } | string, today: Date): void {
    this.duePart.hidden = false;
    clear(this.dueBody);
    if (typeof due === "string") {
      this.dueBody.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `The reconciliations could not be listed: ${due}`));
      return;
    }
    this.dueBody.append(renderMedrecDue(due.rows, due.total, today, (id) => this.actions.openMedrec?.(id), this.actions.moreDue));
  }

  loading(filter: TaskFilter): void {
    this.renderTabs(filter);
    clear(this.body);
    this.body.append(h("p", { class: "app-muted" }, "Loading tasks…"));
  }

  error(filter: TaskFilter, message: string): void {
    this.renderTabs(filter);
    clear(this.body);
    this.body.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `The tasks could not be loaded: ${message}`));
  }

  render(filter: TaskFilter, tasks: Task[], today: Date): void {
    this.renderTabs(filter);
    clear(this.body);
    const label = TASK_FILTERS.find((f) => f.id === filter)?.label ?? "";
    if (!tasks.length) {
      this.body.append(h("p", { class: "nhsuk-body", "data-testid": "no-tasks" }, `No open tasks (${label.toLowerCase()}).`));
      return;
    }
    this.body.append(
      h(
        "table",
        { class: "nhsuk-table app-table app-tasks", "data-testid": "tasks" },
        h("caption", { class: "nhsuk-table__caption app-table__caption" }, `${label}: ${tasks.length} open ${tasks.length === 1 ? "task" : "tasks"}`),
        h(
          "thead",
          {},
          h("tr", {}, ["Patient", "Action", "Due", "For", "Delegated", ""].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c || h("span", { class: "nhsuk-u-visually-hidden" }, "Actions")))),
        ),
        h(
          "tbody",
          {},
          tasks.map((t) => {
            const due = dueText(t, today);
            return h(
              "tr",
              { "data-task-id": t.id, "data-document-id": t.document_id, "data-testid": "task" },
              h("td", {}, h("strong", {}, t.patient_name ?? "Patient not named"), t.nhs_number ? h("div", { class: "app-small" }, `NHS No. ${formatNhsNumber(t.nhs_number)}`) : null, t.document_title ? h("div", { class: "app-small app-muted" }, t.document_title) : null),
              h("td", { class: "app-tasks__text" }, t.medrec_row !== null ? [tag("Medicines", "green", "app-tag--small app-tasks__kind"), " "] : null, t.text),
              h("td", { class: "app-tasks__due" }, due.overdue ? tag(due.text, "red", "app-tag--small") : due.text),
              h("td", {}, t.assignee_user ?? (t.assignee_role ? `${roleLabel(t.assignee_role)} lane` : "")),
              h("td", { class: "app-small" }, `${t.created_by}, ${formatDateTime(t.created_at)}`),
              h(
                "td",
                { class: "app-tasks__buttons" },
                h("button", { type: "button", class: "app-button", "data-testid": "task-done", "aria-label": `Done: ${t.text}`, onclick: () => this.actions.done(t) }, "Done"),
                h("button", { type: "button", class: "app-button app-button--secondary", "data-testid": "task-open", "aria-label": `Open document for ${t.patient_name ?? "this task"}`, onclick: () => this.actions.open(t) }, "Open document"),
              ),
            );
          }),
        ),
      ),
    );
  }

  private renderTabs(current: TaskFilter): void {
    clear(this.tabs);
    for (const f of TASK_FILTERS) {
      this.tabs.append(
        h(
          "button",
          { type: "button", class: "app-button app-button--secondary app-page__tab", "aria-pressed": f.id === current ? "true" : "false", "data-filter": f.id, onclick: () => this.actions.filter(f.id) },
          f.label,
        ),
      );
    }
  }
}
