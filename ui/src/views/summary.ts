// The summary at the top of a document (built by lib/summary.ts): what matters clinically first,
// in the hospital's own words, each fact with a link to the section it is from. Every section
// still follows in full, in order: the summary hides nothing and replaces nothing.
import type { RequestedAction } from "../bindings/RequestedAction";
import { formatBytes } from "../lib/format";
import { tag } from "../lib/labels";
import { CHANGE_WORDS, type ChangeKind, type DocumentSummary, type Fact, type MedicineChange } from "../lib/summary";
import { h } from "../widgets/dom";

export interface SummaryHandlers {
  /** Scrolls to section `index` of the document. */
  jumpToSection: (index: number) => void;
  jumpTo: (id: "medicines" | "attachments") => void;
}

function sourceLink(f: { section: number | null }, titles: string[], handlers: SummaryHandlers): HTMLElement | null {
  if (f.section === null) return null;
  const index = f.section;
  return h(
    "button",
    { type: "button", class: "app-linkbutton app-summary__source", onclick: () => handlers.jumpToSection(index), title: `Go to the section “${titles[index]}”` },
    `in ${titles[index]}`,
  );
}

function facts(list: Fact[], titles: string[], handlers: SummaryHandlers, testid: string): HTMLElement {
  return h(
    "ul",
    { class: "app-summary__facts", "data-testid": testid },
    list.map((f) => h("li", {}, h("span", { class: "app-summary__label" }, `${f.label}: `), h("span", { class: "app-summary__value" }, f.value), " ", sourceLink(f, titles, handlers))),
  );
}

const CHANGE_COLOURS: Record<ChangeKind, "red" | "green" | "orange" | "yellow" | "grey"> = { stopped: "red", new: "green", dose: "orange", "on-hold": "yellow", unrecognised: "grey" };

function changeList(changes: MedicineChange[]): HTMLElement {
  const kinds = [...new Set(changes.map((c) => c.kind))];
  return h(
    "ul",
    { class: "app-summary__facts app-summary__meds", "data-testid": "summary-medicines" },
    kinds.map((k) =>
      h(
        "li",
        { "data-change": k },
        tag(CHANGE_WORDS[k], CHANGE_COLOURS[k], "app-tag--small app-summary__change"),
        " ",
        changes
          .filter((c) => c.kind === k)
          .flatMap((c, i) => [
            i ? "; " : "",
            h("span", { class: "app-summary__med" }, c.name),
            c.kind === "dose" && c.detail ? h("span", { class: "app-summary__dose" }, ` ${c.detail}`) : null,
            c.kind === "unrecognised" && c.detail ? ` (“${c.detail}”)` : null,
            c.medication.high_risk ? tag(`High risk: ${c.medication.high_risk}`, "purple", "app-tag--small") : null,
          ]),
      ),
    ),
  );
}

/** The requested actions, word for word, with who is responsible and their status. */
export function renderActionList(actions: RequestedAction[], titles: string[], handlers: SummaryHandlers): HTMLElement {
  return h(
    "ol",
    { class: "app-summary__actions", "data-testid": "summary-actions" },
    actions.map((a) => {
      const done = !!a.status && /^(complete|done)/i.test(a.status.trim());
      return h(
        "li",
        { class: `app-summary__action${a.for_practice ? " app-summary__action--practice" : ""}${done ? " app-summary__action--done" : ""}`, "data-for-practice": a.for_practice ? "true" : "false" },
        h("div", { class: "app-summary__action-text" }, a.for_practice ? tag(done ? "For the practice (done)" : "For the practice", done ? "grey" : "orange", "app-tag--small app-summary__for") : null, a.for_practice ? " " : null, a.text),
        h(
          "div",
          { class: "app-summary__action-meta" },
          a.responsible ? h("span", {}, h("span", { class: "app-summary__label" }, "Person responsible: "), a.responsible) : h("span", { class: "app-muted" }, "No person responsible named"),
          h("span", {}, h("span", { class: "app-summary__label" }, "Status: "), a.status ?? h("span", { class: "app-muted" }, "not stated")),
          a.heading ? h("span", { class: "app-muted" }, a.heading) : null,
          sourceLink({ section: a.section }, titles, handlers),
        ),
      );
    }),
  );
}

function group(title: string, testid: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h("div", { class: "app-summary__group", "data-testid": testid }, h("h4", { class: "app-summary__heading" }, title), body);
}

/** The summary block. `medicines`: how many medicines the document codes (to say "none changed"). */
export function renderSummary(s: DocumentSummary, titles: string[], medicines: number, handlers: SummaryHandlers): HTMLElement {
  const groups: (HTMLElement | null)[] = [];
  if (s.outcome.length) groups.push(group("Clinic outcome", "summary-outcome", facts(s.outcome, titles, handlers, "summary-outcome-facts")));
  if (s.discharge.length) groups.push(group(s.kind === "emergency-discharge" ? "Discharge from the emergency department" : "Discharge", "summary-discharge", facts(s.discharge, titles, handlers, "summary-discharge-facts")));
  if (s.diagnoses.length) groups.push(group("Diagnoses", "summary-diagnoses", facts(s.diagnoses, titles, handlers, "summary-diagnoses-facts")));
  groups.push(
    group(
      "Medicine changes",
      "summary-medicine-changes",
      s.medicineChanges.length
        ? changeList(s.medicineChanges)
        : h("p", { class: "app-summary__none" }, medicines ? `No medicine is recorded as started, stopped, changed or put on hold (${medicines} listed).` : "No coded medicines in this document."),
      medicines ? h("button", { type: "button", class: "app-linkbutton app-summary__source", onclick: () => handlers.jumpTo("medicines") }, "Go to the medicines table (m)") : null,
    ),
  );
  groups.push(
    group(
      "Plan and requested actions",
      "summary-plan",
      s.actions.length
        ? renderActionList(s.actions, titles, handlers)
        : h("p", { class: "app-summary__none" }, "No requested actions could be read from the plan: read the plan section below."),
    ),
  );
  if (s.kind === "mental-health-discharge" && s.mentalHealth.length) groups.push(group("Mental health: risk, legal status and care", "summary-mental-health", facts(s.mentalHealth, titles, handlers, "summary-mh-facts")));
  if (s.followUp.length) groups.push(group("Follow-up", "summary-follow-up", facts(s.followUp, titles, handlers, "summary-follow-up-facts")));
  if (s.pending.length) groups.push(group("Results still pending", "summary-pending", facts(s.pending, titles, handlers, "summary-pending-facts")));
  if (s.attachments.length) {
    groups.push(
      group(
        "Attachments",
        "summary-attachments",
        h(
          "p",
          { class: "app-summary__none" },
          `${s.attachments.length} ${s.attachments.length === 1 ? "attachment" : "attachments"}: `,
          s.attachments.map((a) => `${a.content_type === "application/pdf" ? "PDF" : (a.content_type ?? "unknown type")} (${formatBytes(a.size)})`).join(", "),
          " ",
          h("button", { type: "button", class: "app-linkbutton", onclick: () => handlers.jumpTo("attachments") }, "Go to the attachments"),
        ),
      ),
    );
  }
  return h(
    "section",
    { class: "app-summary", id: "doc-summary", "data-jump": "summary", "aria-labelledby": "summary-title", "data-testid": "summary" },
    h("h3", { class: "app-summary__title", id: "summary-title", tabindex: "-1" }, "Summary", h("span", { class: "app-summary__subtitle" }, " in the hospital's own words; every section follows in full below")),
    groups,
  );
}
