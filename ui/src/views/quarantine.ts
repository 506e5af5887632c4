// A quarantined message: first, in plain words, why and what to do; then who sent it and how to
// reach them, the patient it seems to be about (never verified), and the technical reason. A
// person marks it as dealt with, with a note (recorded; the message is never deleted). Then the
// document it holds when it could be read (never shown as a trusted document), and a bounded
// preview of its raw content as text. "Save the original" writes every byte, as received.
import type { Patient } from "../bindings/Patient";
import type { QuarantinedView } from "../bindings/QuarantinedView";
import { h } from "../widgets/dom";
import { formatBytes, formatDate, formatDateTime, formatNhsNumber, isValidNhsNumber } from "../lib/format";
import { tag } from "../lib/labels";
import { patientName, renderAttentionNotes, renderDiagnostics, renderSections } from "./document";

export interface QuarantineHandlers {
  /** Saves the message, byte for byte as received, to a new file. */
  saveOriginal: () => void;
  /** Records that it was dealt with, and how (the note is required). */
  markDealtWith: (note: string) => void;
  /**
   * Keeps its document, matched by hand to the registered patient with this NHS number (only
   * offered for a message quarantined because its NHS number fails the check).
   */
  matchByHand?: (nhsNumber: string, reason: string) => void;
}

/** The patient the message names, labelled as not verified. */
export function unverifiedPatient(p: Patient | null): HTMLElement | null {
  if (!p || (!p.nhs_number && !p.family && !p.name && !p.birth_date)) return null;
  const valid = p.nhs_number ? p.nhs_number_valid && isValidNhsNumber(p.nhs_number) : false;
  return h(
    "div",
    { class: "app-unverified", "data-testid": "unverified-patient" },
    h("p", { class: "app-unverified__title" }, tag("Not verified", "orange"), " The message seems to be about this patient. Do not file anything against them until the sender confirms."),
    h(
      "p",
      { class: "app-unverified__details" },
      h("strong", {}, patientName(p)),
      p.nhs_number
        ? [" · NHS No. ", formatNhsNumber(p.nhs_number), valid ? null : h("strong", { class: "app-unverified__invalid" }, " (invalid NHS number: check digit fails)")]
        : " · no NHS number",
      p.birth_date ? ` · Born ${formatDate(p.birth_date)}` : null,
    ),
  );
}

function contactOf(q: QuarantinedView): string[] {
  const out: string[] = [];
  if (q.provenance.sender_mailbox) out.push(`MESH mailbox ${q.provenance.sender_mailbox}`);
  for (const p of q.parsed?.document?.practitioners ?? []) {
    if (p.telecom.length) out.push(`${p.name ?? "Contact"}: ${p.telecom.join(", ")}`);
  }
  return out;
}

