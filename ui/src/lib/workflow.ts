// The workflow in words: roles, lanes, match states, decisions, and why the core would refuse
// to file. Pure functions over the generated types (no DOM), so they are tested on their own.
// The core is the authority: these only predict its answers so the window can say them first.
import type { ActionItem } from "../bindings/ActionItem";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { DecisionRecord } from "../bindings/DecisionRecord";
import type { DocumentStatus } from "../bindings/DocumentStatus";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { MatchState } from "../bindings/MatchState";
import type { Permission } from "../bindings/Permission";
import type { Registration } from "../bindings/Registration";
import type { Role } from "../bindings/Role";
import type { Task } from "../bindings/Task";
import type { User } from "../bindings/User";
import type { WorkState } from "../bindings/WorkState";
import { formatDate, formatDateTime } from "./format";

export const ROLES: { id: Role; label: string }[] = [
  { id: "gp", label: "GP" },
  { id: "admin", label: "Admin" },
  { id: "care-coordinator", label: "Care coordinator" },
  { id: "pharmacist", label: "Pharmacist" },
  { id: "practice-manager", label: "Practice manager" },
];

export function roleLabel(role: Role | null | undefined): string {
  return ROLES.find((r) => r.id === role)?.label ?? (role ? String(role) : "");
}

/** How a person is named from their login (or local profile name). */
export type Names = (login: string) => string;

/** Names people by their login as it is. */
export const asRecorded: Names = (login) => login;

/**
 * Names people as the practice server names them: "gita_gp" is shown as "Dr Gita Patel" when
 * the practice gave that display name; anyone else (a local profile, a login given none, a
 * name not among `users`) by the name recorded. Logins compare without case, as profiles do.
 */
export function namesOf(users: Pick<User, "name" | "display_name">[]): Names {
  const names = new Map<string, string>();
  for (const u of users) if (u.display_name) names.set(u.name.toLowerCase(), u.display_name);
  if (!names.size) return asRecorded;
  return (login) => names.get(login.toLowerCase()) ?? login;
}

/** The person working as the header names them: their display name, else their name. */
export function userName(u: Pick<CurrentUser, "name" | "display_name">): string {
  return u.display_name || u.name;
}

/** "Alex Admin (Admin)"; with `names`, the login is shown by its display name. */
export function personLabel(name: string, role: Role | null | undefined, names: Names = asRecorded): string {
  const shown = names(name);
  return role ? `${shown} (${roleLabel(role)})` : shown;
}

/** An assignee as the list names it: a person, or "role:gp" for a role's lane. */
export function assigneeLabel(assigned: string | null | undefined, names: Names = asRecorded): string | null {
  if (!assigned) return null;
  const m = /^role:(.+)$/.exec(assigned);
  return m ? `${roleLabel(m[1] as Role)} lane` : names(assigned);
}

export function can(user: CurrentUser | null, permission: Permission): boolean {
  return !!user && user.permissions.includes(permission);
}

export const LANE_LABELS: Record<DocumentStatus, string> = {
  new: "New",
  "needs-gp-review": "Needs GP review",
  "needs-action": "Needs action",
  unmatched: "Unmatched",
  filed: "Filed",
  rejected: "Rejected",
  superseded: "Superseded",
};

export function registrationLabel(r: Registration | null | undefined): string {
  switch (r) {
    case "registered":
      return "Registered";
    case "deducted":
      return "Deducted (no longer registered)";
    case "deceased":
      return "Deceased";
    default:
      return "Registration not known";
  }
}

/** The match state in a few words, for the match banner's heading. */
export function matchHeading(state: MatchState): string {
  switch (state) {
    case "matched":
      return "Matched to the practice register";
    case "unchecked":
      return "Not checked against the practice register";
    case "not-on-register":
      return "Not matched: not on the practice register";
    case "needs-decision":
      return "Not matched: a person must decide";
    case "awaiting-registration":
      return "Awaiting registration";
    case "not-known":
      return "Rejected: patient not known to the practice";
  }
}

/** Matched, or a state a person need not act on before filing. */
export function matchSettled(state: MatchState): boolean {
  return state === "matched" || state === "unchecked" || state === "awaiting-registration" || state === "not-known";
}

