import { describe, expect, it } from "vitest";
import type { DocumentView } from "../bindings/DocumentView";
import type { QuarantinedView } from "../bindings/QuarantinedView";
import { documentTarget, quarantinedTarget, SelectionState } from "../state/selection";
import type { CancelToken } from "../widgets/cancel";
import type { MedrecView } from "../bindings/MedrecView";
import { med } from "../lib/testdata";
import { DocumentPane, type DocumentPaneActions } from "./documentpane";

function viewOf(id: number, attachments = 0): DocumentView {
  const row = {
    id, kind: "inpatient-discharge", nhs_number: "9434765919", patient_name: "SMITH, Sam", birth_date: null, title: "Discharge summary",
    sender: "Trust", care_setting: null, document_date: null, received_at: "2026-11-22T10:40:00Z", status: "new", superseded_by: null, replaces: null,
    flags: { medication_changes: 0, medications: 0, attachments, allergies: 0, unrecognised: 0, nhs_number_valid: true, superseding: false, requested_actions: false, warnings: 0, added: 0, amended: 0, stopped: 0, on_hold: 0, practice_actions: 0, first_action: null, high_risk_medicines: 0, medrec_open: false },
    mesh_message_id: null,
    times_received: 1,
    identity_warnings: 0,
    version: 1,
    match_state: "matched",
    assigned_to: null,
    business_response: null,
  };
  return {
    row,
    parsed: { format: "xml", kind: "inpatient-discharge", input_size: 1, message: null, document: null, response: null, diagnostics: [] },
    provenance: { message_id: id, source: "folder", mailbox: "/tmp/x", source_id: "a.xml", workflow_id: null, sender_mailbox: null, received_at: row.received_at, acknowledged_at: null, sha256: "00", size: 10 },
    superseded_by: null,
    supersedes: [],
    deliveries: [],
    issues: [],
    actions: [],
  } as DocumentView;
}

function quarantined(messageId: number): QuarantinedView {
  return {
    provenance: { message_id: messageId, source: "folder", mailbox: "/tmp/x", source_id: "g.xml", workflow_id: null, sender_mailbox: null, received_at: "2026-11-22T10:40:00Z", acknowledged_at: null, sha256: "00", size: 10 },
    plain_reason: "Not a Transfer of Care message.", reason: "not a FHIR bundle", sender: null, dealt_with_at: null, dealt_with_note: null, diagnostics: [], preview: "<garbage/>", preview_truncated: false, binary: false,
    content_encoding: null, parsed: null, matchable_by_hand: false,
  };
}

function setup() {
  const calls: string[] = [];
  const scopes: CancelToken[] = [];
  const actions: DocumentPaneActions = {
    setStatus: (id, status) => calls.push(`status ${id} ${status}`),
    openDocument: (id) => calls.push(`open ${id}`),
    viewAttachment: (id, i, _t, scope) => {
      calls.push(`view ${id} ${i}`);
      scopes.push(scope);
    },
    saveAttachment: (id, i) => calls.push(`save ${id} ${i}`),
    saveQuarantined: (id) => calls.push(`save quarantined ${id}`),
    markDealtWith: (id, note) => calls.push(`dealt ${id} ${note}`),
    fetchDocument: async (id) => viewOf(id),
  };
  const pane = new DocumentPane(actions);
  document.body.append(pane.element);
  return { pane, calls, scopes, selection: new SelectionState() };
}

