import { describe, expect, it } from "vitest";
import type { ActionItem } from "../bindings/ActionItem";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { DecisionRecord } from "../bindings/DecisionRecord";
import type { WorkState } from "../bindings/WorkState";
import {
  assigneeLabel,
  businessResponseText,
  decisionText,
  defaultDue,
  dueText,
  eventKindLabel,
  fileBlockers,
  isoDay,
  namesOf,
  nextUndecided,
  personLabel,
  refusalText,
  refusedStepText,
  registerNotice,
  taskQuery,
  ukTimesIn,
  undecided,
  userName,
} from "./workflow";

const admin: CurrentUser = { name: "Alex Admin", role: "admin", permissions: ["work", "match", "file", "reject", "reassign"], display_name: null, practice_login: false };
const gp: CurrentUser = { name: "Gita GP", role: "gp", permissions: ["work", "match", "file", "reject", "reassign", "sign-off", "verify-audit"], display_name: null, practice_login: false };

function state(over: Partial<WorkState> = {}): WorkState {
  return {
    legacy: false, match_state: "matched", matched_nhs_number: "9434765919", registration: "registered", match_reason: null, matched: null, gp_review: [], gp_reviewed: null,
    needs_action: null, filed: null, rejected: null, reject_reason: null, superseded_by: null, assigned_user: null, assigned_role: null, decisions: {}, business_response: null, notes: 0, last_viewed: null,
    medrec: {}, medrec_list_version: null, medrec_signed_off: null, medrec_signed_off_version: null,
    ...over,
  };
}

function action(index: number, over: Partial<ActionItem> = {}): ActionItem {
  return { index, text: `Action ${index}`, heading: null, responsible: "GP", status: "Requested", for_practice: true, section: 0, needs_decision: true, decision: null, ...over };
}

const done: DecisionRecord = { text: "Action 0", decision: "done", note: null, stamp: { by: "Alex Admin", role: "admin", at: "2026-12-01T10:12:00Z" }, completed: null };

describe("what the core would refuse to file", () => {
  it("nothing when matched, every action decided and no GP review is due", () => {
    expect(fileBlockers(state(), [action(0, { decision: done }), action(1, { needs_decision: false })], admin)).toEqual([]);
  });

  it("undecided actions, counted", () => {
    const b = fileBlockers(state(), [action(0), action(1), action(2, { decision: done })], admin);
    expect(b.map((x) => x.code)).toEqual(["actions_undecided"]);
    expect(b[0].text).toMatch(/^2 requested actions have no decision yet/);
  });

  it("a GP review for anyone but a GP; a GP may file", () => {
    const s = state({ gp_review: [{ topic: "mental-health", detail: "Mental health discharge" }] });
    expect(fileBlockers(s, [], admin).map((x) => x.code)).toEqual(["gp_review_required"]);
    expect(fileBlockers(s, [], gp)).toEqual([]);
    expect(fileBlockers({ ...s, gp_reviewed: { by: "Gita GP", role: "gp", at: "2026-12-01T10:00:00Z" } }, [], admin)).toEqual([]);
  });

  it("not matched (awaiting registration and no register at all do not stop filing)", () => {
    expect(fileBlockers(state({ match_state: "needs-decision" }), [], admin).map((x) => x.code)).toEqual(["not_matched"]);
    expect(fileBlockers(state({ match_state: "not-on-register" }), [], admin).map((x) => x.code)).toEqual(["not_matched"]);
    expect(fileBlockers(state({ match_state: "awaiting-registration" }), [], admin)).toEqual([]);
    expect(fileBlockers(state({ match_state: "unchecked" }), [], admin)).toEqual([]);
  });

  it("already filed, with who and when; nobody chosen", () => {
    const b = fileBlockers(state({ filed: { by: "Sam Smith", role: "admin", at: "2026-12-01T09:05:00Z" } }), [], admin);
    expect(b[0]).toEqual({ code: "already_filed", text: "Already filed by Sam Smith at 01-Dec-2026 09:05." });
    expect(fileBlockers(state(), [], null).map((x) => x.code)).toEqual(["no_user"]);
  });
});

