// The document view: patient banner (never scrolls away), replacement banners, actions; then a
// sticky section index, the document header (administrative details collapsed), what changed
// from a replaced version, the summary (what matters clinically, first), and every section in
// order with its narrative and structured tables (the coded medicines first in theirs),
// attachments and the message details.
import type { Allergy } from "../bindings/Allergy";
import type { Condition } from "../bindings/Condition";
import type { Document } from "../bindings/Document";
import type { DocumentKind } from "../bindings/DocumentKind";
import type { DocumentView } from "../bindings/DocumentView";
import type { Diagnostic } from "../bindings/Diagnostic";
import type { Party } from "../bindings/Party";
import type { Patient } from "../bindings/Patient";
import type { Procedure } from "../bindings/Procedure";
import type { Section } from "../bindings/Section";
import { h } from "../widgets/dom";
import { age, formatBytes, formatDate, formatDateTime, formatNhsNumber, isValidNhsNumber } from "../lib/format";
import { kindColour, kindLabel, statusTag, tag } from "../lib/labels";
import { compareMedicines, disagrees } from "../lib/medcompare";
import { buildSummary } from "../lib/summary";
import { renderDisagreement, renderMedicines } from "./medicines";
import { renderNarrative } from "./narrative";
import { renderSummary } from "./summary";
import { assigneeLabel, type Blocker } from "../lib/workflow";

export interface DocumentHandlers {
  setStatus: (status: "new" | "needs-action" | "filed") => void;
  openDocument: (id: number) => void;
  viewAttachment: (index: number, target: HTMLElement) => void;
  saveAttachment: (index: number, target: HTMLElement) => void;
}

/** Where the jump keys and the section index go. */
export type JumpTarget = "summary" | "medicines" | "medrec" | "actions" | "attachments" | "changes" | "details" | "work" | "next" | "previous";

/** "SMITH, Sam (Mrs)" from the document's Patient resource. */
export function patientName(p: Patient): string {
  if (p.family) {
    const given = p.given.join(" ");
    return given ? `${p.family.toUpperCase()}, ${given}` : p.family.toUpperCase();
  }
  return p.name ?? "Name not given";
}

