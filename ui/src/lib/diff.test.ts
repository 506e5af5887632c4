import { describe, expect, it } from "vitest";
import { diffDocuments, diffLines, diffMedicines } from "./diff";
import { doc, med, rows, section } from "./testdata";

describe("line differences", () => {
  it("find the lines added and removed, in order", () => {
    expect(diffLines(["a", "b", "c"], ["a", "c", "d"])).toEqual({ added: ["d"], removed: ["b"] });
    expect(diffLines([], ["x"])).toEqual({ added: ["x"], removed: [] });
    expect(diffLines(["x", "x"], ["x"])).toEqual({ added: [], removed: ["x"] });
    expect(diffLines(["a", "b"], ["a", "b"])).toEqual({ added: [], removed: [] });
  });
});

describe("what a replacement changed", () => {
  const before = doc({
    sections: [
      section("Diagnoses", rows([["Primary diagnosis", "Chest pain"]]), { code: "887161000000102" }),
      section("Plan and requested actions", "<ul><li>GP to check U&amp;E.</li></ul>"),
      section("Local notes", "<p>Ward notes.</p>"),
    ],
    medications: [med({ name: "Aspirin 75mg", change: "continued" }), med({ name: "Simvastatin 40mg", change: "continued" })],
  });
  const after = doc({
    sections: [
      // Retitled, same code: the same section, changed.
      section("Diagnosis", rows([["Primary diagnosis", "Acute myocardial infarction"]]), { code: "887161000000102" }),
      section("Plan and requested actions", "<ul><li>GP to check U&amp;E.</li><li>Start cardiac rehabilitation.</li></ul>"),
      section("Allergies", rows([["Causative agent", "Penicillin"]])),
    ],
    medications: [med({ name: "Aspirin 75mg", change: "continued" }), med({ name: "Clopidogrel 75mg", change: "added" }), med({ name: "Simvastatin 40mg", status: "stopped" })],
  });

  it("compares section by section: added, removed, changed (lines) and unchanged", () => {
    const d = diffDocuments(before, after);
    expect(d.sections.map((s) => [s.status, s.title, s.index, s.added, s.removed])).toEqual([
      ["changed", "Diagnosis", 0, ["Primary diagnosis: Acute myocardial infarction"], ["Primary diagnosis: Chest pain"]],
      ["changed", "Plan and requested actions", 1, ["Start cardiac rehabilitation."], []],
      ["added", "Allergies", 2, ["Causative agent: Penicillin"], []],
      ["removed", "Local notes", null, [], ["Ward notes."]],
    ]);
    expect(d.same).toBe(false);
  });

  it("compares the coded medicines", () => {
    expect(diffMedicines(before.medications, after.medications)).toEqual({
      added: ["Clopidogrel 75mg"],
      removed: [],
      changed: [{ name: "Simvastatin 40mg", was: "One daily, Oral, continued", now: "One daily, Oral, stopped" }],
    });
  });

  it("says when nothing differs", () => {
    const d = diffDocuments(before, before);
    expect(d.same).toBe(true);
    expect(d.sections.every((s) => s.status === "unchanged")).toBe(true);
  });

  it("tells repeated sections apart by their order", () => {
    const a = doc({ sections: [section("Note", "<p>one</p>"), section("Note", "<p>two</p>")] });
    const b = doc({ sections: [section("Note", "<p>one</p>"), section("Note", "<p>two, amended</p>")] });
    expect(diffDocuments(a, b).sections.map((s) => s.status)).toEqual(["unchanged", "changed"]);
  });
});
