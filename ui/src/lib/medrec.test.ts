// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { MedrecView } from "../bindings/MedrecView";
import { CATEGORY_WORDS, decisionProblem, signedOffListVersion, dueLine, hospitalStatus, listLine, nextUndecidedRow, riskOf, rowModels, signOffState } from "./medrec";
import { med } from "./testdata";
import { renderMedrec } from "../views/medrec";

const pharmacist: CurrentUser = { name: "Pat Pharmacist", role: "pharmacist", permissions: ["work", "sign-off-medicines"] };
const admin: CurrentUser = { name: "Alex Admin", role: "admin", permissions: ["work", "match", "file"] };

function view(over: Partial<MedrecView> = {}): MedrecView {
  return {
    document_id: 1,
    version: 4,
    nhs_number: "9434765919",
    practice_list: {
      nhs_number: "9434765919",
      version: 1,
      imported_at: "2026-12-01T09:00:00Z",
      source: "import",
      source_name: "list.csv",
      lines: [
        { code: null, name: "Ramipril 2.5mg capsules", dosage: "One daily", route: "Oral", type: "repeat" },
        { code: null, name: "Simvastatin 40mg tablets", dosage: "One at night", route: "Oral", type: "repeat" },
      ],
    },
    discharge: [
      med({ name: "Amoxicillin 500mg capsules", change: "added", change_indication: "Chest infection", dosage: "One three times a day" }),
      med({ name: "Ramipril 2.5mg capsules", list: "discontinued", dosage: "One daily" }),
    ],
    rows: [
      { key: "d0", category: "added", discharge_index: 0, practice_index: null, basis: null, flags: [], others: [], detail: null, decision: null },
      { key: "d1-p0", category: "stopped", discharge_index: 1, practice_index: 0, basis: "name", flags: ["reason-missing"], others: [], detail: null, decision: null },
      {
        key: "p1",
        category: "omission",
        discharge_index: null,
        practice_index: 1,
        basis: null,
        flags: [],
        others: [],
        detail: null,
        decision: { choice: "query-hospital", intent: "unintentional", note: "Was simvastatin meant to stop?", stamp: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-01T10:00:00Z" } },
      },
    ],
    due_by: "2026-12-08",
    signed_off: null,
    undecided: 2,
    ...over,
  };
}

describe("medicines reconciliation model", () => {
  it("names every category in plain words", () => {
    expect(CATEGORY_WORDS.omission).toBe("On the practice list, missing from the discharge");
    expect(CATEGORY_WORDS.added).toBe("Started by the hospital");
    expect(Object.values(CATEGORY_WORDS).every((w) => w.length > 0)).toBe(true);
    expect(riskOf("omission")).toBe("high");
    expect(riskOf("unchanged")).toBe("none");
    expect(riskOf("dose-changed")).toBe("change");
  });

  it("says the hospital's status, stopped meaning on the discontinued list", () => {
    expect(hospitalStatus(med({ list: "discontinued" }))).toBe("Stopped");
    expect(hospitalStatus(med({ change: "added" }))).toBe("Added");
    expect(hospitalStatus(med({ change: null, change_raw: "Weird" }))).toBe("Weird (not recognised)");
    expect(hospitalStatus(med())).toBe("No change status given");
  });

  it("builds the table: both sides, flags, decision", () => {
    const rows = rowModels(view());
    expect(rows.map((r) => [r.category, r.hospital?.name ?? null, r.practice?.name ?? null])).toEqual([
      ["added", "Amoxicillin 500mg capsules", null],
      ["stopped", "Ramipril 2.5mg capsules", "Ramipril 2.5mg capsules"],
      ["omission", null, "Simvastatin 40mg tablets"],
    ]);
    expect(rows[0].hospital?.reason).toBe("Chest infection");
    expect(rows[0].hospital?.status).toBe("Added");
    expect(rows[1].flags).toEqual(["Reason missing"]);
    expect(rows[2].risk).toBe("high");
    expect(rows[2].decided).toBe(true);
    expect(rows[2].decision).toMatch(/^Query hospital \(Unintentional\): Was simvastatin meant to stop\? Pat Pharmacist \(Pharmacist\), 01-Dec-2026 10:00$/);
  });

  it("gives the list's version and age, and the due date", () => {
    expect(listLine(view(), new Date(2026, 11, 1, 15))).toBe("practice list version 1, imported 01-Dec-2026, 0 days old");
    expect(listLine(view(), new Date(2026, 11, 2, 15))).toBe("practice list version 1, imported 01-Dec-2026, 1 day old");
    expect(listLine(view({ practice_list: null }), new Date())).toBeNull();
    expect(dueLine(view(), new Date(2026, 11, 1))).toEqual({ text: "Reconcile by 08-Dec-2026", overdue: false });
    expect(dueLine(view(), new Date(2026, 11, 9))).toEqual({ text: "Overdue: reconciliation was due by 08-Dec-2026", overdue: true });
  });

  it("offers sign-off to pharmacists and GPs only, with the reason while rows are undecided", () => {
    expect(signOffState(view(), admin).show).toBe(false);
    expect(signOffState(view(), pharmacist)).toEqual({ show: true, enabled: false, reason: "2 rows have no decision yet: decide every row before signing off." });
    expect(signOffState(view({ undecided: 0 }), pharmacist)).toEqual({ show: true, enabled: true, reason: null });
    expect(signOffState(view({ signed_off: { by: "P", role: "pharmacist", at: "2026-12-01T10:00:00Z" } }), pharmacist).show).toBe(false);
  });

  it("finds the next undecided row, wrapping", () => {
    expect(nextUndecidedRow(view())).toBe("d0");
    expect(nextUndecidedRow(view(), "d0")).toBe("d1-p0");
    expect(nextUndecidedRow(view(), "d1-p0")).toBe("d0");
  });

  it("refuses a query without a note", () => {
    expect(decisionProblem("", "")).toMatch(/Choose/);
    expect(decisionProblem("query-hospital", " ")).toMatch(/note is required/);
    expect(decisionProblem("query-hospital", "why?")).toBeNull();
    expect(decisionProblem("accept-hospital", "")).toBeNull();
  });
});

describe("the sign-off's new list version", () => {
  it("reads it from the document's events", () => {
    expect(signedOffListVersion([{ kind: "medrec_decided", details: {} }, { kind: "medrec_signed_off", details: { list_version: 2, rows: 7 } }])).toBe(2);
    expect(signedOffListVersion([{ kind: "medrec_decided", details: {} }])).toBeNull();
  });
});

describe("the reconciliation section", () => {
  const handlers = { decide: () => {}, signOff: () => {} };
  it("says plainly when there is no practice list", () => {
    const el = renderMedrec({ view: view({ practice_list: null }), user: pharmacist, today: new Date(2026, 11, 1) }, handlers);
    expect(el.querySelector("[data-testid=medrec-no-list]")?.textContent).toBe("No practice medication list for this patient: import it with handover medlist import");
  });
  it("draws a row per reconciliation row, omissions marked, sign-off disabled with its reason", () => {
    const el = renderMedrec({ view: view(), user: pharmacist, today: new Date(2026, 11, 1) }, handlers);
    expect(el.querySelectorAll("tbody tr").length).toBe(3);
    expect(el.querySelector("[data-category=omission]")?.className).toMatch(/app-medrec__row--omission/);
    const b = el.querySelector<HTMLButtonElement>("#medrec-signoff");
    expect(b?.getAttribute("aria-disabled")).toBe("true");
    expect(el.querySelector("#medrec-signoff-reason")?.textContent).toMatch(/2 rows have no decision yet/);
    expect(renderMedrec({ view: view(), user: admin, today: new Date(2026, 11, 1) }, handlers).querySelector("#medrec-signoff")).toBeNull();
  });
});
