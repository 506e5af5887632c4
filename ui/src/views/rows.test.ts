import { describe, expect, it } from "vitest";
import type { DocumentRow } from "../bindings/DocumentRow";
import type { QuarantineRow } from "../bindings/QuarantineRow";
import { actionLine, listName, medrecClock, renderQuarantineRow, renderRow, rowFlags, todoLine } from "./rows";

function row(over: Partial<DocumentRow> = {}): DocumentRow {
  return {
    id: 7, kind: "inpatient-discharge", nhs_number: "9434765919", patient_name: "Sam Smith", birth_date: "1957-01-01",
    title: "Discharge summary", sender: "South Devon Healthcare NHS Foundation Trust", care_setting: "Cardiology",
    document_date: null, received_at: "2026-11-22T10:40:00Z", status: "new", superseded_by: null, replaces: null,
    flags: {
      medication_changes: 3, medications: 5, attachments: 1, allergies: 2, unrecognised: 0, nhs_number_valid: true, superseding: false, requested_actions: false, warnings: 0,
      added: 1, amended: 0, stopped: 2, on_hold: 0, practice_actions: 0, first_action: null, high_risk_medicines: 0, medrec_open: false,
    },
    mesh_message_id: null,
    times_received: 1,
    identity_warnings: 0,
    version: 1,
    match_state: "matched",
    assigned_to: null,
    business_response: null,
    ...over,
  };
}

describe("inbox rows", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  it("put the patient first: SURNAME, Given and date of birth dd-Mmm-yyyy, then NHS number, kind, sender, time, status", () => {
    const el = renderRow(row({ patient_name: "Smith, Sam" }), 4, 100, true, now);
    expect(el.querySelector(".app-row__patient")?.textContent).toBe("SMITH, Sam");
    expect(el.querySelector(".app-row__born")?.textContent).toBe("01-Jan-1957 (69y)");
    const text = el.textContent ?? "";
    expect(text).toContain("943 476 5919");
    expect(text).toContain("Inpatient discharge · South Devon Healthcare NHS Foundation Trust");
    expect(el.querySelector("time")?.textContent).toBe("10:40");
    expect(el.querySelector(".nhsuk-tag--blue")?.textContent).toBe("New");
    expect(el.getAttribute("aria-selected")).toBe("true");
    expect(el.getAttribute("aria-posinset")).toBe("5");
    expect(el.getAttribute("aria-setsize")).toBe("100");
    expect(el.getAttribute("data-nhs")).toBe("9434765919");
  });
  it("keep a name without a comma as it is", () => {
    expect(listName("Sam Smith")).toBe("Sam Smith");
    expect(listName(null)).toBe("Unknown patient");
  });
  it("count medicine changes by kind, and flag high-risk medicines, replacements and superseded documents", () => {
    const flags = rowFlags(row({ superseded_by: 9, flags: { ...row().flags, superseding: true, warnings: 1, high_risk_medicines: 2 } }));
    expect(flags.map((e) => e.textContent)).toEqual(["Superseded", "Replacement", "Medicine changes: 2 stopped, 1 new", "2 high-risk medicines", "1 warning", "1 attachment"]);
    // What shows is short; the rest is read out and in the tooltip.
    expect(flags[2].title).toBe("Medicine changes: 2 stopped, 1 new");
  });
  it("flag identity warnings first, and nothing that needs no look (repeat deliveries, unrecognised headings)", () => {
    const flags = rowFlags(row({ identity_warnings: 2, times_received: 3, flags: { ...row().flags, unrecognised: 4 } })).map((e) => e.textContent);
    expect(flags[0]).toBe("Check identity");
    expect(flags.join(" ")).not.toMatch(/Received|not recognised/);
  });
  it("show the first thing asked of the practice, word for word, and how many there are", () => {
    expect(actionLine(row()).textContent).toBe("");
    const one = actionLine(row({ flags: { ...row().flags, practice_actions: 1, first_action: "Please check U&E in 1 week." } }));
    expect(one.textContent).toBe("For the practice: Please check U&E in 1 week.");
    const three = actionLine(row({ flags: { ...row().flags, practice_actions: 3, first_action: "Please check U&E in 1 week." } }));
    expect(three.textContent).toBe("For the practice (3): Please check U&E in 1 week.");
  });
  it("mark an NHS number that fails the check digit", () => {
    const el = renderRow(row({ nhs_number: "9434765918", flags: { ...row().flags, nhs_number_valid: false } }), 0, 1, false, now);
    expect(el.querySelector(".app-row__invalid")?.textContent).toBe("invalid");
  });
  it("show earlier days with the date", () => {
    const el = renderRow(row({ received_at: "2026-11-20T09:05:00Z" }), 0, 1, false, now);
    expect(el.querySelector("time")?.textContent).toBe("20-Nov-2026 09:05");
  });
});