function capitalise(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function field(label: string, value: Node | string | null | undefined, cls = ""): HTMLElement | null {
  if (value === null || value === undefined || value === "") return null;
  return h("div", { class: `app-field ${cls}`.trim() }, h("span", { class: "app-field__label" }, label), " ", h("span", { class: "app-field__value" }, value));
}

/** The CUI patient banner, built only from the document's own Patient resource. */
export function renderPatientBanner(p: Patient | null, today: Date = new Date(), kind: DocumentKind | null = null): HTMLElement {
  if (!p) {
    return h(
      "div",
      { class: "app-banner app-banner--missing", role: "region", "aria-label": "Patient" },
      h("p", { class: "app-banner__name" }, "No patient details in this document"),
      h("p", { class: "app-banner__detail" }, "Check the patient's identity against the sender before acting on it."),
    );
  }
  const nhsValid = p.nhs_number ? p.nhs_number_valid && isValidNhsNumber(p.nhs_number) : false;
  const years = age(p.birth_date, today);
  const practice = [p.gp_practice_name, p.gp_practice_ods ? `(${p.gp_practice_ods})` : null].filter(Boolean).join(" ");
  return h(
    "div",
    { class: "app-banner", role: "region", "aria-label": "Patient", "data-testid": "patient-banner" },
    h("p", { class: "app-banner__name" }, patientName(p), kind ? h("span", { class: `app-banner__kind app-kind--${kindColour(kind)}`, "data-testid": "document-kind" }, kindLabel(kind)) : null),
    h(
      "div",
      { class: "app-banner__details" },
      field("Born", p.birth_date ? `${formatDate(p.birth_date)}${years ? ` (${years})` : ""}` : "Not given"),
      field("Gender", capitalise(p.gender ?? "Not given")),
      field(
        "NHS No.",
        h(
          "span",
          {},
          p.nhs_number ? formatNhsNumber(p.nhs_number) : "Not given",
          p.nhs_number && !nhsValid ? h("strong", { class: "app-banner__invalid" }, " Invalid NHS number: check digit fails") : null,
        ),
        "app-field--nhs",
      ),
      field("Address", patientAddress(p), "app-field--address"),
      field("GP practice", practice || "Not given"),
    ),
  );
}

/** The patient's address with the postcode (once), or null. */
export function patientAddress(p: Patient): string | null {
  const address = (p.address ?? "").trim();
  const postcode = (p.postcode ?? "").trim();
  if (!address) return postcode || null;
  if (!postcode || address.replace(/\s/g, "").toUpperCase().includes(postcode.replace(/\s/g, "").toUpperCase())) return address;
  return `${address}, ${postcode}`;
}

function partyText(p: Party | null): string | null {
  if (!p) return null;
  return [p.name, p.ods_code ? `(${p.ods_code})` : null].filter(Boolean).join(" ") || p.identifier;
}

function linkButton(text: string, onClick: () => void, testid: string): HTMLElement {
  return h("button", { type: "button", class: "app-linkbutton", "data-testid": testid, onclick: () => onClick() }, text);
}

/** A warning when a replacement names a different patient or NHS number from this version. */
export function identityMismatch(
  a: { patient_name: string | null; nhs_number: string | null },
  b: { patient_name: string | null; nhs_number: string | null },
): HTMLElement | null {
  const norm = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim().toLowerCase();
  const nhs = (s: string | null) => (s ?? "").replace(/\s+/g, "");
  const problems: string[] = [];
  if (nhs(a.nhs_number) !== nhs(b.nhs_number)) problems.push(`NHS number ${b.nhs_number ? formatNhsNumber(b.nhs_number) : "(none)"}`);
  if (norm(a.patient_name) !== norm(b.patient_name)) problems.push(`name ${b.patient_name ?? "(none)"}`);
  if (!problems.length) return null;
  return h("strong", { class: "app-identity-warning", "data-testid": "identity-mismatch" }, ` Check the patient: the other version has a different ${problems.join(" and ")}.`);
}

/**
 * Identity warnings kept with the document: another document sent under the same identifier,
 * or a replacement that names a document from another sender or about another patient. Both
 * documents are shown; the reader is told to check which is which.
 */
export function renderIdentityIssues(view: DocumentView, handlers: DocumentHandlers): HTMLElement | null {
  if (!view.issues.length) return null;
  return h(
    "div",
    { class: "app-replaced app-identity-issues", role: "alert", "data-testid": "identity-issues" },
    h("p", {}, h("strong", {}, "Check this document's identity")),
    h(
      "ul",
      { class: "nhsuk-list" },
      view.issues.map((i) =>
        h(
          "li",
          { "data-kind": i.kind },
          i.detail,
          i.other_document_id !== null
            ? [" ", linkButton(`Open document ${i.other_document_id}`, () => handlers.openDocument(i.other_document_id as number), "open-other-document")]
            : null,
        ),
      ),
    ),
  );
}

/**
 * "Received 3 times": every delivery of the same document (the first and each duplicate), with
 * its time and the mailbox it came from, so a duplicate is never invisible.
 */
export function renderDeliveries(view: DocumentView): HTMLElement | null {
  if (view.deliveries.length < 2) return null;
  return h(
    "div",
    { class: "app-replaces app-deliveries", "data-testid": "deliveries" },
    h("p", {}, h("strong", {}, `Received ${view.deliveries.length} times.`), " The same document arrived again; each delivery is kept:"),
    h(
      "ul",
      { class: "nhsuk-list app-small" },
      view.deliveries.map((d, i) =>
        h(
          "li",
          {},
          `${formatDateTime(d.message.received_at)}`,
          d.message.sender_mailbox ? ` from MESH mailbox ${d.message.sender_mailbox}` : ` (${d.message.source})`,
          i === 0 ? " (first delivery)" : " (duplicate)",
        ),
      ),
    ),
  );
}

/** Diagnostics a reader must see (content removed from the narrative, markup read as HTML). */
export function renderAttentionNotes(diags: Diagnostic[]): HTMLElement | null {
  const notes = diags.filter((d) => d.attention);
  if (!notes.length) return null;
  return h(
    "div",
    { class: "nhsuk-inset-text app-attention", "data-testid": "attention-notes" },
    h("p", {}, h("strong", {}, "About this document's content")),
    h("ul", { class: "nhsuk-list" }, notes.map((d) => h("li", {}, d.message))),
  );
}

/** Banners for a replaced document (links to its replacement) and for a replacement. */
export function renderReplacementBanners(view: DocumentView, handlers: DocumentHandlers): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (view.superseded_by) {
    const r = view.superseded_by;
    out.push(
      h(
        "div",
        { class: "app-replaced", role: "alert", "data-testid": "replaced-banner" },
        h(
          "p",
          {},
          h("strong", {}, "Replaced: "),
          `a newer version of this document was received ${formatDateTime(r.received_at)}. Act on the replacement, not on this version.`,
          identityMismatch(view.row, r),
        ),
        linkButton("Open the replacement", () => handlers.openDocument(r.id), "open-replacement"),
      ),
    );
  } else if (view.row.replaces && view.row.superseded_by !== null) {
    out.push(h("div", { class: "app-replaced", role: "alert" }, h("strong", {}, "This document has been replaced"), " by a later version."));
  }
  if (view.supersedes.length) {
    out.push(
      h(
        "div",
        { class: "app-replaces", "data-testid": "replaces-banner" },
        "This document replaces an earlier version ",
        view.supersedes.flatMap((r, i) => [i ? ", " : "", linkButton(`received ${formatDateTime(r.received_at)}`, () => handlers.openDocument(r.id), "open-earlier")]),
        ".",
        view.supersedes.map((r) => identityMismatch(view.row, r)).find((x) => x) ?? null,
      ),
    );
  } else if (view.row.flags.superseding) {
    out.push(h("div", { class: "app-replaces" }, "This document replaces an earlier version that has not been received."));
  }
  return out;
}