/** The actions for the practice that still need a decision, in order. */
export function undecided(actions: ActionItem[]): ActionItem[] {
  return actions.filter((a) => a.needs_decision && !a.decision);
}

/** The first undecided action after `afterIndex` (wrapping round), or null when all are decided. */
export function nextUndecided(actions: ActionItem[], afterIndex: number | null = null): ActionItem | null {
  const open = undecided(actions);
  if (!open.length) return null;
  if (afterIndex === null) return open[0];
  return open.find((a) => a.index > afterIndex) ?? open[0];
}

/** Whether the state needs a GP's review that has not happened. */
export function needsGpReview(state: WorkState): boolean {
  return state.gp_review.length > 0 && !state.gp_reviewed;
}

export function isClosed(state: WorkState): boolean {
  return !!state.filed || !!state.rejected || state.superseded_by !== null;
}

/** A reason the core would refuse to file, with the code it would refuse with. */
export interface Blocker {
  code: ErrorCode;
  text: string;
}

/**
 * Why the core would refuse to file now (empty when it would not), in the order it checks:
 * closed, not matched, undecided actions, GP review (for anyone but a GP).
 */
export function fileBlockers(state: WorkState, actions: ActionItem[], user: CurrentUser | null): Blocker[] {
  const out: Blocker[] = [];
  if (!user) return [{ code: "no_user", text: "Choose who is working first." }];
  if (!can(user, "file")) out.push({ code: "permission_denied", text: `Your role (${roleLabel(user.role)}) may not file documents.` });
  if (state.filed) out.push({ code: "already_filed", text: `Already filed by ${state.filed.by} at ${formatDateTime(state.filed.at)}.` });
  else if (state.rejected) out.push({ code: "invalid_transition", text: `Rejected by ${state.rejected.by}: it cannot be filed.` });
  else if (state.superseded_by !== null) out.push({ code: "invalid_transition", text: "Replaced by a newer version: act on the replacement." });
  if (!matchSettled(state.match_state)) {
    out.push({ code: "not_matched", text: "Not matched to a registered patient: match it, mark it awaiting registration, or reject it as not known." });
  }
  const open = undecided(actions).length;
  if (open) {
    out.push({
      code: "actions_undecided",
      text: `${open} requested ${open === 1 ? "action has" : "actions have"} no decision yet: mark each done, delegate it, or mark it not applicable.`,
    });
  }
  if (needsGpReview(state) && user.role !== "gp") {
    out.push({ code: "gp_review_required", text: "Needs a GP's review: only a GP may file it (or sign off the review first)." });
  }
  return out;
}

/** What a refusal from the core means, in words a person can act on. */
export function refusalText(code: ErrorCode, message: string): string {
  switch (code) {
    case "no_user":
      return "Choose who is working first (the Switch button at the top).";
    case "document_changed":
      return "This document was changed elsewhere; it has been reloaded. Nothing was changed: check it and try again.";
    default:
      return message ? message[0].toUpperCase() + message.slice(1) : code;
  }
}

/** "Done by Alex Admin (Admin), 09-Sep-2026 10:12" and the like. */
export function decisionText(d: DecisionRecord, names: Names = asRecorded): string {
  const who = `${personLabel(d.stamp.by, d.stamp.role, names)}, ${formatDateTime(d.stamp.at)}`;
  switch (d.decision) {
    case "done":
      return `Done: ${who}${d.note ? `. ${d.note}` : ""}`;
    case "delegated": {
      const to = d.to_user ? names(d.to_user) : d.to_role ? `${roleLabel(d.to_role)} lane` : "someone";
      const done = d.completed ? `; done by ${personLabel(d.completed.by, d.completed.role, names)}, ${formatDateTime(d.completed.at)}` : "";
      return `Delegated to ${to}, due ${formatDate(d.due)}: ${who}${d.note ? `. ${d.note}` : ""}${done}`;
    }
    case "not-applicable":
      return `Not applicable (${d.reason}): ${who}`;
  }
}

