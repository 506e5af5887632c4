// The medicines table and its change badges. Colour is never the only signal: the word is always
// on the badge, and a change status the app does not recognise is shown exactly as sent.
import type { Medication } from "../bindings/Medication";
import { h } from "../widgets/dom";
import { formatDate } from "../lib/format";
import { tag } from "../lib/labels";

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

function details(m: Medication): HTMLElement[] {
  const out: HTMLElement[] = [];
  const line = (label: string, value: string | null | undefined) => {
    if (value) out.push(h("div", { class: "app-med__detail" }, h("span", { class: "app-med__label" }, `${label}: `), value));
  };
  line("Change", m.change_details);
  line("Reason", m.change_indication);
  line("Changed", formatDate(m.change_date));
  for (const ins of m.additional_instructions) line("Instructions", ins);
  line("Patient instruction", m.patient_instruction);
  line("Quantity", m.quantity);
  for (const n of m.notes) line("Note", n);
  if (m.status === "unknown" && m.status_raw) line("Status as sent", m.status_raw);
  return out;
}

/** A table of every medicine, with nothing dropped. */
export function renderMedicines(meds: Medication[]): HTMLElement {
  return h(
    "table",
    { class: "nhsuk-table app-table app-med", "data-testid": "medicines" },
    h("caption", { class: "nhsuk-table__caption app-table__caption" }, `Medicines (${meds.length})`),
    h(
      "thead",
      { class: "nhsuk-table__head" },
      h(
        "tr",
        {},
        ["Change", "Medicine", "Dose", "Route", "Details"].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)),
      ),
    ),
    h(
      "tbody",
      { class: "nhsuk-table__body" },
      sortMedicines(meds).map((m) => {
        const badge = medicineBadge(m);
        return h(
          "tr",
          { class: `nhsuk-table__row app-med__row${badge ? ` app-med__row--${badge.label.toLowerCase().replace(/\W+/g, "-")}` : ""}` },
          h("td", { class: "nhsuk-table__cell" }, badge ? tag(badge.label, badge.colour, "app-med__badge") : h("span", { class: "app-muted" }, "Not stated")),
          h(
            "td",
            { class: "nhsuk-table__cell app-med__name" },
            m.name ?? "(no name)",
            m.form ? h("div", { class: "app-muted app-small" }, m.form) : null,
          ),
          h("td", { class: "nhsuk-table__cell" }, m.dosage ?? ""),
          h("td", { class: "nhsuk-table__cell" }, m.route ?? ""),
          h("td", { class: "nhsuk-table__cell" }, details(m)),
        );
      }),
    ),
  );
}