/**
 * The action bar: the lane, File (marked unavailable, with the reasons, when the core would
 * refuse: it can still be pressed, and the refusal is shown), Needs action and Move to New.
 */
function renderActions(view: DocumentView, handlers: DocumentHandlers, blockers: Blocker[] | null): HTMLElement {
  const status = view.row.status;
  const closed = status === "rejected" || status === "superseded";
  const button = (label: string, key: string, target: "new" | "needs-action" | "filed", cls: string, blocked = false) =>
    h(
      "button",
      {
        type: "button",
        class: `app-action ${cls}${blocked ? " app-action--blocked" : ""}`,
        "data-action": target,
        "aria-keyshortcuts": key,
        "aria-disabled": blocked ? "true" : null,
        "aria-describedby": blocked ? "file-blockers" : null,
        onclick: () => handlers.setStatus(target),
      },
      label,
      h("span", { class: "app-action__key", "aria-hidden": "true" }, key),
    );
  const blocked = !!blockers && blockers.length > 0;
  return h(
    "div",
    { class: "app-actions", role: "group", "aria-label": "Document actions" },
    h("span", { class: "app-actions__status" }, "Status ", statusTag(status), view.row.superseded_by !== null && status !== "superseded" ? tag("Superseded", "grey") : null, view.row.assigned_to ? h("span", { class: "app-actions__assigned", "data-testid": "row-assigned" }, `Assigned: ${assigneeLabel(view.row.assigned_to)}`) : null),
    !closed && status !== "filed" ? button("File", "f", "filed", "app-action--primary", blocked) : null,
    !closed && status !== "needs-action" && status !== "filed" ? button("Needs action", "a", "needs-action", "app-action--secondary") : null,
    !closed && status !== "new" ? button("Move to New", "n", "new", "app-action--secondary") : null,
    blocked && status !== "filed" && !closed
      ? h(
          "div",
          { class: "app-actions__blockers", id: "file-blockers", "data-testid": "file-blockers" },
          h("strong", {}, "Not ready to file: "),
          blockers.map((b, i) => h("span", { "data-code": b.code }, i ? " " : "", b.text)),
        )
      : null,
    h("span", { class: "app-actions__message", role: "status", "aria-live": "polite", id: "action-message" }),
  );
}

