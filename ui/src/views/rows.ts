// One inbox row, sized in rem (it grows with the text size): line 1 the patient (SURNAME, Given
// first, then date of birth dd-Mmm-yyyy and age) and the time received; line 2 the NHS number,
// kind and sender; line 3 status and the tags worth a look (medicine changes by kind, high-risk
// medicines, identity); line 4 what the practice has to do: the medicines reconciliation's 7-day
// clock, and the first thing asked of the practice, word for word.
import type { DocumentRow } from "../bindings/DocumentRow";
import type { QuarantineRow } from "../bindings/QuarantineRow";
import { h } from "../widgets/dom";
import { age, formatDate, formatDateTime, formatNhsNumber, relativeTime, when } from "../lib/format";
import { changeCounts } from "../lib/summary";
import { kindLabel, statusTag, tag } from "../lib/labels";
import { clockTag } from "../lib/medrec";

/** Row heights in rem: the list converts them to pixels at the current text size. */
export const ROW_REM = 5.75;
export const QUARANTINE_ROW_REM = 5;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "SMITH, Sam" as the list shows it: the family name in capitals before the comma. */
export function listName(name: string | null): string {
  if (!name) return "Unknown patient";
  const i = name.indexOf(",");
  if (i < 0) return name;
  return `${name.slice(0, i).toUpperCase()}${name.slice(i)}`;
}

/** A tag whose words are completed for screen readers (and the tooltip) beyond what fits. */
function labelled(el: HTMLElement, before: string, after = ""): HTMLElement {
  const text = el.textContent ?? "";
  el.title = `${before}${text}${after}`;
  if (before) el.prepend(h("span", { class: "nhsuk-u-visually-hidden" }, before));
  if (after) el.append(h("span", { class: "nhsuk-u-visually-hidden" }, after));
  return el;
}

/**
 * The medicines reconciliation's 7-day clock (NICE QS120) for a row whose reconciliation is not
 * signed off: grey while it runs, orange on the day it is due, red once overdue.
 */
export function medrecClock(row: DocumentRow, now: Date): HTMLElement | null {
  if (!row.flags.medrec_open) return null;
  const c = clockTag(row.received_at, now);
  if (!c) return null;
  const el = tag(c.text, c.state === "overdue" ? "red" : c.state === "today" ? "orange" : "grey", "app-tag--flag app-tag--clock");
  el.title = c.title;
  el.setAttribute("data-testid", "row-medrec-clock");
  el.setAttribute("data-overdue", c.state === "overdue" ? "true" : "false");
  el.setAttribute("data-due", c.due);
  return el;
}

/** The tags of a row, most important first: only what a person must look at, and what changed. */
export function rowFlags(row: DocumentRow): HTMLElement[] {
  const f = row.flags;
  const out: HTMLElement[] = [];
  // A reused identifier or a replacement that names another patient's document: look first.
  if (row.identity_warnings > 0) out.push(tag("Check identity", "red", "app-tag--flag app-tag--keep"));
  if (row.superseded_by !== null) out.push(tag("Superseded", "grey", "app-tag--flag"));
  if (f.superseding) out.push(tag("Replacement", "purple", "app-tag--flag"));
  const changes = changeCounts({ added: f.added ?? 0, amended: f.amended ?? 0, stopped: f.stopped ?? 0, on_hold: f.on_hold ?? 0 });
  if (changes) out.push(labelled(tag(changes, "orange", "app-tag--flag app-tag--meds"), "Medicine changes: "));
  else if (f.medication_changes > 0) out.push(tag(plural(f.medication_changes, "medicine change", "medicine changes"), "orange", "app-tag--flag app-tag--meds"));
  if ((f.high_risk_medicines ?? 0) > 0) out.push(labelled(tag(`${f.high_risk_medicines} high-risk`, "purple", "app-tag--flag"), "", f.high_risk_medicines === 1 ? " medicine" : " medicines"));
  if (f.warnings > 0) out.push(tag(plural(f.warnings, "warning", "warnings"), "yellow", "app-tag--flag"));
  if (f.attachments > 0) out.push(tag(plural(f.attachments, "attachment", "attachments"), "white", "app-tag--flag"));
  return out;
}

