// The medicines reconciliation (issue 13), as the pharmacist reads it: every row of the core's
// diff in plain words, side by side (the hospital's line, the practice's line, what changed), with
// the decision taken. Pure: no DOM, so it is tested without a window.
import type { CurrentUser } from "../bindings/CurrentUser";
import type { MedChoice } from "../bindings/MedChoice";
import type { MedDecisionRecord } from "../bindings/MedDecisionRecord";
import type { Medication } from "../bindings/Medication";
import type { MedIntent } from "../bindings/MedIntent";
import type { MedrecCategory } from "../bindings/MedrecCategory";
import type { MedrecFlag } from "../bindings/MedrecFlag";
import type { MedrecView } from "../bindings/MedrecView";
import type { PracticeListLine } from "../bindings/PracticeListLine";
import type { StoredEvent } from "../bindings/StoredEvent";
import { formatDate, formatDateTime } from "./format";
import { can, isoDay, personLabel } from "./workflow";

/** A category in plain words. */
export const CATEGORY_WORDS: Record<MedrecCategory, string> = {
  unchanged: "Unchanged",
  added: "Started by the hospital",
  commission: "On the discharge list, not on the practice list (no change given)",
  "status-conflict": "The hospital's change status contradicts the practice list",
  stopped: "Stopped by the hospital",
  omission: "On the practice list, missing from the discharge",
  "dose-changed": "Dose changed",
  "route-changed": "Route changed",
  "strength-or-form-changed": "Strength or form changed",
  "product-switch": "Another brand or product of the same medicine",
  "on-hold": "On hold: needs restart criteria",
};

/** A flag in plain words (the tag's text). */
export const FLAG_WORDS: Record<MedrecFlag, string> = {
  duplication: "Duplication",
  incomplete: "Incomplete",
  uncoded: "Uncoded",
  "reason-missing": "Reason missing",
  "ambiguous-match": "Ambiguous match",
};

export const CHOICES: { id: MedChoice; label: string }[] = [
  { id: "accept-hospital", label: "Accept hospital's change" },
  { id: "keep-practice", label: "Keep practice version" },
  { id: "query-hospital", label: "Query hospital" },
  { id: "not-applicable", label: "Not applicable" },
];

export const INTENTS: { id: MedIntent; label: string }[] = [
  { id: "intentional-documented", label: "Intentional, documented" },
  { id: "intentional-undocumented", label: "Intentional, undocumented" },
  { id: "unintentional", label: "Unintentional" },
];

export const choiceLabel = (c: MedChoice): string => CHOICES.find((x) => x.id === c)?.label ?? c;
export const intentLabel = (i: MedIntent): string => INTENTS.find((x) => x.id === i)?.label ?? i;

/** How much a row needs looking at: omissions most, then every other difference, then unchanged. */
export type Risk = "high" | "change" | "none";

export function riskOf(category: MedrecCategory): Risk {
  if (category === "omission" || category === "status-conflict") return "high";
  return category === "unchanged" ? "none" : "change";
}

/** The hospital's change status in words: "Added", "Amended", "Stopped"... */
export function hospitalStatus(m: Medication): string {
  if (m.list === "discontinued") return "Stopped";
  switch (m.change) {
    case "added":
      return "Added";
    case "amended":
      return "Amended";
    case "continued":
      return "Continued";
    case "on-hold":
      return "On hold";
    default:
      return m.change_raw ? `${m.change_raw} (not recognised)` : "No change status given";
  }
}

/** One side of a row, as words. */
export interface Side {
  name: string;
  dose: string | null;
  route: string | null;
  /** The hospital's change status; the practice's repeat or acute. */
  status: string | null;
  /** The hospital's reason (indication for the change, details of the amendment). */
  reason: string | null;
}

export function hospitalSide(m: Medication): Side {
  const reason = [m.change_indication, m.change_details].filter((s): s is string => !!s && !!s.trim()).join("; ");
  return {
    name: m.name ?? "(no name given)",
    dose: m.dosage,
    route: m.route,
    status: hospitalStatus(m),
    reason: reason || null,
  };
}

export function practiceSide(l: PracticeListLine): Side {
  return { name: l.name, dose: l.dosage, route: l.route, status: l.type === "acute" ? "Acute" : "Repeat", reason: null };
}

/** "Query hospital (Unintentional): ask why... : Pat Pharmacist (Pharmacist), 01-Dec-2026 10:12" */
export function decisionWords(d: MedDecisionRecord): string {
  const note = d.note?.trim() ?? "";
  const what = `${choiceLabel(d.choice)}${d.intent ? ` (${intentLabel(d.intent)})` : ""}${note ? `: ${note}` : ""}`;
  return `${what}${/[.?!]$/.test(what) ? "" : "."} ${personLabel(d.stamp.by, d.stamp.role)}, ${formatDateTime(d.stamp.at)}`;
}