/** The header: title and the facts a reader needs; administrative fields behind "Document details". */
function renderHeader(doc: Document, view: DocumentView): HTMLElement {
  const e = doc.encounter;
  const from = partyText(doc.custodian) ?? partyText(view.parsed.message?.sender ?? null) ?? view.row.sender;
  const details: (HTMLElement | null)[] = [
    field("Document", kindLabel(doc.kind)),
    field("Care setting", doc.care_setting?.display ?? view.row.care_setting),
    field("Document date", formatDateTime(doc.date)),
    field("Received", formatDateTime(view.row.received_at)),
    field("Author", partyText(doc.author)),
    field("Custodian", partyText(doc.custodian)),
    senderIfDifferent(partyText(view.parsed.message?.sender ?? null) ?? view.row.sender, partyText(doc.custodian)),
    field("Document status", doc.status),
    otherPractitioners(doc),
  ];
  if (e) {
    details.push(
      !e.admission_date && !e.attendance_date ? field("Encounter start", formatDateTime(e.start)) : null,
      !e.discharge_date ? field("Encounter end", formatDateTime(e.end)) : null,
      field("Encounter type", e.encounter_type ?? e.class),
      field("Encounter status", e.status),
      field("Admission method", e.admission_method),
      field("Admission source", e.admission_source),
      field("Discharge method", e.discharge_method),
      field("Location", e.location),
    );
  }
  return h(
    "header",
    { class: `app-doc__header app-kind-accent--${kindColour(doc.kind)}` },
    h("h2", { class: "nhsuk-heading-m app-doc__title", id: "document-title", tabindex: "-1" }, doc.title ?? kindLabel(doc.kind)),
    h(
      "div",
      { class: "app-doc__facts" },
      field("From", from),
      e ? field("Admitted", formatDateTime(e.admission_date)) : null,
      e ? field("Attended", formatDateTime(e.attendance_date)) : null,
      e ? field("Discharged", formatDateTime(e.discharge_date)) : null,
      field("Received", formatDateTime(view.row.received_at)),
    ),
    h(
      "details",
      { class: "nhsuk-details app-doc__details", "data-jump": "details", "data-testid": "document-details" },
      h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, "Document details")),
      h("div", { class: "nhsuk-details__text app-fields" }, details),
    ),
  );
}

function senderIfDifferent(sender: string | null, custodian: string | null): HTMLElement | null {
  return sender && sender !== custodian ? field("Sender", sender) : null;
}

/** Practitioners named in the document, with their contact details (the author's too). */
function otherPractitioners(doc: Document): HTMLElement | null {
  const list = doc.practitioners
    .map((p) => [p.name, p.telecom.length ? `(${p.telecom.join(", ")})` : null].filter(Boolean).join(" "))
    .filter((t) => t);
  return list.length ? field("Contact", list.join("; ")) : null;
}

const PROMINENT_CODES = new Set(["734163000", "933361000000108"]);
const PROMINENT_TITLES = /^(plan and requested actions|medications and medical devices)$/i;

export function isProminent(s: Section): boolean {
  return (s.code !== null && PROMINENT_CODES.has(s.code)) || PROMINENT_TITLES.test((s.title ?? "").trim());
}

type TableKind = "medications" | "allergies" | "conditions" | "procedures";
const RESOURCE: Record<string, TableKind> = {
  MedicationStatement: "medications",
  MedicationRequest: "medications",
  Medication: "medications",
  AllergyIntolerance: "allergies",
  Condition: "conditions",
  Procedure: "procedures",
};
const TITLE: [RegExp, TableKind][] = [
  [/medicat/i, "medications"],
  [/allerg/i, "allergies"],
  [/diagnos|problem/i, "conditions"],
  [/procedure/i, "procedures"],
];

/** Which structured tables a section holds: by its entries' resource types, else its title. */
export function sectionTables(s: Section): TableKind[] {
  const kinds = new Set<TableKind>();
  for (const e of s.entries) {
    const k = e.resource_type ? RESOURCE[e.resource_type] : undefined;
    if (k) kinds.add(k);
  }
  if (kinds.size === 0) for (const [re, k] of TITLE) if (re.test(s.title ?? "")) kinds.add(k);
  return [...kinds];
}

function simpleTable(caption: string, testid: string, headers: string[], rows: (string | Node | null)[][]): HTMLElement {
  return h(
    "table",
    { class: "nhsuk-table app-table", "data-testid": testid },
    h("caption", { class: "nhsuk-table__caption app-table__caption" }, `${caption} (${rows.length})`),
    h("thead", { class: "nhsuk-table__head" }, h("tr", {}, headers.map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)))),
    h("tbody", { class: "nhsuk-table__body" }, rows.map((r) => h("tr", { class: "nhsuk-table__row" }, r.map((c) => h("td", { class: "nhsuk-table__cell" }, c ?? ""))))),
  );
}

