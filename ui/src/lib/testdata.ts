// Builders for the parsed model in unit tests (synthetic, not from real documents).
import type { Document } from "../bindings/Document";
import type { Medication } from "../bindings/Medication";
import type { RequestedAction } from "../bindings/RequestedAction";
import type { Section } from "../bindings/Section";

export function med(over: Partial<Medication> = {}): Medication {
  return {
    code: null, name: "Aspirin 75mg dispersible tablets", form: null, dosage: "One daily", route: "Oral",
    additional_instructions: [], patient_instruction: null, status: "active", status_raw: "active",
    list: "active", list_code: null, change: null, change_raw: null, change_date: null,
    change_details: null, change_indication: null, effective: null, quantity: null, notes: [], high_risk: null, ...over,
  };
}

/** A section; `text` defaults to the HTML's words. */
export function section(title: string, html: string, over: Partial<Section> = {}): Section {
  const text = html.replace(/<br\s*\/?>/g, "\n").replace(/<[^>]+>/g, " ").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
  return { code: null, code_display: null, title, html, text, known: true, level: 0, entries: [], ...over };
}

/** A table of row headers and cells, as hospital narrative often is. */
export function rows(pairs: [string, string][]): string {
  return `<div><table><tbody>${pairs.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</tbody></table></div>`;
}

export function doc(over: Partial<Document> = {}): Document {
  return {
    bundle_id: "b", bundle_identifier: null, composition_id: "c", kind: "inpatient-discharge", title: "Discharge summary", date: "2026-10-19T11:00:00Z",
    status: "final", document_type: null, care_setting: null, author: null, custodian: null, encounter: null, replaces: null, patient: null,
    sections: [], medications: [], allergies: [], conditions: [], procedures: [], practitioners: [], attachments: [], unrecognised_entries: [], ...over,
  };
}

export function action(text: string, over: Partial<RequestedAction> = {}): RequestedAction {
  return { text, heading: null, responsible: null, status: null, for_practice: true, section: 0, ...over };
}
