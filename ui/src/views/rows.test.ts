import { describe, expect, it } from "vitest";
import type { DocumentRow } from "../bindings/DocumentRow";
import { renderRow, rowFlags } from "./rows";

function row(over: Partial<DocumentRow> = {}): DocumentRow {
  return {
    id: 7, kind: "inpatient-discharge", nhs_number: "9434765919", patient_name: "Sam Smith", birth_date: "1957-01-01",
    title: "Discharge summary", sender: "South Devon Healthcare NHS Foundation Trust", care_setting: "Cardiology",
    document_date: null, received_at: "2026-11-22T10:40:00Z", status: "new", superseded_by: null, replaces: null,
    flags: { medication_changes: 3, medications: 5, attachments: 1, allergies: 2, unrecognised: 0, nhs_number_valid: true, superseding: false, requested_actions: false, warnings: 0, added: 0, amended: 0, stopped: 0, on_hold: 0, practice_actions: 0, first_action: null, high_risk_medicines: 0 },
    mesh_message_id: null,
    times_received: 1,
    identity_warnings: 0,
    version: 1,
    ...over,
  };
}

describe("inbox rows", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  it("show patient, NHS number 3 3 4, age, kind, sender, care setting, time and status", () => {
    const el = renderRow(row(), 4, 100, true, now);
    const text = el.textContent ?? "";
    expect(text).toContain("Sam Smith");
    expect(text).toContain("943 476 5919");
    expect(text).toContain("69y");
    expect(text).toContain("Inpatient discharge · South Devon Healthcare NHS Foundation Trust · Cardiology");
    expect(el.querySelector("time")?.textContent).toBe("10:40");
    expect(el.querySelector(".nhsuk-tag--blue")?.textContent).toBe("New");
    expect(el.getAttribute("aria-selected")).toBe("true");
    expect(el.getAttribute("aria-posinset")).toBe("5");
    expect(el.getAttribute("aria-setsize")).toBe("100");
  });
  it("flag medicine changes, attachments, replacements and superseded documents", () => {
    const flags = rowFlags(row({ superseded_by: 9, flags: { ...row().flags, superseding: true, warnings: 1 } })).map((e) => e.textContent);
    expect(flags).toEqual(["Superseded", "Replacement", "3 med changes", "1 attachment", "1 warning"]);
  });
  it("flag identity warnings first, and repeated deliveries", () => {
    const flags = rowFlags(row({ identity_warnings: 2, times_received: 3 })).map((e) => e.textContent);
    expect(flags[0]).toBe("Check identity");
    expect(flags).toContain("Received 3 times");
  });
  it("flag a plan that requests actions of the practice", () => {
    expect(rowFlags(row()).map((e) => e.textContent)).not.toContain("Actions requested");
    const flags = rowFlags(row({ flags: { ...row().flags, requested_actions: true } })).map((e) => e.textContent);
    expect(flags).toContain("Actions requested");
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
