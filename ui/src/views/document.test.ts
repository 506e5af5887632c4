import { describe, expect, it } from "vitest";
import type { Document } from "../bindings/Document";
import type { DocumentRow } from "../bindings/DocumentRow";
import type { DocumentView } from "../bindings/DocumentView";
import type { MessageProvenance } from "../bindings/MessageProvenance";
import type { Patient } from "../bindings/Patient";
import type { Section } from "../bindings/Section";
import { isProminent, jumpWithin, patientAddress, patientName, renderDocument, renderPatientBanner, sectionTables, type DocumentHandlers } from "./document";

const patient: Patient = {
  nhs_number: "9434765919", nhs_number_valid: true, name: "Sam Smith", family: "Smith", given: ["Sam", "J"],
  birth_date: "1957-01-01", gender: "male", address: null, postcode: null, gp_practice_ods: "B83019", gp_practice_name: "The Health Centre",
};

function section(over: Partial<Section>): Section {
  return { code: null, code_display: null, title: "Clinical summary", html: "<p>Well.</p>", text: "Well.", known: true, level: 0, entries: [], ...over };
}

function documentOf(over: Partial<Document> = {}): Document {
  return {
    bundle_id: "b", bundle_identifier: null, composition_id: "c", kind: "inpatient-discharge", title: "Discharge summary", date: "2026-10-13T16:30:00Z",
    status: "final", document_type: null, care_setting: { system: null, code: null, display: "Cardiology service" }, author: null, custodian: null,
    encounter: null, replaces: null, patient, sections: [], medications: [], allergies: [], conditions: [], procedures: [], practitioners: [],
    attachments: [], unrecognised_entries: [], ...over,
  };
}

const row: DocumentRow = {
  id: 3, kind: "inpatient-discharge", nhs_number: "9434765919", patient_name: "LIST NAME", birth_date: null, title: "Discharge summary",
  sender: "Trust", care_setting: null, document_date: null, received_at: "2026-11-22T10:40:00Z", status: "new", superseded_by: null, replaces: null,
  flags: { medication_changes: 0, medications: 0, attachments: 0, allergies: 0, unrecognised: 0, nhs_number_valid: true, superseding: false, requested_actions: false, warnings: 0, added: 0, amended: 0, stopped: 0, on_hold: 0, practice_actions: 0, first_action: null, high_risk_medicines: 0, medrec_open: false },
  mesh_message_id: null,
  times_received: 1,
  identity_warnings: 0,
  version: 1,
  match_state: "matched",
  assigned_to: null,
  business_response: null,
};

function viewOf(doc: Document, over: Partial<DocumentView> = {}): DocumentView {
  return {
    row,
    parsed: { format: "xml", kind: doc.kind, input_size: 1, message: null, document: doc, response: null, diagnostics: [] },
    provenance: { message_id: 1, source: "folder", mailbox: "/tmp/x", source_id: "a.xml", workflow_id: null, sender_mailbox: null, received_at: row.received_at, acknowledged_at: null, sha256: "00", size: 10 },
    superseded_by: null,
    supersedes: [],
    deliveries: [],
    issues: [],
    actions: [],
    ...over,
  };
}

const handlers: DocumentHandlers = { setStatus: () => {}, openDocument: () => {}, viewAttachment: () => {}, saveAttachment: () => {} };