export interface RowModel {
  key: string;
  category: MedrecCategory;
  categoryText: string;
  risk: Risk;
  hospital: Side | null;
  practice: Side | null;
  detail: string | null;
  flags: string[];
  /** The other practice lines an ambiguous match could have been. */
  others: string[];
  decided: boolean;
  decision: string | null;
  /** The decision as recorded (to show the choices made). */
  record: MedDecisionRecord | null;
}

/** Whole days between two instants, counted on the local calendar. */
function daysBetween(from: Date, to: Date): number {
  const a = new Date(from.getFullYear(), from.getMonth(), from.getDate());
  const b = new Date(to.getFullYear(), to.getMonth(), to.getDate());
  return Math.round((b.getTime() - a.getTime()) / 86400000);
}

/** "practice list version 1, imported 01-Dec-2026, 0 days old" (or "from reconciliation"). */
export function listLine(view: MedrecView, today: Date): string | null {
  const l = view.practice_list;
  if (!l) return null;
  const at = new Date(l.imported_at);
  const days = Number.isNaN(at.getTime()) ? null : Math.max(0, daysBetween(at, today));
  const how = l.source === "reconciliation" ? "signed off from a reconciliation" : "imported";
  return `practice list version ${l.version}, ${how} ${formatDate(l.imported_at)}${days === null ? "" : `, ${days} ${days === 1 ? "day" : "days"} old`}`;
}

/** "Reconcile by 08-Dec-2026" / "Overdue: was due 08-Dec-2026" (NICE QS120: 7 days). */
export function dueLine(view: MedrecView, today: Date): { text: string; overdue: boolean } {
  if (view.signed_off) return { text: `Was due by ${formatDate(view.due_by)}`, overdue: false };
  const day = isoDay(today);
  if (view.due_by < day) return { text: `Overdue: reconciliation was due by ${formatDate(view.due_by)}`, overdue: true };
  if (view.due_by === day) return { text: `Reconcile today (due ${formatDate(view.due_by)})`, overdue: false };
  return { text: `Reconcile by ${formatDate(view.due_by)}`, overdue: false };
}

/** The table: one row per reconciliation row, in the core's order. */
export function rowModels(view: MedrecView): RowModel[] {
  const lines = view.practice_list?.lines ?? [];
  return view.rows.map((r) => {
    const m = r.discharge_index !== null ? view.discharge[r.discharge_index] : undefined;
    const p = r.practice_index !== null ? lines[r.practice_index] : undefined;
    return {
      key: r.key,
      category: r.category,
      categoryText: CATEGORY_WORDS[r.category] ?? r.category,
      risk: riskOf(r.category),
      hospital: m ? hospitalSide(m) : null,
      practice: p ? practiceSide(p) : null,
      detail: r.detail,
      flags: r.flags.map((f) => FLAG_WORDS[f] ?? f),
      others: r.others.map((i) => lines[i]?.name).filter((n): n is string => !!n),
      decided: !!r.decision,
      decision: r.decision ? decisionWords(r.decision) : null,
      record: r.decision,
    };
  });
}

/** Whether the person may sign off, and if not (or not yet) why, in words. */
export function signOffState(view: MedrecView, user: CurrentUser | null): { show: boolean; enabled: boolean; reason: string | null } {
  if (view.signed_off) return { show: false, enabled: false, reason: null };
  if (!can(user, "sign-off-medicines")) return { show: false, enabled: false, reason: "Only a pharmacist or a GP may sign off a reconciliation." };
  if (view.undecided > 0) return { show: true, enabled: false, reason: `${view.undecided} ${view.undecided === 1 ? "row has" : "rows have"} no decision yet: decide every row before signing off.` };
  return { show: true, enabled: true, reason: null };
}

/** The key of the first undecided row after `after` (wrapping), or null when all are decided. */
export function nextUndecidedRow(view: MedrecView, after: string | null = null): string | null {
  const open = view.rows.filter((r) => !r.decision);
  if (!open.length) return null;
  const at = after === null ? -1 : view.rows.findIndex((r) => r.key === after);
  const later = view.rows.slice(at + 1).find((r) => !r.decision);
  return (later ?? open[0]).key;
}

/** What the window refuses before asking the core: a choice, and a note for a query. */
export function decisionProblem(choice: string, note: string): string | null {
  if (!choice) return "Choose a decision for this row.";
  if (choice === "query-hospital" && !note.trim()) return "Say what to ask the hospital (a note is required).";
  return null;
}

/** The practice list version a sign-off wrote (from the document's events), or null. */
export function signedOffListVersion(events: Pick<StoredEvent, "kind" | "details">[]): number | null {
  const e = [...events].reverse().find((x) => x.kind === "medrec_signed_off");
  const v = e?.details?.list_version;
  return typeof v === "number" ? v : null;
}
