import { describe, expect, it } from "vitest";
import type { MedrecDue } from "../bindings/MedrecDue";
import type { Task } from "../bindings/Task";
import { renderMedrecDue, TasksPage } from "./tasks";

function due(over: Partial<MedrecDue> = {}): MedrecDue {
  return {
    document_id: 12,
    kind: "inpatient-discharge",
    title: "Discharge summary",
    patient_name: "Smith, Sam",
    nhs_number: "9434765919",
    sender: "South Devon Healthcare NHS Foundation Trust",
    received_at: "2026-11-30T10:00:00Z",
    status: "new",
    medications: 5,
    ...over,
  };
}

function task(over: Partial<Task> = {}): Task {
  return {
    id: 1, document_id: 12, action_index: 0, medrec_row: null, text: "Check U&E in 2 weeks", assignee_user: "Pat Pharmacist", assignee_role: null, due_date: "2026-12-05", status: "open",
    created_at: "2026-12-01T10:00:00Z", created_by: "Pat Pharmacist", done_at: null, done_by: null, note: null, patient_name: "Smith, Sam", nhs_number: "9434765919", document_title: "Discharge summary",
    ...over,
  };
}

describe("the reconciliations to sign off", () => {
  const today = new Date("2026-12-07T12:00:00Z");
  it("lists each with its patient, document, received time and due date; overdue in red", () => {
    const opened: number[] = [];
    const el = renderMedrecDue([due({ document_id: 3, received_at: "2026-11-28T09:00:00Z" }), due({ received_at: "2026-11-30T10:00:00Z" }), due({ document_id: 14, received_at: "2026-12-02T10:00:00Z", medications: 1 })], 3, today, (id) => opened.push(id));
    expect(el.getAttribute("data-testid")).toBe("medrec-due");
    const rows = [...el.querySelectorAll<HTMLElement>("[data-testid=medrec-due-row]")];
    expect(rows.map((r) => r.getAttribute("data-overdue"))).toEqual(["true", "false", "false"]);
    const cells = (r: HTMLElement) => [...r.querySelectorAll("td")].map((c) => c.textContent);
    expect(cells(rows[0])).toEqual(["SMITH, SamNHS No. 943 476 5919", "Discharge summary (5 medicines)South Devon Healthcare NHS Foundation Trust", "28-Nov-2026 09:00", "Overdue (due 05-Dec-2026)", "Open document"]);
    expect(rows[0].querySelector(".nhsuk-tag--red")?.textContent).toBe("Overdue (due 05-Dec-2026)");
    expect(rows[1].querySelector(".nhsuk-tag--orange")?.textContent).toBe("Due today");
    expect(cells(rows[2])[3]).toBe("Due 09-Dec-2026");
    expect(cells(rows[2])[1]).toMatch(/\(1 medicine\)/);
    expect(el.querySelector("caption")?.textContent).toBe("3 waiting for sign-off, oldest first");
    rows[2].querySelector<HTMLButtonElement>("button")!.click();
    expect(opened).toEqual([14]);
  });
  it("says how many there are when more wait than are shown, and when none do", () => {
    let more = 0;
    const some = renderMedrecDue([due()], 31, today, () => {}, () => more++);
    expect(some.querySelector("caption")?.textContent).toBe("31 waiting for sign-off: the oldest 1 shown");
    const button = some.querySelector<HTMLButtonElement>("[data-testid=medrec-due-more]")!;
    expect(button.textContent).toBe("Show all 31");
    button.click();
    expect(more).toBe(1);
    expect(renderMedrecDue([due()], 1, today, () => {}, () => more++).querySelector("[data-testid=medrec-due-more]")).toBeNull();
    expect(renderMedrecDue([], 0, today, () => {}).textContent).toBe("No medicines reconciliations are waiting for sign-off.");
  });
  it("sit above the tasks, whose reconciliation follow-ups are tagged Medicines", () => {
    const page = new TasksPage({ filter: () => {}, done: () => {}, open: () => {} });
    // Hidden until there is something to show (and for those who may not sign off).
    expect(page.element.querySelector<HTMLElement>("#medrec-due-part")?.hidden).toBe(true);
    page.renderDue({ rows: [due()], total: 1 }, today);
    expect(page.element.querySelector<HTMLElement>("#medrec-due-part")?.hidden).toBe(false);
    page.render("mine", [task(), task({ id: 2, medrec_row: "p1", text: "Medicines query to the hospital about Simvastatin" })], today);
    const headings = [...page.element.querySelectorAll("h1, h2")].map((e) => e.textContent);
    expect(headings).toEqual(["Tasks", "Medicines reconciliations to sign off", "Delegated tasks"]);
    const order = [...page.element.querySelectorAll("[data-testid=medrec-due], [data-testid=tasks]")].map((e) => e.getAttribute("data-testid"));
    expect(order).toEqual(["medrec-due", "tasks"]);
    const texts = [...page.element.querySelectorAll("[data-testid=task] .app-tasks__text")];
    expect(texts[0].querySelector(".nhsuk-tag")).toBeNull();
    expect(texts[1].querySelector(".nhsuk-tag")?.textContent).toBe("Medicines");
    expect(texts[1].textContent).toBe("Medicines Medicines query to the hospital about Simvastatin");
    page.renderDue("the store is busy", today);
    expect(page.element.querySelector("#medrec-due-body [role=alert]")?.textContent).toBe("The reconciliations could not be listed: the store is busy");
    page.hideDue();
    expect(page.element.querySelector<HTMLElement>("#medrec-due-part")?.hidden).toBe(true);
    expect(page.element.querySelector("[data-testid=medrec-due]")).toBeNull();
  });
});