function joinNotes(notes: string[]): string {
  return notes.join(" ");
}

export function renderAllergies(items: Allergy[]): HTMLElement {
  return simpleTable(
    "Allergies and adverse reactions",
    "allergies",
    ["Substance", "Reaction", "Severity", "Status", "Notes"],
    items.map((a) => [
      a.no_known_allergies ? "No known allergies" : (a.substance ?? "(not named)"),
      a.reactions.join(", "),
      [a.severity, a.criticality ? `criticality ${a.criticality}` : null].filter(Boolean).join(", "),
      [a.clinical_status, a.verification_status].filter(Boolean).join(", "),
      [formatDate(a.onset) ? `Onset ${formatDate(a.onset)}` : "", joinNotes(a.notes)].filter(Boolean).join(". "),
    ]),
  );
}

export function renderConditions(items: Condition[]): HTMLElement {
  return simpleTable(
    "Diagnoses and problems",
    "conditions",
    ["Diagnosis", "Status", "Category", "Onset", "Notes"],
    items.map((c) => [c.name ?? c.code ?? "(not named)", [c.clinical_status, c.verification_status].filter(Boolean).join(", "), c.category, formatDate(c.onset), joinNotes(c.notes)]),
  );
}

export function renderProcedures(items: Procedure[]): HTMLElement {
  return simpleTable(
    "Procedures",
    "procedures",
    ["Procedure", "Status", "Performed", "Notes"],
    items.map((p) => [p.name ?? p.code ?? "(not named)", p.status, formatDateTime(p.performed), joinNotes(p.notes)]),
  );
}

function table(kind: TableKind, doc: Document): HTMLElement | null {
  switch (kind) {
    case "medications":
      return doc.medications.length ? renderMedicines(doc.medications) : null;
    case "allergies":
      return doc.allergies.length ? renderAllergies(doc.allergies) : null;
    case "conditions":
      return doc.conditions.length ? renderConditions(doc.conditions) : null;
    case "procedures":
      return doc.procedures.length ? renderProcedures(doc.procedures) : null;
  }
}

/**
 * Every section in order, each structured table once (in the section that refers to it). The
 * coded medicines come first in theirs, then the hospital's own narrative, labelled as such and
 * flagged where the two disagree.
 */
export function renderSections(doc: Document): HTMLElement {
  const placed = new Set<TableKind>();
  const sections = doc.sections.map((s, i) => {
    const tables: HTMLElement[] = [];
    let medicines: HTMLElement | null = null;
    for (const k of sectionTables(s)) {
      if (placed.has(k)) continue;
      const t = table(k, doc);
      if (t) {
        placed.add(k);
        if (k === "medications") medicines = t;
        else tables.push(t);
      }
    }
    const prominent = isProminent(s);
    const heading = s.level === 0 ? "h3" : "h4";
    const hasNarrative = !!(s.html.trim() || s.text.trim());
    const disagreement = medicines ? compareMedicines(doc.medications, [s]) : null;
    const plan = isPlan(s);
    return h(
      "section",
      {
        class: `app-section${prominent ? " app-section--prominent" : ""}${s.known ? "" : " app-section--unknown"} app-section--level-${Math.min(s.level, 3)}`,
        id: `doc-section-${i}`,
        "aria-labelledby": `section-${i}`,
        "data-testid": "section",
        "data-jump": plan ? "actions section" : "section",
        "data-section-index": i,
      },
      h(
        heading,
        { class: "app-section__title", id: `section-${i}`, tabindex: "-1" },
        h("span", { class: "app-section__title-text" }, s.title ?? s.code_display ?? "Untitled section"),
        s.known ? null : tag("not recognised", "grey", "app-tag--small"),
      ),
      medicines ? h("div", { "data-jump": "medicines", class: "app-med-block" }, medicines) : null,
      medicines && hasNarrative
        ? h(
            "div",
            { class: "app-hospital-table" },
            h("p", { class: "app-hospital-table__label" }, "The hospital's own list, as written"),
            disagrees(disagreement) && disagreement ? renderDisagreement(disagreement) : null,
          )
        : null,
      renderNarrative(s.html, s.text),
      !hasNarrative && tables.length === 0 && !medicines ? h("p", { class: "app-muted app-small" }, "No narrative in this section.") : null,
      tables,
    );
  });
  const rest = (["medications", "allergies", "conditions", "procedures"] as TableKind[])
    .filter((k) => !placed.has(k))
    .map((k) => {
      const t = table(k, doc);
      return t && k === "medications" ? h("div", { "data-jump": "medicines" }, t) : t;
    })
    .filter((t): t is HTMLElement => t !== null);
  return h(
    "div",
    { class: "app-sections" },
    sections,
    rest.length
      ? h(
          "section",
          { class: "app-section", "aria-labelledby": "section-structured", "data-jump": "section" },
          h("h3", { class: "app-section__title", id: "section-structured", tabindex: "-1" }, "Structured entries not in a section"),
          rest,
        )
      : null,
    doc.unrecognised_entries.length
      ? h(
          "section",
          { class: "app-section app-section--unknown", "aria-labelledby": "section-unrecognised", "data-jump": "section" },
          h("h3", { class: "app-section__title", id: "section-unrecognised", tabindex: "-1" }, "Entries not recognised ", tag("not recognised", "grey", "app-tag--small")),
          h(
            "ul",
            { class: "nhsuk-list app-unrecognised" },
            doc.unrecognised_entries.map((u) => h("li", {}, h("strong", {}, u.resource_type), u.narrative_text ? `: ${u.narrative_text}` : " (no narrative)")),
          ),
        )
      : null,
  );
}

