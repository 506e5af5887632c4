// The Tasks view: delegated actions (mine, my role's lane, overdue, due this week), each with
// its patient, the action word for word, its due date, Done, and a way to open its document.
import type { Task } from "../bindings/Task";
import { formatDateTime, formatNhsNumber } from "../lib/format";
import { tag } from "../lib/labels";
import { dueText, roleLabel, TASK_FILTERS, type TaskFilter } from "../lib/workflow";
import { clear, h } from "../widgets/dom";

export interface TasksActions {
  filter: (filter: TaskFilter) => void;
  done: (task: Task) => void;
  open: (task: Task) => void;
}

export class TasksPage {
  private readonly tabs = h("div", { class: "app-page__tabs", role: "group", "aria-label": "Which tasks" });
  private readonly body = h("div", { class: "app-page__body", id: "tasks-body", "aria-live": "polite" });
  readonly heading = h("h1", { class: "nhsuk-heading-l app-page__title", id: "tasks-heading", tabindex: "-1" }, "Tasks");
  readonly element = h(
    "section",
    { class: "app-page", id: "tasks-page", "aria-labelledby": "tasks-heading", hidden: true },
    this.heading,
    h("p", { class: "nhsuk-body-s app-muted" }, "Requested actions delegated to you or your role. Done records it in the document's audit trail; open the document to read the action in context."),
    this.tabs,
    this.body,
  );

  constructor(private readonly actions: TasksActions) {}

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
              h("td", { class: "app-tasks__text" }, t.text),
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
