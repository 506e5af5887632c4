import { describe, expect, it } from "vitest";
import { buildSummary, changeCounts, medicineChange, medicineChanges, medicineChangeText, previousAndNew } from "./summary";
import { tidy } from "./narrative";
import { action, doc, med, rows, section } from "./testdata";

describe("medicine changes, worded from the medication model", () => {
  it("name stopped, new, dose-changed and held medicines, stopped first", () => {
    const changes = medicineChanges([
      med({ name: "Ramipril 2.5mg capsules", change: "continued" }),
      med({ name: "Sertraline 50mg tablets", change: "added" }),
      med({ name: "Bisoprolol 2.5mg tablets", change: "amended", change_details: "Dose reduced from 5 mg to 2.5 mg" }),
      med({ name: "Clopidogrel 75mg tablets", status: "stopped", change_indication: "Bleeding" }),
      med({ name: "Metformin 500mg tablets", change: "on-hold" }),
    ]);
    expect(changes.map((c) => [c.kind, c.name, c.detail])).toEqual([
      ["stopped", "Clopidogrel 75mg tablets", null],
      ["new", "Sertraline 50mg tablets", null],
      ["dose", "Bisoprolol 2.5mg tablets", "5 mg -> 2.5 mg"],
      ["on-hold", "Metformin 500mg tablets", null],
    ]);
    expect(medicineChangeText(changes)).toBe(
      "Stopped: Clopidogrel 75mg tablets; New: Sertraline 50mg tablets; Dose changed: Bisoprolol 2.5mg tablets 5 mg -> 2.5 mg; On hold: Metformin 500mg tablets",
    );
  });
  it("take a medicine on the discontinued list as stopped whatever its change says", () => {
    expect(medicineChange(med({ list: "discontinued", change: "amended" }))?.kind).toBe("stopped");
  });
  it("keep the hospital's words when the previous dose cannot be read from them, and say nothing when none was given", () => {
    expect(medicineChange(med({ change: "amended", change_details: "Dose changed at review" }))?.detail).toBe("Dose changed at review");
    expect(medicineChange(med({ change: "amended" }))?.detail).toBeNull();
    expect(previousAndNew("Dose increased from 20 mg to 80 mg at night.")).toEqual(["20 mg", "80 mg at night"]);
    expect(previousAndNew("Take with food")).toBeNull();
  });
  it("keep a change status the app does not know, as sent", () => {
    const c = medicineChange(med({ name: "Digoxin", change_raw: "titrated" }));
    expect(c).toMatchObject({ kind: "unrecognised", detail: "titrated" });
    expect(medicineChangeText([c!])).toBe("Change not recognised: Digoxin (titrated)");
    expect(medicineChange(med({}))).toBeNull();
  });
  it("count for a list row", () => {
    expect(changeCounts({ added: 1, amended: 0, stopped: 2, on_hold: 0 })).toBe("2 stopped, 1 new");
    expect(changeCounts({ added: 0, amended: 1, stopped: 0, on_hold: 1 })).toBe("1 dose changed, 1 on hold");
    expect(changeCounts({ added: 0, amended: 0, stopped: 0, on_hold: 0 })).toBe("");
  });
});

const plan = section("Plan and requested actions", "<div><ul><li>Please check U&amp;E in one week.<br/>Person responsible: GP<br/>Status: Requested</li></ul></div>");

