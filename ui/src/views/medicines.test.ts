import { describe, expect, it } from "vitest";
import type { Medication } from "../bindings/Medication";
import { medicineBadge, renderMedicines, sortMedicines } from "./medicines";

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
    expect(rows[0].textContent).toContain("Stopped: myalgia");
    expect(rows[1].querySelector(".nhsuk-tag--orange")?.textContent).toBe("Amended");
    expect(rows[1].textContent).toContain("Dose increased from 2.5mg");
    expect(rows[1].textContent).toContain("Reason: Blood pressure");
    expect(rows[2].querySelector(".nhsuk-tag--green")?.textContent).toBe("Added");
    // Names are text, never markup.
    expect(rows[2].querySelector("b")).toBeNull();
    expect(rows[2].textContent).toContain("Omeprazole <b>20mg</b>");
    expect(table.querySelector("caption")?.textContent).toBe("Medicines (3)");
  });
});
