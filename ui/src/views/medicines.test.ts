import { describe, expect, it } from "vitest";
import type { Medication } from "../bindings/Medication";
import { highRiskTag, medicineBadge, renderDisagreement, renderMedicines, sortMedicines, whatChanged } from "./medicines";

function med(over: Partial<Medication>): Medication {
  return {
    code: null, name: "Aspirin 75mg dispersible tablets", form: null, dosage: "One daily", route: "Oral",
    additional_instructions: [], patient_instruction: null, status: "active", status_raw: "active",
    list: "active", list_code: null, change: null, change_raw: null, change_date: null,
    change_details: null, change_indication: null, effective: null, quantity: null, notes: [], high_risk: null, ...over,
  };
}

describe("medicine badges", () => {
  it("name every change with a word and a colour", () => {
    expect(medicineBadge(med({ change: "added" }))).toEqual({ label: "Added", colour: "green" });
    expect(medicineBadge(med({ change: "amended" }))).toEqual({ label: "Amended", colour: "orange" });
    expect(medicineBadge(med({ change: "continued" }))).toEqual({ label: "Continued", colour: "grey" });
    expect(medicineBadge(med({ change: "on-hold" }))).toEqual({ label: "On hold", colour: "yellow" });
  });
  it("show stopped medicines as Stopped whatever else was sent", () => {
    expect(medicineBadge(med({ status: "stopped", change: "amended" }))?.label).toBe("Stopped");
    expect(medicineBadge(med({ list: "discontinued" }))?.label).toBe("Stopped");
  });
  it("keep a change status the app does not know", () => {
    expect(medicineBadge(med({ change_raw: "paused" }))).toEqual({ label: "paused (not recognised)", colour: "grey" });
    expect(medicineBadge(med({}))).toBeNull();
  });
  it("put stopped and amended medicines first, otherwise keep the order sent", () => {
    const meds = [
      med({ name: "A", change: "continued" }),
      med({ name: "B", change: "added" }),
      med({ name: "C", status: "stopped" }),
      med({ name: "D", change: "amended" }),
      med({ name: "E" }),
      med({ name: "F", change: "continued" }),
    ];
    expect(sortMedicines(meds).map((m) => m.name)).toEqual(["C", "D", "B", "A", "F", "E"]);
  });
});

describe("the medicines table", () => {
  it("shows every medicine with dose, route, badge and amendment details", () => {
    const table = renderMedicines([
      med({ name: "Ramipril 5mg capsules", change: "amended", change_details: "Dose increased from 2.5mg", change_indication: "Blood pressure" }),
      med({ name: "Simvastatin 40mg tablets", status: "stopped", change_details: "Stopped: myalgia" }),
      med({ name: "Omeprazole <b>20mg</b>", change: "added" }),
    ]);
    const rows = [...table.querySelectorAll("tbody tr")];
    expect(rows).toHaveLength(3);
    expect(rows[0].textContent).toContain("Stopped");
    expect(rows[0].textContent).toContain("Simvastatin 40mg tablets");
    expect(rows[0].textContent).toContain("Change: Stopped: myalgia");
    expect(rows[1].querySelector(".nhsuk-tag--orange")?.textContent).toBe("Amended");
    expect(rows[1].textContent).toContain("Dose increased from 2.5mg");
    expect(rows[1].textContent).toContain("Reason: Blood pressure");
    expect(rows[2].querySelector(".nhsuk-tag--green")?.textContent).toBe("Added");
    // Names are text, never markup.
    expect(rows[2].querySelector("b")).toBeNull();
    expect(rows[2].textContent).toContain("Omeprazole <b>20mg</b>");
    expect(table.querySelector("caption")?.textContent).toBe("Medicines (3) coded by the hospital, changes first");
    expect([...table.querySelectorAll("thead th")].map((t) => t.textContent)).toEqual(["Change", "Medicine", "Dose", "What changed and why"]);
  });
});

const text = (els: (HTMLElement | null)[]) => els.filter((e): e is HTMLElement => e !== null).map((e) => e.textContent).join(" | ");

describe("what changed and why", () => {
  it("shows was and now from the hospital's words, with the words themselves and the reason", () => {
    const t = text(whatChanged(med({ change: "amended", change_details: "Dose increased from 20 mg to 80 mg at night", change_indication: "High-intensity statin", change_date: "2026-10-19" })));
    expect(t).toBe("Was 20 mg -> now 80 mg at night | “Dose increased from 20 mg to 80 mg at night” | Reason: High-intensity statin | Changed: 19-Oct-2026");
  });
  it("says when no reason or previous dose was given, never guessing one", () => {
    expect(text(whatChanged(med({ change: "amended" })))).toBe("Was: previous dose not given | Reason: no reason given");
    expect(text(whatChanged(med({ status: "stopped" })))).toBe("Reason: no reason given");
    expect(text(whatChanged(med({ change: "added", change_indication: "Pneumonia" })))).toBe("Reason: Pneumonia");
  });
  it("says a continued medicine did not change, and when the document does not say", () => {
    expect(text(whatChanged(med({ change: "continued" })))).toBe("No change");
    expect(text(whatChanged(med({})))).toBe("Change not stated");
  });
  it("tags high-risk medicines with their group, in words", () => {
    expect(highRiskTag(med({ high_risk: "anticoagulant" }))?.textContent).toBe("High risk: anticoagulant");
    expect(highRiskTag(med({}))).toBeNull();
    const table = renderMedicines([med({ name: "Warfarin 1mg tablets", high_risk: "anticoagulant", change: "continued" })]);
    expect(table.querySelector("tbody tr")?.getAttribute("data-high-risk")).toBe("anticoagulant");
    expect(table.querySelector(".app-med__risk")?.textContent).toBe("High risk: anticoagulant");
  });
});

describe("a disagreement between the lists", () => {
  it("names each medicine and how the two lists differ", () => {
    const el = renderDisagreement({ onlyCoded: ["Clopidogrel 75mg"], onlyNarrative: ["Warfarin 1mg"], statusDiffers: [{ name: "Ramipril", coded: "Amended", narrative: "Continued" }] });
    expect([...el.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "Clopidogrel 75mg: in the coded list, not in the hospital's table",
      "Warfarin 1mg: in the hospital's table, not in the coded list",
      "Ramipril: coded as Amended, the hospital's table says Continued",
    ]);
  });
});