describe("the document pane", () => {
  it("starts empty, inviting a selection", () => {
    const { pane } = setup();
    expect(pane.element.id).toBe("document-pane");
    expect(pane.element.textContent).toContain("Select a document to read it here.");
  });

  it("shows the selected document, and its buttons name it", () => {
    const { pane, calls, selection } = setup();
    const t = selection.select(documentTarget(7));
    pane.render(selection.pane);
    expect(pane.element.getAttribute("aria-busy")).toBe("true");
    selection.showDocument(t, viewOf(7));
    pane.render(selection.pane);
    expect(pane.element.getAttribute("aria-busy")).toBe("false");
    expect(pane.element.querySelector(".app-doc")?.getAttribute("data-document-id")).toBe("7");
    (pane.element.querySelector("[data-action=filed]") as HTMLButtonElement).click();
    expect(calls).toEqual(["status 7 filed"]);
  });

  it("never shows the previous document while the next one loads", () => {
    const { pane, selection } = setup();
    const t = selection.select(documentTarget(7));
    selection.showDocument(t, viewOf(7));
    pane.render(selection.pane);
    selection.select(documentTarget(8));
    pane.render(selection.pane);
    expect(pane.element.getAttribute("aria-busy")).toBe("true");
    // No patient banner, no document: only "Opening…".
    expect(pane.element.querySelector(".app-doc")).toBeNull();
    expect(pane.element.querySelector("[data-testid=patient-banner]")).toBeNull();
    expect(pane.element.textContent).toContain("Opening…");
    // The old document's buttons no longer act: the selection names no target while loading.
    expect(selection.actionTarget(7)).toBeNull();
  });

  it("shows a quarantined message and why an open failed", () => {
    const { pane, selection } = setup();
    const q = selection.select(quarantinedTarget(3));
    selection.showQuarantined(q, quarantined(3));
    pane.render(selection.pane);
    expect(pane.element.querySelector("[data-testid=quarantine-raw]")?.textContent).toBe("<garbage/>");
    expect(pane.element.getAttribute("aria-busy")).toBe("false");
    const d = selection.select(documentTarget(9));
    selection.showError(d, "This document could not be opened: gone");
    pane.render(selection.pane);
    expect(pane.element.querySelector("[role=alert]")?.textContent).toBe("This document could not be opened: gone");
  });

  it("stops work started for a document when it shows something else", () => {
    const { pane, scopes, selection } = setup();
    const t = selection.select(documentTarget(7));
    const view = viewOf(7);
    view.parsed.document = {
      bundle_id: "b", bundle_identifier: null, composition_id: "c", kind: "inpatient-discharge", title: "Discharge summary", date: null,
      status: "final", document_type: null, care_setting: null, author: null, custodian: null, encounter: null, replaces: null, patient: null,
      sections: [], medications: [], allergies: [], conditions: [], procedures: [], practitioners: [], unrecognised_entries: [],
      attachments: [{ id: null, content_type: "application/pdf", size: 10, supported: true, data_base64: "" }],
    };
    selection.showDocument(t, view);
    pane.render(selection.pane);
    (pane.element.querySelector("[data-testid=view-attachment]") as HTMLButtonElement).click();
    expect(scopes).toHaveLength(1);
    expect(scopes[0].cancelled).toBe(false);
    selection.clear();
    pane.render(selection.pane);
    expect(scopes[0].cancelled).toBe(true);
    expect(pane.element.textContent).toContain("Select a document to read it here.");
  });

  it("moves focus into the content", () => {
    const { pane, selection } = setup();
    const t = selection.select(documentTarget(7));
    selection.showDocument(t, viewOf(7));
    pane.render(selection.pane);
    pane.focusContent();
    expect(document.activeElement?.id).toBe("document-scroll");
  });

  it("draws the reconciliation's new controls for its document, focuses a follow-up's row and shows an export's result", () => {
    const { pane, calls, selection } = setup();
    const asked: string[] = [];
    Object.assign((pane as unknown as { actions: DocumentPaneActions }).actions, {
      medrecConfirmUnchanged: (id: number) => asked.push(`confirm ${id}`),
      medrecSummary: (id: number) => asked.push(`summary ${id}`),
      medrecExport: (id: number) => asked.push(`export ${id}`),
      people: () => ({ user: { name: "Pat Pharmacist", role: "pharmacist", permissions: ["work", "sign-off-medicines"], practice_login: false }, users: [] }),
    });
    const t = selection.select(documentTarget(7));
    const view = viewOf(7);
    const meds = [med({ name: "Simvastatin 40mg tablets", change: "continued" }), med({ name: "Ramipril 2.5mg capsules", change: "continued" })];
    view.parsed.document = {
      bundle_id: "b", bundle_identifier: null, composition_id: "c", kind: "inpatient-discharge", title: "Discharge summary", date: null,
      status: "final", document_type: null, care_setting: null, author: null, custodian: null, encounter: null, replaces: null, patient: null,
      sections: [], medications: meds, allergies: [], conditions: [], procedures: [], practitioners: [], unrecognised_entries: [], attachments: [],
    };
    const stamp = { by: "Pat Pharmacist", role: "pharmacist" as const, at: "2026-12-02T10:00:00Z" };
    const medrec: MedrecView = {
      document_id: 7, version: 3, nhs_number: "9434765919",
      practice_list: { nhs_number: "9434765919", version: 1, imported_at: new Date().toISOString(), source: "import", source_name: null, lines: [
        { code: null, name: "Simvastatin 40mg tablets", dosage: null, route: null, type: "repeat" },
        { code: null, name: "Ramipril 2.5mg capsules", dosage: null, route: null, type: "repeat" },
      ] },
      discharge: meds,
      rows: [
        { key: "d0-p0", category: "on-hold", discharge_index: 0, practice_index: 0, basis: "name", flags: [], others: [], detail: null,
          decision: { choice: "keep-practice", intent: null, note: null, stamp, follow_up: { text: "On hold: review whether to restart Simvastatin 40mg tablets", due: "2099-12-16", to_user: null }, follow_up_done: null } },
        { key: "d1-p1", category: "unchanged", discharge_index: 1, practice_index: 1, basis: "name", flags: [], others: [], detail: null, decision: null },
      ],
      due_by: "2099-12-09", received_at: "2099-12-02T10:00:00Z", list_stale_after_days: 14, signed_off: null, undecided: 1,
    };
    pane.medrec = { documentId: 7, view: medrec, error: null, notice: null };
    selection.showDocument(t, view);
    pane.render(selection.pane);
    pane.element.querySelector<HTMLButtonElement>("[data-testid=medrec-confirm-unchanged]")!.click();
    pane.element.querySelector<HTMLButtonElement>("[data-testid=medrec-summary]")!.click();
    expect(asked).toEqual(["confirm 7", "summary 7"]);
    expect(calls).toEqual([]);
    // A follow-up task opens its row at the follow-up (jsdom does not scroll).
    Element.prototype.scrollIntoView ??= () => {};
    expect(pane.focusWork("medrec-row:d0-p0")).toBe(true);
    expect(document.activeElement?.getAttribute("data-testid")).toBe("medrec-follow-up");
    expect(pane.focusWork("medrec-row:nothing")).toBe(false);
    // An export's result is shown, and kept when the document is drawn again.
    pane.setMedrecStatus(7, { text: "Not exported: not signed off", error: true });
    expect(pane.element.querySelector("[data-testid=medrec-export-result]")?.textContent).toBe("Not exported: not signed off");
    pane.render(selection.pane);
    expect(pane.element.querySelector("[data-testid=medrec-export-result]")?.className).toMatch(/app-medrec__result--error/);
    pane.setMedrecStatus(8, { text: "another document", error: false });
    expect(pane.element.querySelector("[data-testid=medrec-export-result]")?.textContent).toBe("Not exported: not signed off");
  });
});
