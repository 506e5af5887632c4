// A quarantined message: why it was quarantined, and its raw content shown as text (never markup).
import type { QuarantinedMessage } from "../bindings/QuarantinedMessage";
import { h } from "../widgets/dom";
import { formatBytes, formatDateTime } from "../lib/format";
import { tag } from "../lib/labels";
import { renderDiagnostics } from "./document";

export function renderQuarantined(q: QuarantinedMessage): HTMLElement {
  const p = q.provenance;
  const fields: [string, string | null][] = [
    ["Received", formatDateTime(p.received_at)],
    ["From", p.sender_mailbox ? `MESH mailbox ${p.sender_mailbox}` : p.source],
    ["Mailbox", p.mailbox],
    ["Message id", p.source_id],
    ["Workflow", p.workflow_id],
    ["Size", formatBytes(p.size)],
    ["SHA-256", p.sha256],
  ];
  return h(
    "article",
    { class: "app-doc", "aria-labelledby": "document-title", "data-quarantine-id": p.message_id },
    h(
      "div",
      { class: "app-doc__fixed" },
      h(
        "div",
        { class: "app-quarantine-reason", role: "region", "aria-label": "Why this message is quarantined" },
        h("p", { class: "app-banner__name" }, tag("Quarantined", "red"), " This message could not be read as a Transfer of Care document"),
        h("p", { class: "app-quarantine-reason__text", "data-testid": "quarantine-reason" }, q.reason),
        h("p", { class: "app-small" }, "No patient is shown because the message could not be trusted. Contact the sender if it may hold clinical information."),
      ),
    ),
    h(
      "div",
      { class: "app-doc__scroll", tabindex: "0", role: "region", "aria-label": "Quarantined message content" },
      h("h2", { class: "nhsuk-heading-m", id: "document-title", tabindex: "-1" }, "Quarantined message"),
      h("div", { class: "app-fields" }, fields.filter(([, v]) => v).map(([l, v]) => h("div", { class: "app-field" }, h("span", { class: "app-field__label" }, l), " ", h("span", { class: "app-field__value" }, v ?? "")))),
      renderDiagnostics(q.diagnostics, "Problems found"),
      h("h3", { class: "app-section__title" }, q.binary ? "Raw content (not text: invalid characters replaced)" : "Raw content, as received"),
      h("pre", { class: "app-raw", "data-testid": "quarantine-raw" }, q.text),
    ),
  );
}