describe("quarantine rows", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  const q = (over: Partial<QuarantineRow> = {}): QuarantineRow => ({
    message: { message_id: 3, source: "mesh", mailbox: "X26ABC1", source_id: "M3", workflow_id: null, sender_mailbox: "X26HOS1", received_at: "2026-11-22T10:00:00Z", acknowledged_at: null, sha256: "00", size: 1 },
    reason: "(10009) not XML",
    diagnostics: "[]",
    mailbox_meta: null,
    dealt_with_at: null,
    dealt_with_note: null,
    ...over,
  });
  it("show whether someone has dealt with the message, and their note", () => {
    expect(renderQuarantineRow(q(), 0, 1, false, now).textContent).toContain("Needs looking at");
    const done = renderQuarantineRow(q({ dealt_with_at: "2026-11-22T11:00:00Z", dealt_with_note: "Asked the trust to resend" }), 0, 1, false, now);
    expect(done.textContent).toContain("Dealt with");
    expect(done.textContent).toContain("22-Nov-2026: Asked the trust to resend");
  });
});

describe("the reconciliation clock on a row", () => {
  const open = (received_at: string) => row({ received_at, flags: { ...row().flags, medrec_open: true } });
  it("shows only while the reconciliation is open", () => {
    expect(medrecClock(row(), new Date("2026-11-22T12:00:00Z"))).toBeNull();
    expect(renderRow(row(), 0, 1, false, new Date("2026-11-22T12:00:00Z")).querySelector("[data-testid=row-medrec-clock]")).toBeNull();
  });
  it("reads due, due today (orange) or overdue (red), on line 4 before the first action", () => {
    const received = "2026-12-02T09:00:00Z";
    const grey = medrecClock(open(received), new Date("2026-12-02T12:00:00Z"))!;
    expect(grey.textContent).toBe("Meds rec due 09-Dec");
    expect(grey.className).toMatch(/nhsuk-tag--grey/);
    expect(grey.getAttribute("data-overdue")).toBe("false");
    expect(grey.title).toBe("Medicines reconciliation due by 09-Dec-2026 (7 days from receipt)");
    const today = medrecClock(open(received), new Date("2026-12-09T08:00:00Z"))!;
    expect([today.textContent, today.className.includes("nhsuk-tag--orange"), today.getAttribute("data-overdue")]).toEqual(["Meds rec due today", true, "false"]);
    const late = medrecClock(open(received), new Date("2026-12-10T00:00:00Z"))!;
    expect([late.textContent, late.className.includes("nhsuk-tag--red"), late.getAttribute("data-overdue")]).toEqual(["Meds rec overdue", true, "true"]);
    // Line 3 keeps its tags (status, changes) for the medicines; the clock is on line 4.
    expect(rowFlags(open(received)).some((e) => e.dataset.testid === "row-medrec-clock")).toBe(false);
    const withAction = { ...open(received), flags: { ...open(received).flags, practice_actions: 2, first_action: "Please check U&E in 1 week." } };
    const line = todoLine(withAction, new Date("2026-12-02T12:00:00Z"));
    expect(line.textContent).toBe("Meds rec due 09-DecFor the practice (2): Please check U&E in 1 week.");
    expect(line.firstElementChild?.getAttribute("data-testid")).toBe("row-medrec-clock");
    // The action's own element keeps its words alone.
    expect(line.querySelector(".app-row__action")?.textContent).toBe("For the practice (2): Please check U&E in 1 week.");
    expect(todoLine(open(received), new Date("2026-12-02T12:00:00Z")).textContent).toBe("Meds rec due 09-Dec");
    const el = renderRow(open(received), 0, 1, false, new Date("2026-12-10T00:00:00Z"));
    expect(el.querySelector(".app-row__line4 > [data-testid=row-medrec-clock]")?.getAttribute("data-overdue")).toBe("true");
  });
});
