// The medicines: the coded table first (badged changes, high-risk medicines tagged, a wide "What
// changed and why" column), then where the hospital's own narrative table disagrees with it.
// Colour is never the only signal: the word is always on the badge, and a change status the app
// does not recognise is shown exactly as sent.
import type { HighRisk } from "../bindings/HighRisk";
import type { Medication } from "../bindings/Medication";
import { h } from "../widgets/dom";
import { formatDate } from "../lib/format";
import { tag } from "../lib/labels";
import type { MedicineDisagreement } from "../lib/medcompare";
import { previousAndNew } from "../lib/summary";

export interface Badge {
  label: string;
  colour: "green" | "orange" | "red" | "grey" | "yellow";
}

/** The change badge of a medicine, or null when the document says nothing about a change. */
export function medicineBadge(m: Medication): Badge | null {
  if (m.status === "stopped" || m.list === "discontinued") return { label: "Stopped", colour: "red" };
  switch (m.change) {
    case "added":
      return { label: "Added", colour: "green" };
    case "amended":
      return { label: "Amended", colour: "orange" };
    case "continued":
      return { label: "Continued", colour: "grey" };
    case "on-hold":
      return { label: "On hold", colour: "yellow" };
    default:
      return m.change_raw ? { label: `${m.change_raw} (not recognised)`, colour: "grey" } : null;
  }
}

/** Order: changes a GP must act on first (stopped, amended, added, on hold), then the rest. */
const RANK: Record<string, number> = { Stopped: 0, Amended: 1, Added: 2, "On hold": 3, Continued: 4 };

export function sortMedicines(meds: Medication[]): Medication[] {
  return meds
    .map((m, i) => ({ m, i, r: RANK[medicineBadge(m)?.label ?? ""] ?? 5 }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.m);
}

const HIGH_RISK_WORDS: Record<HighRisk, string> = {
  anticoagulant: "anticoagulant",
  insulin: "insulin",
  opioid: "opioid",
  antiepileptic: "antiepileptic",
  lithium: "lithium",
  methotrexate: "methotrexate",
};

/** "High risk: anticoagulant". */
export function highRiskTag(m: Medication): HTMLElement | null {
  if (!m.high_risk) return null;
  return tag(`High risk: ${HIGH_RISK_WORDS[m.high_risk] ?? m.high_risk}`, "purple", "app-med__risk");
}

function line(label: string, value: string | null | undefined, cls = ""): HTMLElement | null {
  if (!value) return null;
  return h("div", { class: `app-med__detail ${cls}`.trim() }, h("span", { class: "app-med__label" }, `${label}: `), value);
}

/** The "What changed and why" cell: was -> now (or the hospital's words), the reason or that none was given, the date. */
export function whatChanged(m: Medication): (HTMLElement | null)[] {
  const badge = medicineBadge(m);
  const changed = badge !== null && badge.label !== "Continued";
  const out: (HTMLElement | null)[] = [];
  const pair = m.change === "amended" && !(m.status === "stopped" || m.list === "discontinued") ? previousAndNew(m.change_details) : null;
  if (pair) {
    out.push(h("div", { class: "app-med__was" }, h("span", { class: "app-med__label" }, "Was "), pair[0], h("span", { class: "app-med__arrow", "aria-label": "now" }, " -> "), h("span", { class: "app-med__label" }, "now "), pair[1]));
    out.push(h("div", { class: "app-med__detail app-muted app-small" }, `“${m.change_details}”`));
  } else if (m.change_details) {
    out.push(line("Change", m.change_details));
  } else if (m.change === "amended") {
    out.push(h("div", { class: "app-med__detail" }, h("span", { class: "app-med__label" }, "Was: "), h("em", {}, "previous dose not given")));
  }
  if (changed) {
    out.push(
      m.change_indication
        ? line("Reason", m.change_indication)
        : h("div", { class: "app-med__detail app-med__noreason" }, h("span", { class: "app-med__label" }, "Reason: "), h("em", {}, "no reason given")),
    );
  }
  out.push(line("Changed", formatDate(m.change_date)));
  if (!changed && !m.change_details) out.push(h("span", { class: "app-muted" }, badge ? "No change" : "Change not stated"));
  return out;
}

function dose(m: Medication): (HTMLElement | string | null)[] {
  return [
    m.dosage ? h("div", {}, m.dosage) : h("div", { class: "app-muted" }, "Dose not given"),
    m.route ? h("div", { class: "app-muted app-small" }, m.route) : null,
    ...m.additional_instructions.map((ins) => line("Instructions", ins)),
    line("Patient instruction", m.patient_instruction),
    line("Quantity", m.quantity),
    ...m.notes.map((n) => line("Note", n)),
    m.status === "unknown" && m.status_raw ? line("Status as sent", m.status_raw) : null,
  ];
}

/** A table of every coded medicine, with nothing dropped. */
export function renderMedicines(meds: Medication[]): HTMLElement {
  return h(
    "table",
    { class: "nhsuk-table app-table app-med", "data-testid": "medicines" },
    h("caption", { class: "nhsuk-table__caption app-table__caption" }, `Medicines (${meds.length})`, h("span", { class: "app-muted app-small app-med__source" }, " coded by the hospital, changes first")),
    h(
      "colgroup",
      {},
      h("col", { class: "app-med__col-change" }),
      h("col", { class: "app-med__col-name" }),
      h("col", { class: "app-med__col-dose" }),
      h("col", { class: "app-med__col-why" }),
    ),
    h(
      "thead",
      { class: "nhsuk-table__head" },
      h("tr", {}, ["Change", "Medicine", "Dose", "What changed and why"].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c))),
    ),
    h(
      "tbody",
      { class: "nhsuk-table__body" },
      sortMedicines(meds).map((m) => {
        const badge = medicineBadge(m);
        return h(
          "tr",
          { class: `nhsuk-table__row app-med__row${badge ? ` app-med__row--${badge.label.toLowerCase().replace(/\W+/g, "-")}` : ""}`, "data-high-risk": m.high_risk ?? null },
          h("td", { class: "nhsuk-table__cell" }, badge ? tag(badge.label, badge.colour, "app-med__badge") : h("span", { class: "app-muted" }, "Not stated")),
          h(
            "td",
            { class: "nhsuk-table__cell app-med__name-cell" },
            h("span", { class: "app-med__name" }, m.name ?? "(no name)"),
            m.form ? h("div", { class: "app-muted app-small" }, m.form) : null,
            highRiskTag(m),
          ),
          h("td", { class: "nhsuk-table__cell" }, dose(m)),
          h("td", { class: "nhsuk-table__cell app-med__why" }, whatChanged(m)),
        );
      }),
    ),
  );
}

/** Where the hospital's table and the coded list disagree: shown above the hospital's table. */
export function renderDisagreement(d: MedicineDisagreement): HTMLElement {
  const items: HTMLElement[] = [];
  for (const n of d.onlyCoded) items.push(h("li", {}, h("strong", {}, n), ": in the coded list, not in the hospital's table"));
  for (const n of d.onlyNarrative) items.push(h("li", {}, h("strong", {}, n), ": in the hospital's table, not in the coded list"));
  for (const s of d.statusDiffers) items.push(h("li", {}, h("strong", {}, s.name), `: coded as ${s.coded}, the hospital's table says ${s.narrative}`));
  return h(
    "div",
    { class: "app-med-disagree", role: "note", "data-testid": "medicine-disagreement" },
    h("p", {}, h("strong", {}, "Check the medicines: the hospital's own table and the coded list disagree")),
    h("ul", { class: "nhsuk-list" }, items),
  );
}