/** `yyyy-mm-dd` of `today` (local calendar) plus `days`. */
export function isoDay(today: Date, days = 0): string {
  const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The default due date of a delegated action: a week from today. */
export function defaultDue(today: Date): string {
  return isoDay(today, 7);
}

/** The task lists of the Tasks view. */
export type TaskFilter = "mine" | "role" | "overdue" | "week";

export const TASK_FILTERS: { id: TaskFilter; label: string }[] = [
  { id: "mine", label: "Mine" },
  { id: "role", label: "My role's" },
  { id: "overdue", label: "Overdue" },
  { id: "week", label: "Due this week" },
];

/** The query for a task list (open tasks only), as of `today`. */
export function taskQuery(filter: TaskFilter, user: CurrentUser, today: Date) {
  const base = { user: null as string | null, role: null as Role | null, due_before: null as string | null, due_by: null as string | null, include_closed: false, document_id: null, limit: 500 };
  switch (filter) {
    case "mine":
      return { ...base, user: user.name };
    case "role":
      return { ...base, role: user.role };
    case "overdue":
      return { ...base, due_before: isoDay(today) };
    case "week":
      return { ...base, due_by: isoDay(today, 7) };
  }
}

/** How a task's due date reads: "Overdue (due 01-Sep-2026)", "Due today", "Due 09-Sep-2026". */
export function dueText(task: Pick<Task, "due_date" | "status">, today: Date): { text: string; overdue: boolean } {
  const day = isoDay(today);
  if (task.status !== "open") return { text: `Due ${formatDate(task.due_date)}`, overdue: false };
  if (task.due_date < day) return { text: `Overdue (due ${formatDate(task.due_date)})`, overdue: true };
  if (task.due_date === day) return { text: "Due today", overdue: false };
  return { text: `Due ${formatDate(task.due_date)}`, overdue: false };
}

/** The stale-register banner's words, or null when the register is fresh. */
export function registerNotice(r: { patients: number; imported_at: string | null; stale: boolean; max_age_days: number }, now: Date): { title: string; text: string } | null {
  if (!r.stale) return null;
  if (!r.imported_at) {
    return {
      title: "No practice register imported:",
      text: "documents are not matched to registered patients. Import it with handover register import FILE.",
    };
  }
  const days = Math.max(0, Math.floor((now.getTime() - Date.parse(r.imported_at)) / 86_400_000));
  return {
    title: `Practice register imported ${days === 1 ? "1 day" : `${days} days`} ago:`,
    text: `matching may be out of date (imported ${formatDateTime(r.imported_at)}; older than ${r.max_age_days} days). Import a new copy.`,
  };
}

/** An ITK3 business response code in words, with the code ("patient known and registered (30001)"). */
export function businessResponseText(code: string): string {
  const words: Record<string, string> = {
    "30001": "patient known and registered",
    "30002": "patient not known to the practice",
    "30003": "patient no longer registered (deducted, or died 6 months ago or more)",
    "30004": "patient died less than 6 months ago",
  };
  return words[code] ? `${words[code]} (${code})` : code;
}

/** Event kinds whose words are not simply their name's. */
const EVENT_WORDS: Record<string, string> = {
  medrec_decided: "Medicines reconciliation: row decided",
  medrec_signed_off: "Medicines reconciliation signed off",
  medrec_follow_up_done: "Medicines reconciliation: follow-up done",
  medrec_exported: "Medicines reconciliation exported (printed or saved)",
  medication_lists_imported: "Practice medication lists imported",
};

/** Audit event kinds in words ("document_filed" -> "Document filed"). */
export function eventKindLabel(kind: string): string {
  if (EVENT_WORDS[kind]) return EVENT_WORDS[kind];
  const s = kind.replace(/_/g, " ");
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** A message with its RFC 3339 times in UK words: "already filed by sam at 01-Dec-2026 09:05". */
export function ukTimesIn(message: string): string {
  return message.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)/g, (t) => formatDateTime(t));
}

/** A step the practice server refused, in a sentence: "Filed (document 12): already filed by Sam Smith at 01-Dec-2026 09:05." */
export function refusedStepText(r: { kind: string; document_id: number | null; message: string }): string {
  const what = eventKindLabel(r.kind);
  const doc = r.document_id !== null ? ` (document ${r.document_id})` : "";
  const why = ukTimesIn(r.message).replace(/\.$/, "");
  return `${what}${doc}: ${why}.`;
}