const PLAN_CODE = "887201000000105";

/** The "Plan and requested actions" section (by code, else title). */
export function isPlan(s: Section): boolean {
  return s.code === PLAN_CODE || /^plan and requested actions$/i.test((s.title ?? "").trim());
}

function renderAttachments(view: DocumentView, handlers: DocumentHandlers): HTMLElement | null {
  const atts = view.parsed.document?.attachments ?? [];
  if (!atts.length) return null;
  return h(
    "section",
    { class: "app-section app-attachments", "aria-labelledby": "section-attachments", "data-jump": "attachments section" },
    h("h3", { class: "app-section__title", id: "section-attachments", tabindex: "-1" }, `Attachments (${atts.length})`),
    h(
      "ul",
      { class: "app-attachments__list" },
      atts.map((a, i) => {
        const ct = (a.content_type ?? "").toLowerCase();
        const image = ct === "image/png" || ct === "image/jpeg" || ct === "image/gif";
        const target = h("div", { class: "app-attachments__view" });
        return h(
          "li",
          { class: "app-attachments__item", "data-testid": "attachment" },
          h(
            "div",
            { class: "app-attachments__row" },
            h("span", {}, `Attachment ${i + 1}: ${ct === "application/pdf" ? "PDF document" : image ? "Image" : a.content_type ?? "unknown type"} (${formatBytes(a.size)})`),
            a.supported ? null : tag("type not supported", "yellow", "app-tag--small"),
            image || ct === "application/pdf"
              ? h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "view-attachment", onclick: () => handlers.viewAttachment(i, target) }, "View")
              : null,
            h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", onclick: () => handlers.saveAttachment(i, target) }, ct === "application/pdf" ? "Save PDF to Downloads" : "Save to Downloads"),
          ),
          target,
        );
      }),
    ),
  );
}

export function renderDiagnostics(diags: Diagnostic[], heading = "Problems found in this message"): HTMLElement | null {
  if (!diags.length) return null;
  return h(
    "details",
    { class: "nhsuk-details app-diagnostics" },
    h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, `${heading} (${diags.length})`)),
    h(
      "div",
      { class: "nhsuk-details__text" },
      h(
        "ul",
        { class: "nhsuk-list" },
        diags.map((d) => h("li", {}, tag(d.severity, d.severity === "warning" ? "yellow" : "red", "app-tag--small"), ` ${d.message} `, h("span", { class: "app-muted app-small" }, `(${d.location}${d.itk_code ? `, ITK ${d.itk_code}` : ""})`))),
      ),
    ),
  );
}

