// One compact inbox row: line 1 patient, NHS number and age; line 2 kind, sender, care setting
// and received time; line 3 status and flags.
import type { DocumentRow } from "../bindings/DocumentRow";
import type { QuarantineRow } from "../bindings/QuarantineRow";
import { h } from "../widgets/dom";
import { age, formatDateTime, formatNhsNumber, relativeTime, when } from "../lib/format";
import { kindLabel, statusTag, tag } from "../lib/labels";

export const ROW_HEIGHT = 76;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The flag tags of a row, most important first. */
export function rowFlags(row: DocumentRow): HTMLElement[] {
  const f = row.flags;
  const out: HTMLElement[] = [];
  // A reused identifier or a replacement that names another patient's document: look first.
  if (row.identity_warnings > 0) out.push(tag("Check identity", "red", "app-tag--flag"));
  if (row.superseded_by !== null) out.push(tag("Superseded", "grey"));
  if (f.superseding) out.push(tag("Replacement", "purple"));
  if (f.requested_actions) out.push(tag("Actions requested", "orange", "app-tag--flag"));
  if (f.medication_changes > 0) out.push(tag(plural(f.medication_changes, "med change", "med changes"), "orange", "app-tag--flag"));
  if (f.attachments > 0) out.push(tag(plural(f.attachments, "attachment", "attachments"), "white", "app-tag--flag"));
  if (f.unrecognised > 0) out.push(tag(`${f.unrecognised} not recognised`, "grey", "app-tag--flag"));
  if (f.warnings > 0) out.push(tag(plural(f.warnings, "warning", "warnings"), "yellow", "app-tag--flag"));
  if (row.times_received > 1) out.push(tag(`Received ${row.times_received} times`, "grey", "app-tag--flag"));
  return out;
}

export function receivedText(receivedAt: string, now: Date): string {
  return when(receivedAt, now.toISOString());
}

export function renderRow(row: DocumentRow, index: number, total: number, selected: boolean, now: Date): HTMLElement {
  const nhs = row.nhs_number ? formatNhsNumber(row.nhs_number) : "No NHS number";
  const years = age(row.birth_date, now);
  const line2 = [kindLabel(row.kind), row.sender, row.care_setting].filter((x): x is string => !!x).join(" · ");
  const received = receivedText(row.received_at, now);
  return h(
    "div",
    {
      class: `app-row${selected ? " app-row--selected" : ""}${row.status === "new" ? " app-row--unread" : ""}`,
      role: "option",
      id: `row-${index}`,
      "data-index": index,
      "data-id": row.id,
      "aria-selected": selected ? "true" : "false",
      "aria-posinset": index + 1,
      "aria-setsize": total,
    },
    h(
      "div",
      { class: "app-row__line1" },
      h("span", { class: "app-row__patient", title: row.patient_name ?? "" }, row.patient_name ?? "Unknown patient"),
      h("span", { class: "app-row__nhs" }, nhs),
      !row.flags.nhs_number_valid && row.nhs_number ? h("span", { class: "app-row__invalid" }, "invalid") : null,
      years ? h("span", { class: "app-row__age" }, years) : null,
      h("span", { class: "app-row__spacer" }),
      h(
        "time",
        { class: "app-row__time", datetime: row.received_at, title: `Received ${formatDateTime(row.received_at)} (${relativeTime(row.received_at, now)})` },
        received,
      ),
    ),
    h("div", { class: "app-row__line2" }, h("span", { class: "app-row__meta", title: line2 }, line2)),
    (() => {
      const flags = rowFlags(row);
      return h("div", { class: "app-row__flags", title: flags.map((f) => f.textContent).join(", ") }, statusTag(row.status), flags);
    })(),
  );
}

/** A placeholder while a page of rows is loading. */
export function renderPendingRow(index: number, total: number): HTMLElement {
  return h(
    "div",
    { class: "app-row app-row--pending", role: "option", id: `row-${index}`, "data-index": index, "aria-selected": "false", "aria-posinset": index + 1, "aria-setsize": total },
    h("div", { class: "app-row__line1 app-muted" }, "Loading…"),
  );
}

export function renderQuarantineRow(q: QuarantineRow, index: number, total: number, selected: boolean, now: Date): HTMLElement {
  const m = q.message;
  return h(
    "div",
    {
      class: `app-row${selected ? " app-row--selected" : ""}`,
      role: "option",
      id: `row-${index}`,
      "data-index": index,
      "data-message-id": m.message_id,
      "aria-selected": selected ? "true" : "false",
      "aria-posinset": index + 1,
      "aria-setsize": total,
    },
    h(
      "div",
      { class: "app-row__line1" },
      h("span", { class: "app-row__patient" }, m.sender_mailbox ? `From mailbox ${m.sender_mailbox}` : `Message ${m.source_id}`),
      h("span", { class: "app-row__spacer" }),
      tag("Quarantined", "red", "app-tag--status"),
    ),
    h(
      "div",
      { class: "app-row__line2" },
      h("span", { class: "app-row__meta", title: q.reason }, q.reason),
      h("time", { class: "app-row__time", datetime: m.received_at, title: `Received ${formatDateTime(m.received_at)}` }, receivedText(m.received_at, now)),
    ),
    h("div", { class: "app-row__flags app-muted" }, `${m.source} · ${m.workflow_id ?? "no workflow"}`),
  );
}
