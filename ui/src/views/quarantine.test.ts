import { describe, expect, it } from "vitest";
import type { Document } from "../bindings/Document";
import type { QuarantinedView } from "../bindings/QuarantinedView";
import { renderQuarantined } from "./quarantine";

function view(over: Partial<QuarantinedView> = {}): QuarantinedView {
  return {
    provenance: { message_id: 4, source: "mesh", mailbox: "X26ABC1", source_id: "M4", workflow_id: "TOC_FHIR_IP_DISCH", sender_mailbox: "X26ABC2", received_at: "2026-11-22T10:40:00Z", acknowledged_at: null, sha256: "00", size: 3 * 1024 * 1024 },
    plain_reason: "Cut off in transit: ask the sender to resend it.",
    reason: "(10009) not well-formed XML",
    sender: null,
    dealt_with_at: null,
    dealt_with_note: null,
    diagnostics: [],
    preview: "<Bundle><oops",
    preview_truncated: false,
    binary: false,
    content_encoding: null,
    parsed: null,
    matchable_by_hand: false,
    ...over,
  };
}

describe("a quarantined message", () => {
  it("says first, in plain words, why and what to do; then who sent it and how to reach them; the technical reason after", () => {
    const el = renderQuarantined(view({ sender: "Leeds Teaching Hospitals NHS Trust (RR8)" }), { saveOriginal: () => {}, markDealtWith: () => {} });
    const plain = el.querySelector("[data-testid=quarantine-plain-reason]");
    expect(plain?.textContent).toBe("Cut off in transit: ask the sender to resend it.");
    expect(el.querySelector("[data-testid=quarantine-sender]")?.textContent).toBe("Sent by: Leeds Teaching Hospitals NHS Trust (RR8) · Contact: MESH mailbox X26ABC2");
    const technical = el.querySelector("[data-testid=quarantine-reason]") as Element;
    expect(plain!.compareDocumentPosition(technical) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(el.querySelector("[data-testid=unverified-patient]")).toBeNull();
  });
  it("is marked as dealt with only with a note, and then shows when and the note", () => {
    const notes: string[] = [];
    const el = renderQuarantined(view(), { saveOriginal: () => {}, markDealtWith: (n) => notes.push(n) });
    document.body.append(el);
    const form = el.querySelector("[data-testid=dealt-with-form]") as HTMLFormElement;
    const note = el.querySelector("[data-testid=dealt-note]") as HTMLTextAreaElement;
    note.value = "   ";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(notes).toEqual([]);
    expect(el.querySelector("#dealt-note-error")?.textContent).toContain("Write what was done");
    expect(note.getAttribute("aria-invalid")).toBe("true");
    note.value = " Asked the trust to resend ";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(notes).toEqual(["Asked the trust to resend"]);
    el.remove();
    const done = renderQuarantined(view({ dealt_with_at: "2026-11-22T11:00:00Z", dealt_with_note: "Asked the trust to resend" }), { saveOriginal: () => {}, markDealtWith: () => {} });
    expect(done.querySelector("[data-testid=dealt-with-form]")).toBeNull();
    expect(done.querySelector("[data-testid=dealt-with]")?.textContent).toContain("Dealt with 22-Nov-2026 11:00");
    expect(done.querySelector("[data-testid=dealt-with]")?.textContent).toContain("Note: Asked the trust to resend");
  });
  it("shows a bounded preview, says when it is cut, and saves the original on request", () => {
    let saved = 0;
    const el = renderQuarantined(view({ preview_truncated: true }), { saveOriginal: () => saved++, markDealtWith: () => {} });
    expect(el.querySelector("[data-testid=quarantine-reason]")?.textContent).toBe("(10009) not well-formed XML");
    expect(el.querySelector("[data-testid=quarantine-raw]")?.textContent).toBe("<Bundle><oops");
    expect(el.querySelector("[data-testid=preview-truncated]")?.textContent).toContain("of 3.0 MB");
    (el.querySelector("[data-testid=save-original]") as HTMLButtonElement).click();
    expect(saved).toBe(1);
    // Not readable: no patient is shown.
    expect(el.querySelector("[data-testid=patient-banner]")).toBeNull();
  });
  it("shows a readable document under the quarantine banner, its patient marked unverified", () => {
    const doc = {
      bundle_id: "b", bundle_identifier: null, composition_id: "c", kind: "inpatient-discharge", title: "Discharge summary", date: null,
      status: "final", document_type: null, care_setting: null, author: null, custodian: null, encounter: null, replaces: null,
      patient: { nhs_number: "9434765918", nhs_number_valid: false, name: null, family: "Smith", given: ["Sam"], birth_date: "1957-01-01", gender: "male", address: null, postcode: null, gp_practice_ods: null, gp_practice_name: null },
      sections: [{ code: null, code_display: null, title: "Plan and requested actions", html: "<div><p>GP to review.</p></div>", text: "GP to review.", known: true, level: 0, entries: [] }],
      medications: [], allergies: [], conditions: [], procedures: [], practitioners: [], attachments: [], unrecognised_entries: [],
    } as unknown as Document;
    const el = renderQuarantined(
      view({ reason: "Patient (20009): NHS number fails its check digit", parsed: { format: "xml", kind: "inpatient-discharge", input_size: 1, message: null, document: doc, response: null, diagnostics: [] } }),
      { saveOriginal: () => {}, markDealtWith: () => {} },
    );
    const hint = el.querySelector("[data-testid=unverified-patient]")?.textContent ?? "";
    expect(hint).toContain("Not verified");
    expect(hint).toContain("SMITH, Sam · NHS No. 943 476 5918 (invalid NHS number: check digit fails) · Born 01-Jan-1957");
    // Never drawn as the trusted patient banner.
    expect(el.querySelector("[data-testid=patient-banner]")).toBeNull();
    expect(el.querySelector("[data-testid=quarantined-document]")?.textContent).toContain("GP to review.");
    // The raw text is still there, folded away.
    expect(el.querySelector("details.app-raw-details")?.hasAttribute("open")).toBe(false);
  });
  it("offers to keep a document quarantined for its NHS number, matched by hand, only with a valid number and a reason", () => {
    const asked: [string, string][] = [];
    const handlers = { saveOriginal: () => {}, markDealtWith: () => {}, matchByHand: (n: string, r: string) => asked.push([n, r]) };
    expect(renderQuarantined(view(), handlers).querySelector("[data-testid=by-hand-form]")).toBeNull();
    expect(renderQuarantined(view({ matchable_by_hand: true, dealt_with_at: "2026-11-22T11:00:00Z" }), handlers).querySelector("[data-testid=by-hand-form]")).toBeNull();
    const el = renderQuarantined(view({ matchable_by_hand: true }), handlers);
    document.body.append(el);
    const form = el.querySelector("[data-testid=by-hand-form]") as HTMLFormElement;
    const nhs = el.querySelector("[data-testid=by-hand-nhs]") as HTMLInputElement;
    const reason = el.querySelector("[data-testid=by-hand-reason]") as HTMLTextAreaElement;
    nhs.value = "999 123 4561";
    reason.value = "Ward confirmed";
    form.requestSubmit();
    expect(asked).toEqual([]);
    expect(el.querySelector("#by-hand-error")?.textContent).toMatch(/10-digit NHS number/);
    nhs.value = "943 476 5919";
    reason.value = "  ";
    form.requestSubmit();
    expect(asked).toEqual([]);
    expect(el.querySelector("#by-hand-error")?.textContent).toMatch(/how you know/);
    reason.value = "The ward confirmed the NHS number by phone";
    form.requestSubmit();
    expect(asked).toEqual([["9434765919", "The ward confirmed the NHS number by phone"]]);
    el.remove();
  });
});