function renderProvenance(view: DocumentView): HTMLElement {
  const p = view.provenance;
  const m = view.parsed.message;
  return h(
    "details",
    { class: "nhsuk-details app-provenance" },
    h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, "Message details")),
    h(
      "div",
      { class: "nhsuk-details__text app-fields" },
      field("Received", formatDateTime(p.received_at)),
      field("From", p.source === "mesh" ? `MESH mailbox ${p.sender_mailbox ?? "unknown"}` : p.source),
      field("Mailbox", p.mailbox),
      field("Message id", p.source_id),
      field("Workflow", p.workflow_id),
      field("ITK event", m ? [m.event_code, m.event_display].filter(Boolean).join(" ") : null),
      field("Acknowledged", formatDateTime(p.acknowledged_at)),
      field("Size", formatBytes(p.size)),
      field("SHA-256", p.sha256),
    ),
  );
}

/** The sticky index: the jump targets with their keys, and every section. */
function renderIndex(doc: Document | null, view: DocumentView, hasWork = false, hasMedrec = false): HTMLElement {
  const link = (label: string, target: JumpTarget, key: string | null) =>
    h("button", { type: "button", class: "app-index__link", "data-target": target, "aria-keyshortcuts": key }, label, key ? h("span", { class: "app-action__key", "aria-hidden": "true" }, key) : null);
  const select = h(
    "select",
    { class: "nhsuk-select app-index__select", id: "section-index", "aria-label": "Go to section", title: "Go to a section; [ and ] go to the previous and next section" },
    h("option", { value: "" }, "Go to section…"),
    (doc?.sections ?? []).map((s, i) => h("option", { value: String(i) }, `${s.level > 0 ? "– " : ""}${s.title ?? s.code_display ?? "Untitled section"}`)),
    doc?.attachments.length ? h("option", { value: "attachments" }, `Attachments (${doc.attachments.length})`) : null,
  );
  return h(
    "nav",
    { class: "app-index", "aria-label": "Sections of this document", "data-testid": "section-index" },
    link("Summary", "summary", "g"),
    hasWork ? link("Work", "work", null) : null,
    hasMedrec ? link("Reconcile", "medrec", "y") : null,
    view.supersedes.length ? link("Changes", "changes", null) : null,
    doc?.medications.length ? link("Medicines", "medicines", "m") : null,
    doc?.sections.some(isPlan) ? link("Plan", "actions", "p") : null,
    select,
  );
}

/**
 * What scrolls: the content under the fixed banner and actions, or (in a short window, where
 * only the banner stays) the whole document.
 */
function scroller(root: HTMLElement): HTMLElement | null {
  const scroll = root.querySelector<HTMLElement>(".app-doc__scroll");
  const scrolls = (e: HTMLElement) => /(auto|scroll)/.test(getComputedStyle(e).overflowY);
  if (scroll && scrolls(scroll)) return scroll;
  return scrolls(root) ? root : scroll;
}

/** What stays in view at the top of the scroller: the sticky index, or the sticky banner. */
function stuckHeight(root: HTMLElement, scroll: HTMLElement): number {
  return [...root.querySelectorAll<HTMLElement>(".app-index, .app-banner")]
    .filter((e) => getComputedStyle(e).position === "sticky" && scroll.contains(e))
    .reduce((sum, e) => sum + e.offsetHeight, 0);
}

/** Scrolls the document to `el`, below what stays in view, and moves focus to its heading. */
function scrollToElement(root: HTMLElement, el: Element): boolean {
  const scroll = scroller(root);
  if (!scroll) return false;
  const offset = stuckHeight(root, scroll) + 4;
  const top = el.getBoundingClientRect().top - scroll.getBoundingClientRect().top + scroll.scrollTop - offset;
  scroll.scrollTop = Math.max(0, top);
  const focusable = el.matches("[tabindex], summary") ? (el as HTMLElement) : el.querySelector<HTMLElement>("[tabindex='-1'], summary, h3, h4");
  focusable?.focus({ preventScroll: true });
  return true;
}

/** The jump targets in document order (sections, summary, medicines, attachments...). */
function jumpTargets(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>("[data-jump]")].filter((e) => !e.closest(".app-doc__fixed"));
}

/**
 * Jumps within the document `root` shows: to the summary, the medicines, the plan, ..., or to
 * the next or previous section from where the document is scrolled. False when there is none.
 */
