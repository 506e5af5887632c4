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
import { parseUkDate } from "./dates";
import { addDays, daysFrom, formatDate, formatDateTime, formatDayShort, ukDay } from "./format";
import { can, personLabel } from "./workflow";

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

/** Whole UK calendar days from the instant `from` to the instant `to` (null if unreadable). */
function ukDaysBetween(from: string, to: Date): number | null {
  const a = ukDay(from);
  const b = ukDay(to);
  if (!a || !b) return null;
  return daysFrom(a, b);
}

/** "practice list version 1, imported 01-Dec-2026, 0 days old" (or "from reconciliation"). */
export function listLine(view: MedrecView, today: Date): string | null {
  const l = view.practice_list;
  if (!l) return null;
  const between = ukDaysBetween(l.imported_at, today);
  const days = between === null ? null : Math.max(0, between);
  const how = l.source === "reconciliation" ? "signed off from a reconciliation" : "imported";
  return `practice list version ${l.version}, ${how} ${formatDate(l.imported_at)}${days === null ? "" : `, ${days} ${days === 1 ? "day" : "days"} old`}`;
}

/** "Reconcile by 08-Dec-2026" / "Overdue: was due 08-Dec-2026" (NICE QS120: 7 days). */
export function dueLine(view: MedrecView, today: Date): { text: string; overdue: boolean } {
  if (view.signed_off) return { text: `Was due by ${formatDate(view.due_by)}`, overdue: false };
  const state = dueState(view.due_by, today);
  if (state === "overdue") return { text: `Overdue: reconciliation was due by ${formatDate(view.due_by)}`, overdue: true };
  if (state === "today") return { text: `Reconcile today (due ${formatDate(view.due_by)})`, overdue: false };
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

// ----- the 7-day clock (NICE QS120) -------------------------------------------------------------------

/** Days from receipt the practice has to reconcile a discharge's medicines (NICE QS120). */
export const MEDREC_DAYS = 7;

/** Where a due day stands against UK today. */
export type DueState = "due" | "today" | "overdue";

export function dueState(due: string, now: Date): DueState {
  const today = ukDay(now) ?? "";
  if (due < today) return "overdue";
  return due === today ? "today" : "due";
}

/**
 * The due day of a reconciliation for a document received at `receivedAt`: the UK calendar day
 * of receipt plus 7, as the core's `MedrecView.due_by`. Null when the time cannot be read.
 */
export function medrecDueDay(receivedAt: string): string | null {
  const day = ukDay(receivedAt);
  return day ? addDays(day, MEDREC_DAYS) : null;
}

/** The inbox row's clock tag: "Meds rec due 09-Dec", "Meds rec due today", "Meds rec overdue". */
export function clockTag(receivedAt: string, now: Date): { text: string; state: DueState; due: string; title: string } | null {
  const due = medrecDueDay(receivedAt);
  if (!due) return null;
  const state = dueState(due, now);
  const long = formatDate(due);
  switch (state) {
    case "overdue":
      return { text: "Meds rec overdue", state, due, title: `Medicines reconciliation overdue: it was due by ${long} (7 days from receipt)` };
    case "today":
      return { text: "Meds rec due today", state, due, title: `Medicines reconciliation due today, ${long} (7 days from receipt)` };
    default:
      return { text: `Meds rec due ${formatDayShort(due)}`, state, due, title: `Medicines reconciliation due by ${long} (7 days from receipt)` };
  }
}

/** A due day in words for a table: "Overdue (due 08-Dec-2026)", "Due today", "Due 09-Dec-2026". */
export function dueWords(due: string, now: Date): { text: string; state: DueState } {
  const state = dueState(due, now);
  if (state === "overdue") return { text: `Overdue (due ${formatDate(due)})`, state };
  if (state === "today") return { text: "Due today", state };
  return { text: `Due ${formatDate(due)}`, state };
}

// ----- the practice list's age --------------------------------------------------------------------------

/**
 * Whether the practice list compared with is older than the practice allows (the view's
 * `list_stale_after_days`, counted in UK calendar days), and the warning to show before sign-off.
 */
export function listStaleness(view: MedrecView, now: Date): { stale: boolean; days: number | null; asOf: string | null; text: string | null } {
  const l = view.practice_list;
  if (!l) return { stale: false, days: null, asOf: null, text: null };
  const between = ukDaysBetween(l.imported_at, now);
  if (between === null) return { stale: false, days: null, asOf: null, text: null };
  const days = Math.max(0, between);
  const asOf = formatDate(l.imported_at);
  if (view.signed_off || days <= view.list_stale_after_days) return { stale: false, days, asOf, text: null };
  return {
    stale: true,
    days,
    asOf,
    text: `The practice list is ${days} days old (as of ${asOf}): check the clinical record for changes since then before signing off.`,
  };
}

// ----- confirming the unchanged rows together ----------------------------------------------------------------

/** Rows the core would record as "confirmed unchanged": unchanged and without a decision. */
export function undecidedUnchanged(view: MedrecView): number {
  return view.rows.filter((r) => r.category === "unchanged" && !r.decision).length;
}

/** Whether to offer "Confirm all unchanged (N)": open, someone who may decide, and N > 0. */
export function confirmUnchangedState(view: MedrecView, user: CurrentUser | null): { show: boolean; count: number } {
  const count = undecidedUnchanged(view);
  return { show: !view.signed_off && !!view.practice_list && can(user, "work") && count > 0, count };
}

// ----- follow-ups ----------------------------------------------------------------------------------------

/** Default days to a follow-up: a query to the hospital, a review of an on-hold medicine's restart. */
export const QUERY_DAYS = 3;
export const RESTART_REVIEW_DAYS = 14;

export type FollowUpKind = "query" | "restart";

/** The follow-up a decision opens (as the core decides it), or null. */
export function followUpKind(choice: string, category: MedrecCategory): FollowUpKind | null {
  if (choice === "query-hospital") return "query";
  if (!choice || choice === "not-applicable") return null;
  return category === "on-hold" ? "restart" : null;
}

/**
 * The follow-up date field of a row's decision form for `choice`: whether it shows, its
 * default (today + 3 for a query, + 14 for a restart review, in UK days; the day already
 * recorded when the same choice is made again and that day has not passed), and its hint.
 */
export function followUpField(
  choice: string,
  category: MedrecCategory,
  now: Date,
  was: Pick<MedDecisionRecord, "choice" | "follow_up"> | null = null,
): { show: boolean; due: string | null; hint: string | null } {
  const kind = followUpKind(choice, category);
  if (!kind) return { show: false, due: null, hint: null };
  const today = ukDay(now) ?? "";
  const kept = was && was.choice === choice && was.follow_up && was.follow_up.due >= today ? was.follow_up.due : null;
  const due = kept ?? addDays(today, kind === "query" ? QUERY_DAYS : RESTART_REVIEW_DAYS);
  const hint =
    kind === "query"
      ? "A task will be created for you to chase the hospital's answer by this date."
      : "A task will be created for you to review whether to restart this medicine by this date.";
  return { show: true, due, hint };
}

/**
 * Reads the follow-up date typed (dd-Mmm-yyyy, 1/12/2026 or ISO): the day, or null for blank
 * (the core then takes the default), or why it cannot be used (not a date, or in the past).
 */
export function readFollowUpDue(text: string, now: Date): { ok: true; due: string | null } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, due: null };
  const day = parseUkDate(text);
  if (!day.ok) return { ok: false, error: day.error };
  const today = ukDay(now) ?? "";
  if (day.iso < today) return { ok: false, error: `The follow-up date cannot be in the past (today is ${formatDate(today)}).` };
  return { ok: true, due: day.iso };
}

/** "Follow-up: <text> — due 05-Dec-2026 (open)" or "... (done by Pat Pharmacist, 06-Dec-2026 10:12)". */
export function followUpWords(d: Pick<MedDecisionRecord, "follow_up" | "follow_up_done">): { text: string; open: boolean; due: string } | null {
  const f = d.follow_up;
  if (!f) return null;
  const done = d.follow_up_done;
  const state = done ? `done by ${done.by}, ${formatDateTime(done.at)}` : "open";
  return { text: `Follow-up: ${f.text} — due ${formatDate(f.due)} (${state})`, open: !done, due: f.due };
}