describe("undecided actions", () => {
  const actions = [action(0, { decision: done }), action(1), action(2, { needs_decision: false }), action(3)];
  it("are the actions for the practice without a decision, in order", () => {
    expect(undecided(actions).map((a) => a.index)).toEqual([1, 3]);
  });
  it("next after the one focused, wrapping round; null when all are decided", () => {
    expect(nextUndecided(actions)?.index).toBe(1);
    expect(nextUndecided(actions, 1)?.index).toBe(3);
    expect(nextUndecided(actions, 3)?.index).toBe(1);
    expect(nextUndecided([action(0, { decision: done })])).toBeNull();
  });
});

describe("words", () => {
  it("decisions say what, who and when", () => {
    expect(decisionText(done)).toBe("Done: Alex Admin (Admin), 01-Dec-2026 10:12");
    expect(decisionText({ ...done, decision: "delegated", to_user: "Casey Coordinator", to_role: null, due: "2026-12-08", note: "Book bloods" })).toBe(
      "Delegated to Casey Coordinator, due 08-Dec-2026: Alex Admin (Admin), 01-Dec-2026 10:12. Book bloods",
    );
    expect(decisionText({ ...done, decision: "delegated", to_user: null, to_role: "pharmacist", due: "2026-12-08", note: null, completed: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-02T09:00:00Z" } })).toBe(
      "Delegated to Pharmacist lane, due 08-Dec-2026: Alex Admin (Admin), 01-Dec-2026 10:12; done by Pat Pharmacist (Pharmacist), 02-Dec-2026 09:00",
    );
    expect(decisionText({ ...done, decision: "not-applicable", reason: "Hospital to arrange" })).toBe("Not applicable (Hospital to arrange): Alex Admin (Admin), 01-Dec-2026 10:12");
  });

  it("assignees, refusals and event kinds", () => {
    expect(assigneeLabel("role:gp")).toBe("GP lane");
    expect(assigneeLabel("Sam Smith")).toBe("Sam Smith");
    expect(assigneeLabel(null)).toBeNull();
    expect(refusalText("already_filed", "already filed by Sam at 10:00")).toBe("Already filed by Sam at 10:00");
    expect(refusalText("no_user", "x")).toMatch(/^Choose who is working/);
    expect(eventKindLabel("action_decided")).toBe("Action decided");
    expect(eventKindLabel("medrec_follow_up_done")).toBe("Medicines reconciliation: follow-up done");
    expect(eventKindLabel("medrec_exported")).toBe("Medicines reconciliation exported (printed or saved)");
    expect(eventKindLabel("medrec_signed_off")).toBe("Medicines reconciliation signed off");
    expect(businessResponseText("30001")).toBe("patient known and registered (30001)");
    expect(businessResponseText("39999")).toBe("39999");
  });
});

describe("dates and tasks", () => {
  const today = new Date(2026, 11, 1, 15, 0);
  it("due a week from today by default, as local calendar days", () => {
    expect(isoDay(today)).toBe("2026-12-01");
    expect(defaultDue(today)).toBe("2026-12-08");
    expect(isoDay(new Date(2026, 11, 28), 7)).toBe("2027-01-04");
  });

  it("say overdue, due today, or the date", () => {
    expect(dueText({ due_date: "2026-11-30", status: "open" }, today)).toEqual({ text: "Overdue (due 30-Nov-2026)", overdue: true });
    expect(dueText({ due_date: "2026-12-01", status: "open" }, today)).toEqual({ text: "Due today", overdue: false });
    expect(dueText({ due_date: "2026-12-05", status: "open" }, today)).toEqual({ text: "Due 05-Dec-2026", overdue: false });
    expect(dueText({ due_date: "2026-11-30", status: "done" }, today).overdue).toBe(false);
  });

  it("task lists ask for open tasks: mine, my role's, overdue (before today), this week (up to a week ahead)", () => {
    expect(taskQuery("mine", admin, today)).toMatchObject({ user: "Alex Admin", role: null, include_closed: false });
    expect(taskQuery("role", admin, today)).toMatchObject({ user: null, role: "admin" });
    expect(taskQuery("overdue", admin, today)).toMatchObject({ due_before: "2026-12-01", due_by: null });
    expect(taskQuery("week", admin, today)).toMatchObject({ due_by: "2026-12-08", due_before: null });
  });
});

describe("the register banner", () => {
  const now = new Date("2026-12-13T12:00:00Z");
  it("is not shown for a fresh register", () => {
    expect(registerNotice({ patients: 10, imported_at: "2026-12-12T09:00:00Z", stale: false, max_age_days: 7 }, now)).toBeNull();
  });
  it("says how old a stale register is, or that there is none", () => {
    expect(registerNotice({ patients: 10, imported_at: "2026-12-01T09:00:00Z", stale: true, max_age_days: 7 }, now)?.title).toBe("Practice register imported 12 days ago:");
    expect(registerNotice({ patients: 10, imported_at: "2026-12-01T09:00:00Z", stale: true, max_age_days: 7 }, now)?.text).toMatch(/^matching may be out of date/);
    expect(registerNotice({ patients: 0, imported_at: null, stale: true, max_age_days: 7 }, now)).toEqual({
      title: "No practice register imported:",
      text: "documents are not matched to registered patients. Import it with handover register import FILE.",
    });
  });
});

describe("a step the practice server refused", () => {
  it("says what and why, with the time in UK words", () => {
    expect(refusedStepText({ kind: "filed", document_id: 12, message: "already filed by sam_smith at 2026-12-01T09:05:33.120Z" })).toBe(
      "Filed (document 12): already filed by sam_smith at 01-Dec-2026 09:05.",
    );
    expect(ukTimesIn("at 2026-07-01T09:05:00+00:00 and 2026-07-01T10:00Z")).toBe("at 01-Jul-2026 10:05 and 01-Jul-2026 11:00");
  });
});

describe("people by the names the practice gives them", () => {
  const users = [
    { name: "gita_gp", display_name: "Dr Gita Patel" },
    { name: "alex_admin", display_name: null },
  ];
  const names = namesOf(users);
  it("a login with a display name is shown by it; anyone else as recorded", () => {
    expect(names("gita_gp")).toBe("Dr Gita Patel");
    expect(names("GITA_GP")).toBe("Dr Gita Patel");
    expect(names("alex_admin")).toBe("alex_admin");
    expect(names("someone_gone")).toBe("someone_gone");
    expect(namesOf([])("gita_gp")).toBe("gita_gp");
  });
  it("in stamps, assignees and decisions", () => {
    expect(personLabel("gita_gp", "gp", names)).toBe("Dr Gita Patel (GP)");
    expect(personLabel("gita_gp", "gp")).toBe("gita_gp (GP)");
    expect(assigneeLabel("gita_gp", names)).toBe("Dr Gita Patel");
    expect(assigneeLabel("role:gp", names)).toBe("GP lane");
    const by = { ...done, stamp: { ...done.stamp, by: "gita_gp", role: "gp" as const } };
    expect(decisionText(by, names)).toBe("Done: Dr Gita Patel (GP), 01-Dec-2026 10:12");
    expect(decisionText({ ...done, decision: "delegated", to_user: "gita_gp", to_role: null, due: "2026-12-08", note: null, completed: { by: "gita_gp", role: "gp", at: "2026-12-02T09:00:00Z" } }, names)).toBe(
      "Delegated to Dr Gita Patel, due 08-Dec-2026: Alex Admin (Admin), 01-Dec-2026 10:12; done by Dr Gita Patel (GP), 02-Dec-2026 09:00",
    );
  });
  it("the person working by their display name, else their name", () => {
    expect(userName({ name: "gita_gp", display_name: "Dr Gita Patel" })).toBe("Dr Gita Patel");
    expect(userName({ name: "Alex Admin", display_name: null })).toBe("Alex Admin");
  });
});
