// A quarantined message: why it was quarantined, the document it holds when it could be read
// (under a banner: never shown as a trusted document), and a bounded preview of its raw content
// as text (never markup). "Save the original" writes every byte, as received, to a file.
import type { QuarantinedView } from "../bindings/QuarantinedView";
import { h } from "../widgets/dom";
import { formatBytes, formatDateTime } from "../lib/format";
import { tag } from "../lib/labels";
import { renderAttentionNotes, renderDiagnostics, renderPatientBanner, renderSections } from "./document";

export interface QuarantineHandlers {
  /** Saves the message, byte for byte as received, to a new file. */
  saveOriginal: () => void;
}

export function renderQuarantined(q: QuarantinedView, handlers: QuarantineHandlers, today: Date = new Date()): HTMLElement {
  const p = q.provenance;
  const doc = q.parsed?.document ?? null;
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
  const previewTitle = q.binary
    ? "Raw content (not text: invalid characters replaced)"
    : "Raw content, as received";
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
          tag("Quarantined", "red"),
          doc ? " This document was not accepted into the inbox" : " This message could not be read as a Transfer of Care document",
        ),
        h("p", { class: "app-quarantine-reason__text", "data-testid": "quarantine-reason" }, q.reason),
        h(
          "p",
          { class: "app-small" },
          doc
            ? "It is shown below as the hospital sent it, but it has not been checked: confirm the patient's identity with the sender before acting on it."
            : "No patient is shown because the message could not be trusted. Contact the sender if it may hold clinical information.",
        ),
        h(
          "button",
          { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "save-original", onclick: () => handlers.saveOriginal() },
          "Save the original",
        ),
      ),
      doc ? h("div", { class: "app-unverified", "data-testid": "unverified-patient" }, h("p", { class: "app-small" }, tag("Unverified", "orange"), " Patient as written in the quarantined document"), renderPatientBanner(doc.patient, today)) : null,
    ),
    h(
      "div",
      { class: "app-doc__scroll", tabindex: "0", role: "region", "aria-label": "Quarantined message content" },
      h("h2", { class: "nhsuk-heading-m", id: "document-title", tabindex: "-1" }, doc?.title ?? "Quarantined message"),
      h("div", { class: "app-fields" }, fields.filter(([, v]) => v).map(([l, v]) => h("div", { class: "app-field" }, h("span", { class: "app-field__label" }, l), " ", h("span", { class: "app-field__value" }, v ?? "")))),
      renderAttentionNotes(q.diagnostics),
      renderDiagnostics(q.diagnostics, "Problems found"),
      doc ? h("div", { "data-testid": "quarantined-document" }, renderSections(doc)) : null,
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
