import { describe, expect, it } from "vitest";
import { labelValue, readNarrative } from "./narrative";

describe("reading a narrative's labelled facts", () => {
  it("reads row headers beside their cells, word for word", () => {
    const r = readNarrative(
      "<div><table><tbody><tr><th>Discharge destination</th><td>Usual place of residence</td></tr><tr><th>Date/time of discharge</th><td>19-Oct-2026   11:51</td></tr></tbody></table></div>",
    );
    expect(r.fields).toEqual([
      { label: "Discharge destination", value: "Usual place of residence" },
      { label: "Date/time of discharge", value: "19-Oct-2026 11:51" },
    ]);
  });
  it("reads column headers over rows, and keeps each row as a line", () => {
    const r = readNarrative(
      "<table><thead><tr><th>Medication</th><th>Dose</th><th>Status</th></tr></thead><tbody><tr><td>Ramipril 5mg capsules</td><td>One daily</td><td>Amended</td></tr></tbody></table>",
    );
    expect(r.fields).toEqual([
      { label: "Medication", value: "Ramipril 5mg capsules" },
      { label: "Dose", value: "One daily" },
      { label: "Status", value: "Amended" },
    ]);
    expect(r.lines).toEqual(["Medication: Ramipril 5mg capsules; Dose: One daily; Status: Amended"]);
  });
  it("reads a sub-heading with the text under it, and Label: value lines", () => {
    const r = readNarrative("<div><h4>Crisis plan</h4><p>Call the crisis team.</p><p>Care coordinator: Sam Okoro</p><p><b>Risk summary</b></p><p>Low.</p></div>");
    expect(r.fields).toContainEqual({ label: "Care coordinator", value: "Sam Okoro" });
    expect(r.fields).toContainEqual({ label: "Crisis plan", value: "Call the crisis team. Care coordinator: Sam Okoro" });
    expect(r.fields).toContainEqual({ label: "Risk summary", value: "Low." });
    expect(r.lines).toEqual(["Crisis plan", "Call the crisis team.", "Care coordinator: Sam Okoro", "Risk summary", "Low."]);
  });
  it("reads a bold label leading its value, definition lists and lines split at <br>", () => {
    const r = readNarrative("<p><b>CPA status:</b> On CPA</p><dl><dt>Section 117</dt><dd>Eligible</dd></dl><p>Outcome: discharged<br/>Follow-up: none</p>");
    expect(r.fields).toEqual([
      { label: "CPA status", value: "On CPA" },
      { label: "Section 117", value: "Eligible" },
      { label: "Outcome", value: "discharged" },
      { label: "Follow-up", value: "none" },
    ]);
  });
  it("takes a time or a sentence for what it is, not a label", () => {
    expect(labelValue("Seen at 10:30 in clinic")).toBeNull();
    expect(labelValue("He was seen. Plan: none")).toBeNull();
    expect(labelValue("https://example.org")).toBeNull();
    expect(labelValue("Person responsible: GP")).toEqual({ label: "Person responsible", value: "GP" });
  });
  it("keeps every word as text (markup in words is not markup)", () => {
    const r = readNarrative("<p>Plan: check K&lt;b&gt; level</p>");
    expect(r.fields).toEqual([{ label: "Plan", value: "check K<b> level" }]);
  });
  it("falls back to the plain text when there is no markup", () => {
    expect(readNarrative("", "Outcome: discharged\nNo follow-up.").lines).toEqual(["Outcome: discharged", "No follow-up."]);
  });
});