describe("the summary", () => {
  it("keeps the requested actions exactly as the backend read them", () => {
    const actions = [action("Please check U&E in one week.", { responsible: "GP", status: "Requested" }), action("Physio will call.", { for_practice: false, responsible: "Physiotherapy" })];
    const s = buildSummary(doc({ sections: [plan] }), actions);
    expect(s.actions).toEqual(actions);
  });

  it("takes discharge from the encounter, else from the narrative's labels", () => {
    const coded = buildSummary(
      doc({ encounter: { status: null, class: null, encounter_type: null, start: null, end: null, admission_date: null, attendance_date: null, discharge_date: "2026-10-19T10:51:00Z", admission_method: null, admission_source: null, discharge_method: null, discharge_destination: "Usual place of residence", location: null } }),
      [],
    );
    expect(coded.discharge).toEqual([
      { label: "Discharged", value: "19-Oct-2026 11:51", section: null },
      { label: "Discharge destination", value: "Usual place of residence", section: null },
    ]);
    const written = buildSummary(doc({ sections: [section("Discharge details", rows([["Date/time of discharge", "19-Oct-2026 11:51"], ["Discharge destination", "Nursing home"], ["Discharge method", "On clinical advice"]]))] }), []);
    expect(written.discharge).toEqual([
      { label: "Date/time of discharge", value: "19-Oct-2026 11:51", section: 0 },
      { label: "Discharge destination", value: "Nursing home", section: 0 },
    ]);
  });

  it("lists diagnoses as the hospital labelled them, else the coded conditions", () => {
    const s = buildSummary(doc({ sections: [section("Diagnoses", rows([["Primary diagnosis", "Community-acquired pneumonia"], ["Secondary diagnosis", "Atrial fibrillation"]]))] }), []);
    expect(s.diagnoses.map((f) => `${f.label}: ${f.value}`)).toEqual(["Primary diagnosis: Community-acquired pneumonia", "Secondary diagnosis: Atrial fibrillation"]);
    const coded = buildSummary(doc({ conditions: [{ code: "1", name: "Asthma", clinical_status: null, verification_status: null, category: null, onset: null, notes: [] }] }), []);
    expect(coded.diagnoses).toEqual([{ label: "Diagnosis", value: "Asthma", section: null }]);
  });

  it("finds mental health facts by their labels, sub-headings and sentences, for mental health discharges only", () => {
    const sections = [
      section("Safety alerts", rows([["Risks to self", "Low: no self-harm."], ["Risks to others", "None identified."]])),
      section("Legal information", rows([["Mental Health Act status", "Discharged from Section 3 on 27-Sep-2026."], ["Section 117 aftercare", "Eligible."]])),
      section("Care planning", "<div><p>On the Care Programme Approach (CPA). Care coordinator: Sam Okoro, CPN (0113 496 0805). Review in four weeks.</p><h4>Crisis plan</h4><p>Call the crisis team on 0113 496 0969.</p></div>"),
      section("Information given", rows([["Actions for patient", "If you feel unsafe, use your crisis plan: call 111."]])),
    ];
    const s = buildSummary(doc({ kind: "mental-health-discharge", sections }), []);
    const shown = s.mentalHealth.map((f) => `${f.label}: ${f.value}`);
    expect(shown).toEqual([
      "Risks to self: Low: no self-harm.",
      "Risks to others: None identified.",
      "Mental Health Act status: Discharged from Section 3 on 27-Sep-2026.",
      "Care planning: On the Care Programme Approach (CPA).",
      "Section 117 aftercare: Eligible.",
      "Crisis plan: Call the crisis team on 0113 496 0969.",
      "Care coordinator: Sam Okoro, CPN (0113 496 0805).",
    ]);
    // Not a mental health discharge: none of it is drawn out.
    expect(buildSummary(doc({ kind: "inpatient-discharge", sections }), []).mentalHealth).toEqual([]);
  });

  it("shows an outpatient clinic's outcome and follow-up, and results still pending", () => {
    const s = buildSummary(
      doc({
        kind: "outpatient-letter",
        sections: [
          section("Attendance details", rows([["Clinic", "Gastroenterology"], ["Outcome of attendance", "Follow-up in 3 months"], ["Follow-up", "IBD clinic in three months."]])),
          section("Investigation results", rows([["Investigation results", "CRP 21."], ["Results awaited", "Varicella serology."]])),
        ],
      }),
      [],
    );
    expect(s.outcome).toEqual([{ label: "Outcome of attendance", value: "Follow-up in 3 months", section: 0 }]);
    expect(s.followUp).toEqual([{ label: "Follow-up", value: "IBD clinic in three months.", section: 0 }]);
    expect(s.pending).toEqual([{ label: "Results awaited", value: "Varicella serology.", section: 1 }]);
  });

  it("does not repeat a follow-up or pending result that is a requested action", () => {
    const planSection = section("Plan and requested actions", "<div><p>Results awaited: prolactin.</p><p>Follow-up: clinic in 6 weeks.</p></div>");
    const s = buildSummary(doc({ sections: [planSection] }), [action("Results awaited: prolactin.", { section: 0 }), action("Follow-up: clinic in 6 weeks.", { section: 0 })]);
    expect(s.pending).toEqual([]);
    expect(s.followUp).toEqual([]);
  });

  it("invents nothing: a document that states none of it has an empty summary, and every fact is the narrative's own words", () => {
    const empty = buildSummary(doc({ sections: [section("Clinical summary", "<p>Admitted with a fall. Home with family.</p>")] }), []);
    expect([empty.discharge, empty.diagnoses, empty.medicineChanges, empty.followUp, empty.pending, empty.mentalHealth, empty.outcome]).toEqual([[], [], [], [], [], [], []]);

    const d = doc({
      kind: "mental-health-discharge",
      sections: [
        section("Discharge details", rows([["Discharge destination", "Home &amp; family"]])),
        section("Legal", "<div><p><b>Legal status:</b> Informal</p><p>CPA: not on CPA.</p></div>"),
        section("Risk", "<div><h3>Risk summary</h3><p>Low risk;  keep   under review.</p></div>"),
      ],
    });
    const s = buildSummary(d, []);
    const facts = [...s.discharge, ...s.mentalHealth];
    expect(facts.length).toBeGreaterThanOrEqual(4);
    for (const f of facts) {
      const text = tidy(d.sections[f.section as number].text);
      expect(text, `${f.label}: ${f.value}`).toContain(f.value);
    }
  });

  it("lists the attachments", () => {
    const s = buildSummary(doc({ attachments: [{ id: null, content_type: "application/pdf", size: 10, supported: true, data_base64: "" }] }), []);
    expect(s.attachments).toHaveLength(1);
  });
});