/** The first open action for the practice, word for word, and how many more. */
export function actionLine(row: DocumentRow): HTMLElement {
  const f = row.flags;
  const n = f.practice_actions ?? 0;
  if (!f.first_action) return h("div", { class: "app-row__action app-row__action--none" });
  return h(
    "div",
    { class: "app-row__action", title: f.first_action },
    h("span", { class: "app-row__action-label" }, n > 1 ? `For the practice (${n}): ` : "For the practice: "),
    f.first_action,
  );
}

/** Line 4, what the practice has to do: the reconciliation's clock (while it runs), then the first action. */
export function todoLine(row: DocumentRow, now: Date): HTMLElement {
  return h("div", { class: "app-row__line4" }, medrecClock(row, now), actionLine(row));
}

export function receivedText(receivedAt: string, now: Date): string {
  return when(receivedAt, now.toISOString());
}

export function renderRow(row: DocumentRow, index: number, total: number, selected: boolean, now: Date): HTMLElement {
  const nhs = row.nhs_number ? formatNhsNumber(row.nhs_number) : "No NHS number";
  const years = age(row.birth_date, now);
  const line2 = [kindLabel(row.kind), row.sender].filter((x): x is string => !!x).join(" · ");
  const received = receivedText(row.received_at, now);
  const flags = rowFlags(row);
  return h(
    "div",
    {
      class: `app-row${selected ? " app-row--selected" : ""}${row.status === "new" ? " app-row--unread" : ""}`,
      role: "option",
      id: `row-${index}`,
      "data-index": index,
      "data-id": row.id,
      "data-nhs": row.nhs_number ?? "",
      "aria-selected": selected ? "true" : "false",
      "aria-posinset": index + 1,
      "aria-setsize": total,
    },
    h(
      "div",
      { class: "app-row__line1" },
      h("span", { class: "app-row__patient", title: row.patient_name ?? "" }, listName(row.patient_name)),
      h("span", { class: "app-row__born", title: "Date of birth" }, row.birth_date ? `${formatDate(row.birth_date)}${years ? ` (${years})` : ""}` : "Born: not given"),
    ),
    h(
      "div",
      { class: "app-row__line2" },
      h("span", { class: "app-row__nhs" }, nhs),
      !row.flags.nhs_number_valid && row.nhs_number ? h("span", { class: "app-row__invalid" }, "invalid") : null,
      h("span", { class: "app-row__meta", title: line2 }, line2),
      h(
        "time",
        { class: "app-row__time", datetime: row.received_at, title: `Received ${formatDateTime(row.received_at)} (${relativeTime(row.received_at, now)})` },
        received,
      ),
    ),
    h("div", { class: "app-row__flags", title: flags.map((f) => f.textContent).join(", ") }, statusTag(row.status), flags),
    todoLine(row, now),
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
  const dealt = !!q.dealt_with_at;
  return h(
    "div",
    {
      class: `app-row app-row--quarantine${selected ? " app-row--selected" : ""}${dealt ? " app-row--dealt" : ""}`,
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
      h("time", { class: "app-row__time", datetime: m.received_at, title: `Received ${formatDateTime(m.received_at)}` }, receivedText(m.received_at, now)),
    ),
    h("div", { class: "app-row__line2" }, h("span", { class: "app-row__meta", title: q.reason }, q.reason)),
    h(
      "div",
      { class: "app-row__flags" },
      dealt ? tag("Dealt with", "green", "app-tag--status") : tag("Needs looking at", "red", "app-tag--status"),
      dealt && q.dealt_with_note ? h("span", { class: "app-row__note", title: q.dealt_with_note }, `${formatDate(q.dealt_with_at)}: ${q.dealt_with_note}`) : null,
    ),
  );
}