describe("the patient banner", () => {
  it("follows CUI: SURNAME, Given; born dd-Mmm-yyyy (age); gender; NHS No. 3 3 4; GP practice", () => {
    const text = renderPatientBanner(patient, new Date(2026, 10, 22)).textContent;
    expect(patientName(patient)).toBe("SMITH, Sam J");
    expect(text).toContain("SMITH, Sam J");
    expect(text).toContain("Born 01-Jan-1957 (69y)");
    expect(text).toContain("Gender Male");
    expect(text).toContain("NHS No. 943 476 5919");
    expect(text).toContain("GP practice The Health Centre (B83019)");
    expect(text).not.toContain("Invalid");
  });
  it("shows the address with the postcode once, and the kind of document", () => {
    expect(patientAddress({ ...patient, address: "1 High Street, Leeds", postcode: "LS1 1AA" })).toBe("1 High Street, Leeds, LS1 1AA");
    expect(patientAddress({ ...patient, address: "1 High Street, Leeds, LS1 1AA", postcode: "LS11AA" })).toBe("1 High Street, Leeds, LS1 1AA");
    expect(patientAddress({ ...patient, address: null, postcode: "LS1 1AA" })).toBe("LS1 1AA");
    expect(patientAddress(patient)).toBeNull();
    const el = renderPatientBanner({ ...patient, address: "1 High Street, Leeds", postcode: "LS1 1AA" }, new Date(2026, 10, 22), "mental-health-discharge");
    expect(el.textContent).toContain("Address 1 High Street, Leeds, LS1 1AA");
    expect(el.querySelector("[data-testid=document-kind]")?.textContent).toBe("Mental health discharge");
  });
  it("flags an NHS number whose check digit fails", () => {
    const text = renderPatientBanner({ ...patient, nhs_number: "9434765918", nhs_number_valid: false }).textContent;
    expect(text).toContain("943 476 5918 Invalid NHS number");
  });
  it("comes from the document, never from the list row", () => {
    const el = renderDocument(viewOf(documentOf()), handlers);
    expect(el.querySelector("[data-testid=patient-banner]")?.textContent).not.toContain("LIST NAME");
  });
});

describe("sections", () => {
  it("are all shown in order, unknown ones labelled, key ones prominent", () => {
    const doc = documentOf({
      sections: [
        section({ title: "Clinical summary" }),
        section({ title: "Plan and requested actions", html: "<p>GP to check U&amp;E in 1 week.</p>" }),
        section({ title: "Local notes", known: false }),
        section({ title: "Medications and medical devices", entries: [{ reference: "MedicationStatement/1", resource_type: "MedicationStatement", recognised: true }] }),
      ],
      medications: [
        { code: null, name: "Ramipril 5mg capsules", form: null, dosage: "One daily", route: "Oral", additional_instructions: [], patient_instruction: null, status: "active", status_raw: "active", list: "active", list_code: null, change: "amended", change_raw: "amended", change_date: null, change_details: "Dose increased", change_indication: null, effective: null, quantity: null, notes: [], high_risk: null },
      ],
    });
    const el = renderDocument(viewOf(doc), handlers);
    const titles = [...el.querySelectorAll("[data-testid=section] .app-section__title-text")].map((e) => e.textContent);
    expect(titles).toEqual(["Clinical summary", "Plan and requested actions", "Local notes", "Medications and medical devices"]);
    const sections = [...el.querySelectorAll("[data-testid=section]")];
    expect(sections[1].classList.contains("app-section--prominent")).toBe(true);
    expect(sections[3].classList.contains("app-section--prominent")).toBe(true);
    expect(sections[2].textContent).toContain("not recognised");
    expect(sections[3].querySelector("[data-testid=medicines]")?.textContent).toContain("Amended");
    expect(sections[1].textContent).toContain("GP to check U&E in 1 week.");
  });
  it("put structured tables in the section that refers to them, else at the end", () => {
    expect(sectionTables(section({ title: "Allergies and adverse reactions" }))).toEqual(["allergies"]);
    expect(sectionTables(section({ title: "Anything", entries: [{ reference: "Condition/1", resource_type: "Condition", recognised: true }] }))).toEqual(["conditions"]);
    expect(isProminent(section({ title: "plan and requested actions" }))).toBe(true);
    const doc = documentOf({
      sections: [section({ title: "Clinical summary" })],
      procedures: [{ code: null, name: "Angiogram", status: "completed", performed: "2026-10-12", notes: [] }],
    });
    const el = renderDocument(viewOf(doc), handlers);
    expect(el.querySelector("[data-testid=procedures]")?.textContent).toContain("Angiogram");
  });
});

