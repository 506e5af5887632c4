import { describe, expect, it } from "vitest";
import { compareMedicines, disagrees, medicineKey, narrativeMedicines, statusWord } from "./medcompare";
import { med, section } from "./testdata";

const table = (rows: [string, string][]) =>
  section(
    "Medications and medical devices",
    `<div><table><thead><tr><th>Medication</th><th>Dose and frequency</th><th>Status</th></tr></thead><tbody>${rows.map(([n, s]) => `<tr><td>${n}</td><td>One daily</td><td>${s}</td></tr>`).join("")}</tbody></table></div>`,
  );

describe("the coded medicines beside the hospital's own table", () => {
  it("match a medicine by its leading name, whatever the strength or form", () => {
    expect(medicineKey("Atorvastatin 80mg tablets")).toBe("atorvastatin");
    expect(medicineKey("atorvastatin")).toBe("atorvastatin");
    expect(medicineKey("Insulin glargine 100units/ml")).toBe("insulin glargine");
    expect(medicineKey("Co-codamol 30mg/500mg tablets")).toBe("co-codamol");
    expect(medicineKey("Folic acid 5mg tablets")).toBe("folic acid");
  });
  it("read the table's medicines and their status column", () => {
    expect(narrativeMedicines([table([["Ramipril 5mg capsules", "Amended"], ["Aspirin 75mg", "Continued"]])])).toEqual([
      { name: "Ramipril 5mg capsules", status: "Amended" },
      { name: "Aspirin 75mg", status: "Continued" },
    ]);
  });
  it("agree when both list the same medicines with the same changes", () => {
    const d = compareMedicines(
      [med({ name: "Ramipril 5mg capsules", change: "amended" }), med({ name: "Aspirin 75mg dispersible tablets", change: "continued" })],
      [table([["Ramipril 5mg capsules", "Amended"], ["Aspirin 75mg dispersible tablets", "Continued"]])],
    );
    expect(d).toEqual({ onlyCoded: [], onlyNarrative: [], statusDiffers: [] });
    expect(disagrees(d)).toBe(false);
  });
  it("flag a medicine in one list and not the other, and a different change status", () => {
    const d = compareMedicines(
      [med({ name: "Ramipril 5mg capsules", change: "amended" }), med({ name: "Clopidogrel 75mg tablets", change: "added" }), med({ name: "Simvastatin 40mg", status: "stopped" })],
      [table([["Ramipril 5mg capsules", "Continued"], ["Warfarin 1mg tablets", "Continued"], ["Simvastatin 40mg tablets", "Stopped"]])],
    );
    expect(d).toEqual({
      onlyCoded: ["Clopidogrel 75mg tablets"],
      onlyNarrative: ["Warfarin 1mg tablets"],
      statusDiffers: [{ name: "Ramipril 5mg capsules", coded: "Amended", narrative: "Continued" }],
    });
    expect(disagrees(d)).toBe(true);
  });
  it("say nothing either way when the narrative has no table of medicines", () => {
    expect(compareMedicines([med({})], [section("Medications", "<p>See the attached list.</p>")])).toBeNull();
  });
  it("read the usual status words, and no others", () => {
    expect(statusWord("Started")).toBe("added");
    expect(statusWord("Dose changed")).toBe("amended");
    expect(statusWord("Discontinued")).toBe("stopped");
    expect(statusWord("Withheld")).toBe("on-hold");
    expect(statusWord("Unchanged")).toBe("continued");
    expect(statusWord("See GP")).toBeNull();
  });
});