export function jumpWithin(root: HTMLElement, target: JumpTarget | number): boolean {
  if (typeof target === "number") {
    const el = root.querySelector(`#doc-section-${target}`);
    return el ? scrollToElement(root, el) : false;
  }
  if (target === "next" || target === "previous") {
    const scroll = scroller(root);
    if (!scroll) return false;
    const line = scroll.getBoundingClientRect().top + stuckHeight(root, scroll) + 8;
    const all = jumpTargets(root).filter((e) => /\b(section|summary|changes)\b/.test(e.dataset.jump ?? ""));
    const tops = all.map((e) => e.getBoundingClientRect().top);
    const el = target === "next" ? all.find((_, i) => tops[i] > line + 1) : [...all].reverse().find((_, i) => tops[all.length - 1 - i] < line - 1);
    return el ? scrollToElement(root, el) : false;
  }
  let el: Element | undefined = jumpTargets(root).find((e) => (e.dataset.jump ?? "").split(" ").includes(target));
  if (!el) return false;
  // The coded medicines open their section: show the section's heading with them.
  if (target === "medicines") el = el.closest("[data-section-index]") ?? el;
  if (target === "details") (el as HTMLDetailsElement).open = true;
  return scrollToElement(root, el);
}

/** The whole document view. `comparison`: where the comparison with a replaced version goes, filled in when it arrives. */
export function renderDocument(
  view: DocumentView,
  handlers: DocumentHandlers,
  today: Date = new Date(),
  comparison: HTMLElement | null = null,
  work: { panel: HTMLElement; blockers: Blocker[] | null } | null = null,
  medrec: HTMLElement | null = null,
): HTMLElement {
  const doc = view.parsed.document;
  const fixed = h(
    "div",
    { class: "app-doc__fixed" },
    renderPatientBanner(doc?.patient ?? null, today, doc?.kind ?? view.row.kind),
    renderIdentityIssues(view, handlers),
    renderReplacementBanners(view, handlers),
    renderActions(view, handlers, work?.blockers ?? null),
  );
  const article = h("article", { class: "app-doc", "data-document-id": view.row.id, "data-kind": doc?.kind ?? view.row.kind, "aria-labelledby": "document-title" });
  const jump = (t: JumpTarget | number) => void jumpWithin(article, t);
  const summary = doc
    ? renderSummary(
        buildSummary(doc, view.actions),
        doc.sections.map((s) => s.title ?? s.code_display ?? "Untitled section"),
        doc.medications.length,
        { jumpToSection: (i) => jump(i), jumpTo: (t) => jump(t) },
      )
    : null;
  const index = renderIndex(doc, view, !!work, !!medrec);
  index.addEventListener("click", (e) => {
    const t = (e.target as Element).closest?.("[data-target]");
    if (t) jump(t.getAttribute("data-target") as JumpTarget);
  });
  const select = index.querySelector("select") as HTMLSelectElement;
  select.addEventListener("change", () => {
    const v = select.value;
    if (v === "attachments") jump("attachments");
    else if (v) jump(Number(v));
    select.value = "";
  });
  const body = h(
    "div",
    { class: "app-doc__scroll", id: "document-scroll", tabindex: "0", role: "region", "aria-label": "Document content" },
    index,
    doc ? renderHeader(doc, view) : h("h2", { class: "nhsuk-heading-m", id: "document-title", tabindex: "-1" }, kindLabel(view.row.kind)),
    // Who this is on the register, and what is left to do, before the rest of the document.
    work?.panel ?? null,
    medrec,
    renderDeliveries(view),
    renderAttentionNotes(view.parsed.diagnostics),
    summary,
    view.supersedes.length && comparison
      ? h(
          "section",
          { class: "app-compare", "data-jump": "changes", "aria-labelledby": "compare-title", "data-testid": "changes" },
          h("h3", { class: "app-compare__heading", id: "compare-title", tabindex: "-1" }, "What changed from the version it replaces"),
          comparison,
        )
      : null,
    doc ? renderSections(doc) : h("p", { class: "nhsuk-body" }, "This message holds no clinical document."),
    renderAttachments(view, handlers),
    renderDiagnostics(view.parsed.diagnostics),
    renderProvenance(view),
  );
  article.append(fixed, body);
  return article;
}