describe("the reading order", () => {
  const meds = [
    { code: null, name: "Warfarin 1mg tablets", form: null, dosage: "As INR", route: "Oral", additional_instructions: [], patient_instruction: null, status: "active" as const, status_raw: "active", list: "active" as const, list_code: null, change: "added" as const, change_raw: "added", change_date: null, change_details: null, change_indication: null, effective: null, quantity: null, notes: [], high_risk: "anticoagulant" as const },
  ];
  const medSection = section({
    title: "Medications and medical devices",
    html: "<table><thead><tr><th>Medication</th><th>Status</th></tr></thead><tbody><tr><td>Warfarin 1mg tablets</td><td>Added</td></tr><tr><td>Apixaban 5mg</td><td>Continued</td></tr></tbody></table>",
    entries: [{ reference: "MedicationStatement/1", resource_type: "MedicationStatement", recognised: true }],
  });
  const d = documentOf({
    custodian: { resource_type: "Organization", ods_code: "RR8", identifier: null, name: "Leeds Teaching Hospitals" },
    sections: [section({ title: "Clinical summary" }), medSection, section({ title: "Plan and requested actions", html: "<p>GP to check INR.</p>" })],
    medications: meds,
  });
  it("puts the summary first, then every section in order; administrative fields behind Document details", () => {
    const el = renderDocument(viewOf(d, { actions: [{ text: "GP to check INR.", heading: null, responsible: "GP", status: "Requested", for_practice: true, section: 2 }] }), handlers);
    const summary = el.querySelector("[data-testid=summary]") as Element;
    const firstSection = el.querySelector("[data-testid=section]") as Element;
    expect(summary.compareDocumentPosition(firstSection) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(summary.querySelector("[data-testid=summary-medicines]")?.textContent).toContain("Warfarin 1mg tablets");
    expect(summary.querySelector("[data-testid=summary-actions]")?.textContent).toContain("For the practice GP to check INR.");
    expect(summary.querySelector("[data-testid=summary-actions]")?.textContent).toContain("Person responsible: GP");
    const details = el.querySelector("details[data-testid=document-details]") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.textContent).toContain("Custodian Leeds Teaching Hospitals (RR8)");
    expect(details.textContent).toContain("Document status final");
    expect(el.querySelector(".app-doc__facts")?.textContent).toContain("From Leeds Teaching Hospitals (RR8)");
  });
  it("puts the coded medicines first in their section, then the hospital's own list, flagged where they disagree", () => {
    const el = renderDocument(viewOf(d), handlers);
    const sec = [...el.querySelectorAll("[data-testid=section]")][1];
    const table = sec.querySelector("[data-testid=medicines]") as Element;
    const label = sec.querySelector(".app-hospital-table__label") as Element;
    const narrative = sec.querySelector(".app-narrative") as Element;
    expect(label.textContent).toBe("The hospital's own list, as written");
    expect(table.compareDocumentPosition(label) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(label.compareDocumentPosition(narrative) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(sec.querySelector("[data-testid=medicine-disagreement]")?.textContent).toContain("Apixaban 5mg: in the hospital's table, not in the coded list");
    expect(table.querySelector(".app-med__risk")?.textContent).toBe("High risk: anticoagulant");
  });
  it("has an index of jump targets and every section, and jumps to them", () => {
    const el = renderDocument(viewOf(d), handlers);
    document.body.append(el);
    const index = el.querySelector("[data-testid=section-index]") as Element;
    expect([...index.querySelectorAll("button")].map((b) => b.textContent)).toEqual(["Summaryg", "Medicinesm", "Planp"]);
    expect([...index.querySelectorAll("option")].map((o) => o.textContent)).toEqual(["Go to section…", "Clinical summary", "Medications and medical devices", "Plan and requested actions"]);
    expect(jumpWithin(el, "actions")).toBe(true);
    expect(document.activeElement?.id).toBe("section-2");
    expect(jumpWithin(el, "medicines")).toBe(true);
    expect(document.activeElement?.id).toBe("section-1");
    expect(jumpWithin(el, "summary")).toBe(true);
    expect(document.activeElement?.id).toBe("summary-title");
    expect(jumpWithin(el, 0)).toBe(true);
    expect(document.activeElement?.id).toBe("section-0");
    expect(jumpWithin(el, "attachments")).toBe(false);
    el.remove();
  });
  it("marks a mental health discharge's kind and keeps every section after the summary", () => {
    const mh = documentOf({ kind: "mental-health-discharge", sections: [section({ title: "Safety alerts", html: "<table><tr><th>Risks to self</th><td>Low.</td></tr></table>" })] });
    const el = renderDocument(viewOf(mh), handlers);
    expect(el.getAttribute("data-kind")).toBe("mental-health-discharge");
    expect(el.querySelector("[data-testid=document-kind]")?.textContent).toBe("Mental health discharge");
    expect(el.querySelector("[data-testid=summary-mh-facts]")?.textContent).toContain("Risks to self: Low.");
    expect(el.querySelectorAll("[data-testid=section]")).toHaveLength(1);
  });
});

describe("replacement banners", () => {
  it("link a replaced document to its replacement", () => {
    let opened = 0;
    const el = renderDocument(viewOf(documentOf(), { superseded_by: { ...row, id: 9, received_at: "2026-11-22T11:00:00Z" } }), { ...handlers, openDocument: (id) => (opened = id) });
    const banner = el.querySelector("[data-testid=replaced-banner]");
    expect(banner?.textContent).toContain("a newer version of this document was received 22-Nov-2026 11:00");
    (banner?.querySelector("button") as HTMLButtonElement).click();
    expect(opened).toBe(9);
    expect(banner?.querySelector("[data-testid=identity-mismatch]")).toBeNull();
  });
  it("warn when the other version names a different patient", () => {
    const el = renderDocument(viewOf(documentOf(), { superseded_by: { ...row, id: 9, patient_name: "Oliver Smith" } }), handlers);
    expect(el.querySelector("[data-testid=identity-mismatch]")?.textContent).toBe(" Check the patient: the other version has a different name Oliver Smith.");
  });
});

describe("identity and deliveries", () => {
  const provenance = (id: number, at: string, from: string | null): MessageProvenance => ({
    message_id: id, source: "mesh", mailbox: "X26ABC1", source_id: `M${id}`, workflow_id: null, sender_mailbox: from,
    received_at: at, acknowledged_at: null, sha256: "00", size: 10,
  });
  it("say plainly when another document shares this one's identifier, with a link to it", () => {
    let opened = 0;
    const el = renderDocument(
      viewOf(documentOf(), {
        issues: [{ kind: "identifier-conflict", other_document_id: 7, detail: "This document reuses the document Bundle id of document 7 (another patient).", created_at: "2026-11-22T10:40:00Z" }],
      }),
      { ...handlers, openDocument: (id) => (opened = id) },
    );
    const box = el.querySelector("[data-testid=identity-issues]");
    expect(box?.getAttribute("role")).toBe("alert");
    expect(box?.textContent).toContain("another patient");
    (box?.querySelector("[data-testid=open-other-document]") as HTMLButtonElement).click();
    expect(opened).toBe(7);
    // It sits in the fixed part, with the patient banner, not down the page.
    expect(el.querySelector(".app-doc__fixed [data-testid=identity-issues]")).not.toBeNull();
  });
  it("list every delivery when a document was received more than once", () => {
    const one = renderDocument(viewOf(documentOf(), { deliveries: [{ message: provenance(1, "2026-11-22T10:40:00Z", "X26ABC2"), outcome: "stored" }] }), handlers);
    expect(one.querySelector("[data-testid=deliveries]")).toBeNull();
    const el = renderDocument(
      viewOf(documentOf(), {
        deliveries: [
          { message: provenance(1, "2026-11-22T10:40:00Z", "X26ABC2"), outcome: "stored" },
          { message: provenance(2, "2026-11-22T11:05:00Z", "X26ABC2"), outcome: "duplicate" },
        ],
      }),
      handlers,
    );
    const box = el.querySelector("[data-testid=deliveries]");
    expect(box?.textContent).toContain("Received 2 times.");
    expect([...(box?.querySelectorAll("li") ?? [])].map((li) => li.textContent)).toEqual([
      "22-Nov-2026 10:40 from MESH mailbox X26ABC2 (first delivery)",
      "22-Nov-2026 11:05 from MESH mailbox X26ABC2 (duplicate)",
    ]);
  });
  it("show what was removed from the narrative on the document itself", () => {
    const view = viewOf(documentOf());
    view.parsed.diagnostics = [
      { severity: "warning", itk_code: null, location: "Composition.section[0].text", message: "removed from the narrative, as code and not clinical text: 1 script", attention: true },
      { severity: "warning", itk_code: 20009, location: "Composition.section[1]", message: "section \"Local\" is not a recognised heading", attention: false },
    ];
    const el = renderDocument(view, handlers);
    const notes = el.querySelector("[data-testid=attention-notes]");
    expect(notes?.textContent).toContain("1 script");
    expect(notes?.textContent).not.toContain("not a recognised heading");
  });
});