function dealtWith(q: QuarantinedView, handlers: QuarantineHandlers): HTMLElement {
  if (q.dealt_with_at) {
    return h(
      "div",
      { class: "app-dealt", "data-testid": "dealt-with" },
      h("p", {}, tag("Dealt with", "green"), ` ${formatDateTime(q.dealt_with_at)}`),
      q.dealt_with_note ? h("p", { class: "app-dealt__note" }, h("span", { class: "app-muted" }, "Note: "), q.dealt_with_note) : null,
      h("p", { class: "app-small app-muted" }, "The message is kept as received."),
    );
  }
  const note = h("textarea", { class: "nhsuk-textarea app-dealt__input", id: "dealt-note", rows: "2", "aria-describedby": "dealt-note-hint dealt-note-error", "data-testid": "dealt-note" });
  const error = h("p", { class: "nhsuk-error-message", id: "dealt-note-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "app-dealt app-dealt--form", "data-testid": "dealt-with-form", novalidate: true },
    h("label", { class: "nhsuk-label app-dealt__label", for: "dealt-note" }, "Mark as dealt with"),
    h("p", { class: "app-small app-muted", id: "dealt-note-hint" }, "Say what was done, for example “Asked the hospital to resend”. The note is recorded; the message is never deleted."),
    error,
    note,
    h("button", { type: "submit", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "mark-dealt-with" }, "Mark as dealt with"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = note.value.trim();
    if (!text) {
      error.textContent = "Write what was done about this message before marking it as dealt with.";
      error.hidden = false;
      note.setAttribute("aria-invalid", "true");
      note.focus();
      return;
    }
    error.hidden = true;
    note.removeAttribute("aria-invalid");
    handlers.markDealtWith(text);
  });
  return form;
}

/**
 * For a document quarantined only because its NHS number fails the check: a person who knows
 * the patient keeps it, matched to the register's patient, with a reason. The hospital has been
 * told the message is invalid; nothing more is sent.
 */
export function matchByHandForm(q: QuarantinedView, handlers: QuarantineHandlers): HTMLElement | null {
  if (!q.matchable_by_hand || q.dealt_with_at || !handlers.matchByHand) return null;
  const nhs = h("input", {
    class: "nhsuk-input nhsuk-input--width-10",
    id: "by-hand-nhs",
    inputmode: "numeric",
    autocomplete: "off",
    "aria-describedby": "by-hand-hint by-hand-error",
    "data-testid": "by-hand-nhs",
  }) as HTMLInputElement;
  const reason = h("textarea", { class: "nhsuk-textarea app-dealt__input", id: "by-hand-reason", rows: "2", "aria-describedby": "by-hand-error", "data-testid": "by-hand-reason" }) as HTMLTextAreaElement;
  const error = h("p", { class: "nhsuk-error-message", id: "by-hand-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "app-dealt app-dealt--form", "data-testid": "by-hand-form", novalidate: true },
    h("h3", { class: "nhsuk-heading-xs app-dealt__label" }, "Keep it: match it to a registered patient"),
    h(
      "p",
      { class: "app-small app-muted", id: "by-hand-hint" },
      "Only if you know who the patient is (for example, the ward confirmed the NHS number). The document then joins the inbox, matched to the patient on the practice register; the hospital has already been told the message is invalid.",
    ),
    error,
    h("label", { class: "nhsuk-label", for: "by-hand-nhs" }, "The patient's NHS number on the register"),
    nhs,
    h("label", { class: "nhsuk-label", for: "by-hand-reason" }, "How you know"),
    reason,
    h("button", { type: "submit", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "by-hand-match" }, "Keep and match"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const number = nhs.value.replace(/\s/g, "");
    const why = reason.value.trim();
    const problem = !/^\d{10}$/.test(number) || !isValidNhsNumber(number)
      ? ["Type the patient's 10-digit NHS number as it is on the register.", nhs] as const
      : !why
        ? ["Say how you know who the patient is.", reason] as const
        : null;
    if (problem) {
      error.textContent = problem[0];
      error.hidden = false;
      problem[1].setAttribute("aria-invalid", "true");
      problem[1].focus();
      return;
    }
    error.hidden = true;
    nhs.removeAttribute("aria-invalid");
    reason.removeAttribute("aria-invalid");
    handlers.matchByHand?.(number, why);
  });
  return form;
}

export function renderQuarantined(q: QuarantinedView, handlers: QuarantineHandlers): HTMLElement {
  const p = q.provenance;
  const doc = q.parsed?.document ?? null;
  const contact = contactOf(q);
  const fields: [string, string | null][] = [
    ["Received", formatDateTime(p.received_at)],
    ["From", p.sender_mailbox ? `MESH mailbox ${p.sender_mailbox}` : p.source],
    ["Mailbox", p.mailbox],
    ["Message id", p.source_id],
    ["Workflow", p.workflow_id],
    ["Size", formatBytes(p.size)],
    ["Encoding", q.content_encoding ? `${q.content_encoding} (kept as received, not decoded)` : null],
    ["SHA-256", p.sha256],
  ];
  const previewTitle = q.binary ? "Raw content (not text: invalid characters replaced)" : "Raw content, as received";
  return h(
    "article",
    { class: "app-doc", "aria-labelledby": "document-title", "data-quarantine-id": p.message_id },
    h(
      "div",
      { class: "app-doc__fixed" },
      h(
        "div",
        { class: "app-quarantine-reason", role: "region", "aria-label": "Why this message is quarantined" },
        h(
          "p",
          { class: "app-banner__name" },
          q.dealt_with_at ? tag("Dealt with", "green") : tag("Quarantined", "red"),
          doc ? " This document was not accepted into the inbox" : " This message could not be read as a Transfer of Care document",
        ),
        h("p", { class: "app-quarantine-reason__plain", "data-testid": "quarantine-plain-reason" }, q.plain_reason),
        h(
          "p",
          { class: "app-small", "data-testid": "quarantine-sender" },
          h("span", { class: "app-muted" }, "Sent by: "),
          q.sender ?? "the sending organisation could not be read",
          contact.length ? [h("span", { class: "app-muted" }, " · Contact: "), contact.join("; ")] : null,
        ),
      ),
      unverifiedPatient(doc?.patient ?? null),
    ),
    h(
      "div",
      { class: "app-doc__scroll", id: "document-scroll", tabindex: "0", role: "region", "aria-label": "Quarantined message content" },
      h("h2", { class: "nhsuk-heading-m", id: "document-title", tabindex: "-1" }, doc?.title ?? "Quarantined message"),
      matchByHandForm(q, handlers),
      dealtWith(q, handlers),
      h(
        "div",
        { class: "app-quarantine-technical" },
        h("p", { class: "app-small" }, h("span", { class: "app-muted" }, "Technical reason: "), h("span", { "data-testid": "quarantine-reason" }, q.reason)),
        h(
          "button",
          { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "save-original", onclick: () => handlers.saveOriginal() },
          "Save the original",
        ),
      ),
      h("div", { class: "app-fields" }, fields.filter(([, v]) => v).map(([l, v]) => h("div", { class: "app-field" }, h("span", { class: "app-field__label" }, l), " ", h("span", { class: "app-field__value" }, v ?? "")))),
      renderAttentionNotes(q.diagnostics),
      renderDiagnostics(q.diagnostics, "Problems found"),
      doc
        ? h(
            "div",
            { "data-testid": "quarantined-document" },
            h("p", { class: "app-small app-unverified__note" }, tag("Not verified", "orange"), " The document as the hospital sent it, unchecked: confirm the patient's identity with the sender before acting on it."),
            renderSections(doc),
          )
        : h("p", { class: "app-small" }, "No patient is shown because the message could not be trusted. Contact the sender if it may hold clinical information."),
      h(
        "details",
        { class: "nhsuk-details app-raw-details", open: doc ? undefined : "open" },
        h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, previewTitle)),
        q.preview_truncated
          ? h(
              "p",
              { class: "app-small", "data-testid": "preview-truncated" },
              `Showing the first ${formatBytes(q.preview.length)} of ${formatBytes(p.size)}. Use "Save the original" for every byte.`,
            )
          : null,
        h("pre", { class: "app-raw", "data-testid": "quarantine-raw" }, q.preview),
      ),
    ),
  );
}
