// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { MedrecView } from "../bindings/MedrecView";
import {
  CATEGORY_WORDS,
  clockTag,
  confirmUnchangedState,
  decisionProblem,
  dueLine,
  dueWords,
  followUpField,
  followUpKind,
  followUpWords,
  hospitalStatus,
  listLine,
  listStaleness,
  medrecDueDay,
  nextUndecidedRow,
  readFollowUpDue,
  riskOf,
  rowModels,
  signedOffListVersion,
  signOffState,
  undecidedUnchanged,
} from "./medrec";
import { med } from "./testdata";
import { renderMedrec } from "../views/medrec";

const pharmacist: CurrentUser = { name: "Pat Pharmacist", role: "pharmacist", permissions: ["work", "sign-off-medicines"], display_name: null, practice_login: false };
const admin: CurrentUser = { name: "Alex Admin", role: "admin", permissions: ["work", "match", "file"], display_name: null, practice_login: false };

function view(over: Partial<MedrecView> = {}): MedrecView {
  return {
    document_id: 1,
    version: 4,
    nhs_number: "9434765919",
    practice_list: {
      nhs_number: "9434765919",
      version: 1,
      imported_at: "2026-12-01T09:00:00Z",
      source: "import",
      source_name: "list.csv",
      lines: [
        { code: null, name: "Ramipril 2.5mg capsules", dosage: "One daily", route: "Oral", type: "repeat" },
        { code: null, name: "Simvastatin 40mg tablets", dosage: "One at night", route: "Oral", type: "repeat" },
      ],
    },
    discharge: [
      med({ name: "Amoxicillin 500mg capsules", change: "added", change_indication: "Chest infection", dosage: "One three times a day" }),
      med({ name: "Ramipril 2.5mg capsules", list: "discontinued", dosage: "One daily" }),
    ],
    rows: [
      { key: "d0", category: "added", discharge_index: 0, practice_index: null, basis: null, flags: [], others: [], detail: null, decision: null },
      { key: "d1-p0", category: "stopped", discharge_index: 1, practice_index: 0, basis: "name", flags: ["reason-missing"], others: [], detail: null, decision: null },
      {
        key: "p1",
        category: "omission",
        discharge_index: null,
        practice_index: 1,
        basis: null,
        flags: [],
        others: [],
        detail: null,
        decision: {
          choice: "query-hospital",
          intent: "unintentional",
          note: "Was simvastatin meant to stop?",
          stamp: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-01T10:00:00Z" },
          follow_up: { text: "Medicines query to the hospital about Simvastatin 40mg tablets: Was simvastatin meant to stop?", due: "2026-12-04", to_user: null },
          follow_up_done: null,
        },
      },
    ],
    due_by: "2026-12-08",
    received_at: "2026-12-01T08:30:00Z",
    list_stale_after_days: 14,
    signed_off: null,
    undecided: 2,
    ...over,
  };
}

describe("medicines reconciliation model", () => {
  it("names every category in plain words", () => {
    expect(CATEGORY_WORDS.omission).toBe("On the practice list, missing from the discharge");
    expect(CATEGORY_WORDS.added).toBe("Started by the hospital");
    expect(Object.values(CATEGORY_WORDS).every((w) => w.length > 0)).toBe(true);
    expect(riskOf("omission")).toBe("high");
    expect(riskOf("unchanged")).toBe("none");
    expect(riskOf("dose-changed")).toBe("change");
  });

  it("says the hospital's status, stopped meaning on the discontinued list", () => {
    expect(hospitalStatus(med({ list: "discontinued" }))).toBe("Stopped");
    expect(hospitalStatus(med({ change: "added" }))).toBe("Added");
    expect(hospitalStatus(med({ change: null, change_raw: "Weird" }))).toBe("Weird (not recognised)");
    expect(hospitalStatus(med())).toBe("No change status given");
  });

  it("builds the table: both sides, flags, decision", () => {
    const rows = rowModels(view());
    expect(rows.map((r) => [r.category, r.hospital?.name ?? null, r.practice?.name ?? null])).toEqual([
      ["added", "Amoxicillin 500mg capsules", null],
      ["stopped", "Ramipril 2.5mg capsules", "Ramipril 2.5mg capsules"],
      ["omission", null, "Simvastatin 40mg tablets"],
    ]);
    expect(rows[0].hospital?.reason).toBe("Chest infection");
    expect(rows[0].hospital?.status).toBe("Added");
    expect(rows[1].flags).toEqual(["Reason missing"]);
    expect(rows[2].risk).toBe("high");
    expect(rows[2].decided).toBe(true);
    expect(rows[2].decision).toMatch(/^Query hospital \(Unintentional\): Was simvastatin meant to stop\? Pat Pharmacist \(Pharmacist\), 01-Dec-2026 10:00$/);
  });

  it("gives the list's version and age, and the due date", () => {
    expect(listLine(view(), new Date(2026, 11, 1, 15))).toBe("practice list version 1, imported 01-Dec-2026, 0 days old");
    expect(listLine(view(), new Date(2026, 11, 2, 15))).toBe("practice list version 1, imported 01-Dec-2026, 1 day old");
    expect(listLine(view({ practice_list: null }), new Date())).toBeNull();
    expect(dueLine(view(), new Date("2026-12-01T12:00:00Z"))).toEqual({ text: "Reconcile by 08-Dec-2026", overdue: false });
    expect(dueLine(view(), new Date("2026-12-08T23:59:00Z"))).toEqual({ text: "Reconcile today (due 08-Dec-2026)", overdue: false });
    expect(dueLine(view(), new Date("2026-12-09T00:00:00Z"))).toEqual({ text: "Overdue: reconciliation was due by 08-Dec-2026", overdue: true });
  });

  it("offers sign-off to pharmacists and GPs only, with the reason while rows are undecided", () => {
    expect(signOffState(view(), admin).show).toBe(false);
    expect(signOffState(view(), pharmacist)).toEqual({ show: true, enabled: false, reason: "2 rows have no decision yet: decide every row before signing off." });
    expect(signOffState(view({ undecided: 0 }), pharmacist)).toEqual({ show: true, enabled: true, reason: null });
    expect(signOffState(view({ signed_off: { by: "P", role: "pharmacist", at: "2026-12-01T10:00:00Z" } }), pharmacist).show).toBe(false);
  });

  it("finds the next undecided row, wrapping", () => {
    expect(nextUndecidedRow(view())).toBe("d0");
    expect(nextUndecidedRow(view(), "d0")).toBe("d1-p0");
    expect(nextUndecidedRow(view(), "d1-p0")).toBe("d0");
  });

  it("refuses a query without a note", () => {
    expect(decisionProblem("", "")).toMatch(/Choose/);
    expect(decisionProblem("query-hospital", " ")).toMatch(/note is required/);
    expect(decisionProblem("query-hospital", "why?")).toBeNull();
    expect(decisionProblem("accept-hospital", "")).toBeNull();
  });
});

describe("the sign-off's new list version", () => {
  it("reads it from the document's events", () => {
    expect(signedOffListVersion([{ kind: "medrec_decided", details: {} }, { kind: "medrec_signed_off", details: { list_version: 2, rows: 7 } }])).toBe(2);
    expect(signedOffListVersion([{ kind: "medrec_decided", details: {} }])).toBeNull();
  });
});

describe("the reconciliation section", () => {
  const handlers = { decide: () => {}, signOff: () => {} };
  it("says plainly when there is no practice list", () => {
    const el = renderMedrec({ view: view({ practice_list: null }), user: pharmacist, today: new Date(2026, 11, 1) }, handlers);
    expect(el.querySelector("[data-testid=medrec-no-list]")?.textContent).toBe("No practice medication list for this patient: import it with handover medlist import");
  });
  it("draws a row per reconciliation row, omissions marked, sign-off disabled with its reason", () => {
    const el = renderMedrec({ view: view(), user: pharmacist, today: new Date(2026, 11, 1) }, handlers);
    expect(el.querySelectorAll("tbody tr").length).toBe(3);
    expect(el.querySelector("[data-category=omission]")?.className).toMatch(/app-medrec__row--omission/);
    const b = el.querySelector<HTMLButtonElement>("#medrec-signoff");
    expect(b?.getAttribute("aria-disabled")).toBe("true");
    expect(el.querySelector("#medrec-signoff-reason")?.textContent).toMatch(/2 rows have no decision yet/);
    expect(renderMedrec({ view: view(), user: admin, today: new Date(2026, 11, 1) }, handlers).querySelector("#medrec-signoff")).toBeNull();
  });
});

describe("the 7-day clock (UK calendar days)", () => {
  it("is due on the UK day of receipt plus 7, as the core's due_by", () => {
    expect(medrecDueDay("2026-12-01T08:30:00Z")).toBe("2026-12-08");
    // Late in a summer evening in UTC is already the next day in the UK.
    expect(medrecDueDay("2026-07-01T23:30:00Z")).toBe("2026-07-09");
    expect(medrecDueDay("garbage")).toBeNull();
  });
  it("counts across the spring clock change (29-Mar-2026)", () => {
    // 23:30 GMT on Saturday 28 March: received on the 28th.
    expect(medrecDueDay("2026-03-28T23:30:00Z")).toBe("2026-04-04");
    // 00:30 BST on Monday 30 March (23:30 UTC on the 29th): received on the 30th.
    expect(medrecDueDay("2026-03-29T23:30:00Z")).toBe("2026-04-06");
    // Received during the missing hour's day itself.
    expect(medrecDueDay("2026-03-29T00:30:00Z")).toBe("2026-04-05");
    // UK today turns at 23:00 UTC in summer.
    expect(clockTag("2026-03-29T23:30:00Z", new Date("2026-04-05T22:59:00Z"))?.state).toBe("due");
    expect(clockTag("2026-03-29T23:30:00Z", new Date("2026-04-05T23:00:00Z"))?.state).toBe("today");
    expect(clockTag("2026-03-29T23:30:00Z", new Date("2026-04-06T23:00:00Z"))?.state).toBe("overdue");
  });
  it("counts across the autumn clock change (25-Oct-2026)", () => {
    // 00:30 BST on Sunday 25 October (23:30 UTC on the 24th): received on the 25th.
    expect(medrecDueDay("2026-10-24T23:30:00Z")).toBe("2026-11-01");
    // 23:30 GMT on the 25th: still the 25th.
    expect(medrecDueDay("2026-10-25T23:30:00Z")).toBe("2026-11-01");
    // In winter the UK day turns at midnight UTC.
    expect(clockTag("2026-10-25T23:30:00Z", new Date("2026-10-31T23:59:00Z"))?.state).toBe("due");
    expect(clockTag("2026-10-25T23:30:00Z", new Date("2026-11-01T00:00:00Z"))?.state).toBe("today");
    expect(clockTag("2026-10-25T23:30:00Z", new Date("2026-11-02T00:00:00Z"))?.state).toBe("overdue");
  });
  it("words the inbox tag: due date, due today, overdue", () => {
    const received = "2026-12-02T09:00:00Z";
    expect(clockTag(received, new Date("2026-12-02T12:00:00Z"))).toEqual({
      text: "Meds rec due 09-Dec",
      state: "due",
      due: "2026-12-09",
      title: "Medicines reconciliation due by 09-Dec-2026 (7 days from receipt)",
    });
    expect(clockTag(received, new Date("2026-12-09T08:00:00Z"))?.text).toBe("Meds rec due today");
    expect(clockTag(received, new Date("2026-12-10T08:00:00Z"))).toMatchObject({ text: "Meds rec overdue", state: "overdue", title: "Medicines reconciliation overdue: it was due by 09-Dec-2026 (7 days from receipt)" });
    expect(clockTag("nonsense", new Date())).toBeNull();
  });
  it("words a due date for the Tasks view", () => {
    expect(dueWords("2026-12-09", new Date("2026-12-02T12:00:00Z"))).toEqual({ text: "Due 09-Dec-2026", state: "due" });
    expect(dueWords("2026-12-09", new Date("2026-12-09T12:00:00Z"))).toEqual({ text: "Due today", state: "today" });
    expect(dueWords("2026-12-09", new Date("2026-12-10T00:00:00Z"))).toEqual({ text: "Overdue (due 09-Dec-2026)", state: "overdue" });
  });
});

describe("the practice list's age", () => {
  const list = (imported_at: string) => ({ ...view().practice_list!, imported_at });
  it("warns when the list is older than the threshold, in UK days", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    expect(listStaleness(view({ practice_list: list("2026-11-18T10:00:00Z") }), now)).toEqual({ stale: false, days: 14, asOf: "18-Nov-2026", text: null });
    expect(listStaleness(view({ practice_list: list("2026-11-02T09:00:00Z") }), now)).toEqual({
      stale: true,
      days: 30,
      asOf: "02-Nov-2026",
      text: "The practice list is 30 days old (as of 02-Nov-2026): check the clinical record for changes since then before signing off.",
    });
    expect(listStaleness(view({ practice_list: list("2026-11-17T10:00:00Z") }), now).stale).toBe(true);
  });
  it("follows the practice's threshold, and says nothing once signed off or without a list", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    const old = list("2026-11-25T10:00:00Z");
    expect(listStaleness(view({ practice_list: old, list_stale_after_days: 5 }), now).text).toMatch(/^The practice list is 7 days old \(as of 25-Nov-2026\)/);
    expect(listStaleness(view({ practice_list: old, list_stale_after_days: 7 }), now).stale).toBe(false);
    expect(listStaleness(view({ practice_list: list("2026-01-01T10:00:00Z"), signed_off: { by: "P", role: "pharmacist", at: "2026-12-01T10:00:00Z" } }), now).stale).toBe(false);
    expect(listStaleness(view({ practice_list: null }), now)).toEqual({ stale: false, days: null, asOf: null, text: null });
  });
  it("counts a list imported late on a summer evening from the next UK day", () => {
    expect(listStaleness(view({ practice_list: list("2026-06-30T23:30:00Z"), list_stale_after_days: 0 }), new Date("2026-07-01T12:00:00Z")).days).toBe(0);
  });
});

describe("confirming all unchanged rows", () => {
  const unchanged = (key: string, decided = false) => ({
    key,
    category: "unchanged" as const,
    discharge_index: 0,
    practice_index: 0,
    basis: "name" as const,
    flags: [],
    others: [],
    detail: null,
    decision: decided ? { choice: "keep-practice" as const, intent: null, note: "confirmed unchanged", stamp: { by: "P", role: null, at: "2026-12-01T10:00:00Z" }, follow_up: null, follow_up_done: null } : null,
  });
  it("counts the undecided unchanged rows and offers them to someone who may decide", () => {
    const v = view({ rows: [...view().rows, unchanged("u1"), unchanged("u2"), unchanged("u3", true)] });
    expect(undecidedUnchanged(v)).toBe(2);
    expect(confirmUnchangedState(v, pharmacist)).toEqual({ show: true, count: 2 });
    expect(confirmUnchangedState(v, null).show).toBe(false);
    expect(confirmUnchangedState(v, { ...pharmacist, permissions: [], display_name: null, practice_login: false }).show).toBe(false);
    expect(confirmUnchangedState(view(), pharmacist)).toEqual({ show: false, count: 0 });
    expect(confirmUnchangedState({ ...v, signed_off: { by: "P", role: "pharmacist", at: "2026-12-01T10:00:00Z" } }, pharmacist).show).toBe(false);
  });
});

describe("follow-ups", () => {
  const now = new Date("2026-12-02T10:00:00Z");
  it("are opened by a query to the hospital, and by an on-hold medicine unless not applicable", () => {
    expect(followUpKind("query-hospital", "added")).toBe("query");
    expect(followUpKind("query-hospital", "on-hold")).toBe("query");
    expect(followUpKind("keep-practice", "on-hold")).toBe("restart");
    expect(followUpKind("accept-hospital", "on-hold")).toBe("restart");
    expect(followUpKind("not-applicable", "on-hold")).toBeNull();
    expect(followUpKind("", "on-hold")).toBeNull();
    expect(followUpKind("accept-hospital", "dose-changed")).toBeNull();
  });
  it("show the date field with the default: today + 3 for a query, + 14 for a restart review", () => {
    expect(followUpField("query-hospital", "omission", now)).toEqual({ show: true, due: "2026-12-05", hint: "A task will be created for you to chase the hospital's answer by this date." });
    expect(followUpField("keep-practice", "on-hold", now)).toEqual({ show: true, due: "2026-12-16", hint: "A task will be created for you to review whether to restart this medicine by this date." });
    expect(followUpField("not-applicable", "on-hold", now)).toEqual({ show: false, due: null, hint: null });
    expect(followUpField("accept-hospital", "added", now).show).toBe(false);
    // Today is the UK day: 23:30 UTC on 1 July is 2 July in the UK.
    expect(followUpField("query-hospital", "added", new Date("2026-07-01T23:30:00Z")).due).toBe("2026-07-05");
  });
  it("keep the day already recorded for the same choice, unless it has passed", () => {
    const was = { choice: "query-hospital" as const, follow_up: { text: "x", due: "2026-12-20", to_user: null } };
    expect(followUpField("query-hospital", "added", now, was).due).toBe("2026-12-20");
    expect(followUpField("keep-practice", "on-hold", now, was).due).toBe("2026-12-16");
    expect(followUpField("query-hospital", "added", now, { ...was, follow_up: { ...was.follow_up, due: "2026-12-01" } }).due).toBe("2026-12-05");
  });
  it("read the date typed, refusing the past", () => {
    expect(readFollowUpDue("05-Dec-2026", now)).toEqual({ ok: true, due: "2026-12-05" });
    expect(readFollowUpDue("2026-12-02", now)).toEqual({ ok: true, due: "2026-12-02" });
    expect(readFollowUpDue("  ", now)).toEqual({ ok: true, due: null });
    expect(readFollowUpDue("01-Dec-2026", now)).toEqual({ ok: false, error: "The follow-up date cannot be in the past (today is 02-Dec-2026)." });
    expect(readFollowUpDue("31-Feb-2027", now).ok).toBe(false);
  });
  it("say what the follow-up is, when it is due and whether it is done", () => {
    const d = view().rows[2].decision!;
    expect(followUpWords(d)).toEqual({ text: "Follow-up: Medicines query to the hospital about Simvastatin 40mg tablets: Was simvastatin meant to stop? — due 04-Dec-2026 (open)", open: true, due: "2026-12-04" });
    expect(followUpWords({ ...d, follow_up_done: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-03T14:05:00Z" } })?.text).toMatch(/— due 04-Dec-2026 \(done by Pat Pharmacist, 03-Dec-2026 14:05\)$/);
    expect(followUpWords({ ...d, follow_up: null })).toBeNull();
  });
});

describe("the reconciliation section's new parts", () => {
  const today = new Date("2026-12-02T10:00:00Z");
  const noop = { decide: () => {}, signOff: () => {} };
  function withRows(extra: MedrecView["rows"], over: Partial<MedrecView> = {}): MedrecView {
    const v = view(over);
    return {
      ...v,
      discharge: [...v.discharge, med({ name: "Warfarin 1mg tablets", change: "on-hold", change_details: "Restart when INR below 3" }), med({ name: "Bisoprolol 5mg tablets", change: "continued" })],
      practice_list: {
        ...v.practice_list!,
        lines: [
          ...v.practice_list!.lines,
          { code: null, name: "Warfarin 1mg tablets", dosage: "As directed", route: "Oral", type: "repeat" },
          { code: null, name: "Bisoprolol 5mg tablets", dosage: "One daily", route: "Oral", type: "repeat" },
        ],
      },
      rows: [...v.rows, ...extra],
      undecided: v.undecided + extra.filter((r) => !r.decision).length,
    };
  }
  const onHold = { key: "d2-p2", category: "on-hold" as const, discharge_index: 2, practice_index: 2, basis: "name" as const, flags: [], others: [], detail: null, decision: null };
  const unchanged = { key: "d3-p3", category: "unchanged" as const, discharge_index: 3, practice_index: 3, basis: "name" as const, flags: [], others: [], detail: null, decision: null };
  const rowEl = (el: HTMLElement, key: string) => [...el.querySelectorAll<HTMLElement>("[data-medrec-row]")].find((r) => r.dataset.medrecRow === key)!;

  it("warns when the practice list is out of date", () => {
    const old = { ...view().practice_list!, imported_at: "2026-11-02T09:00:00Z" };
    const el = renderMedrec({ view: view({ practice_list: old }), user: pharmacist, today }, noop);
    expect(el.querySelector("[data-testid=medrec-list-stale]")?.textContent).toBe(
      "Practice list out of date: The practice list is 30 days old (as of 02-Nov-2026): check the clinical record for changes since then before signing off.",
    );
    expect(renderMedrec({ view: view(), user: pharmacist, today }, noop).querySelector("[data-testid=medrec-list-stale]")).toBeNull();
  });

  it("offers Confirm all unchanged with the count, and calls it", () => {
    let confirmed = 0;
    const el = renderMedrec({ view: withRows([unchanged]), user: pharmacist, today }, { ...noop, confirmUnchanged: () => confirmed++ });
    const b = el.querySelector<HTMLButtonElement>("[data-testid=medrec-confirm-unchanged]")!;
    expect(b.textContent).toBe("Confirm all unchanged (1)");
    expect(b.tagName).toBe("BUTTON");
    expect(el.querySelector(`#${b.getAttribute("aria-describedby")}`)?.textContent).toMatch(/Keep practice version/);
    b.click();
    expect(confirmed).toBe(1);
    expect(renderMedrec({ view: withRows([unchanged]), user: null, today }, noop).querySelector("[data-testid=medrec-confirm-unchanged]")).toBeNull();
    expect(renderMedrec({ view: view(), user: pharmacist, today }, noop).querySelector("[data-testid=medrec-confirm-unchanged]")).toBeNull();
  });

  it("shows the follow-up date for a query, prefilled with today + 3, and sends it", () => {
    const sent: unknown[][] = [];
    const el = renderMedrec({ view: view(), user: pharmacist, today }, { ...noop, decide: (...a) => sent.push(a) });
    const row = rowEl(el, "d0");
    const choice = row.querySelector<HTMLSelectElement>("[data-testid=medrec-choice]")!;
    const due = row.querySelector<HTMLInputElement>("[data-testid=medrec-follow-up-due]")!;
    const field = due.closest<HTMLElement>(".app-medrec__field")!;
    expect(field.hidden).toBe(true);
    expect(row.querySelector(`label[for="${due.id}"]`)?.textContent).toBe("Follow-up due");
    choice.value = "query-hospital";
    choice.dispatchEvent(new Event("change"));
    expect(field.hidden).toBe(false);
    expect(due.value).toBe("2026-12-05");
    expect(due.type).toBe("date");
    expect(due.min).toBe("2026-12-02");
    expect(row.querySelector(`#${due.id}-hint`)?.textContent).toMatch(/A task will be created for you/);
    // The day in words too (a date input shows the computer's locale, 05/12 or 12/05).
    expect(row.querySelector("[data-testid=medrec-follow-up-words]")?.textContent).toBe("Saturday 05-Dec-2026");
    expect(due.getAttribute("aria-describedby")?.split(" ")).toContain(`${due.id}-words`);
    row.querySelector<HTMLInputElement>("[data-testid=medrec-note]")!.value = "Why was amoxicillin started?";
    row.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(sent).toEqual([["d0", "query-hospital", null, "Why was amoxicillin started?", "2026-12-05"]]);
    // Another decision hides it, and sends no date.
    choice.value = "accept-hospital";
    choice.dispatchEvent(new Event("change"));
    expect(field.hidden).toBe(true);
    row.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(sent[1]).toEqual(["d0", "accept-hospital", null, "Why was amoxicillin started?", null]);
  });

  it("refuses a follow-up date in the past before asking the core", () => {
    const sent: unknown[][] = [];
    const el = renderMedrec({ view: view(), user: pharmacist, today }, { ...noop, decide: (...a) => sent.push(a) });
    const row = rowEl(el, "d0");
    const choice = row.querySelector<HTMLSelectElement>("[data-testid=medrec-choice]")!;
    choice.value = "query-hospital";
    choice.dispatchEvent(new Event("change"));
    row.querySelector<HTMLInputElement>("[data-testid=medrec-note]")!.value = "Why?";
    const due = row.querySelector<HTMLInputElement>("[data-testid=medrec-follow-up-due]")!;
    due.value = "2026-12-01";
    row.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(sent).toEqual([]);
    expect(row.querySelector(`#${due.id}-error`)?.textContent).toBe("The follow-up date cannot be in the past (today is 02-Dec-2026).");
  });

  it("shows the restart review's date for an on-hold medicine unless not applicable", () => {
    const el = renderMedrec({ view: withRows([onHold]), user: pharmacist, today }, noop);
    const row = rowEl(el, "d2-p2");
    const choice = row.querySelector<HTMLSelectElement>("[data-testid=medrec-choice]")!;
    const due = row.querySelector<HTMLInputElement>("[data-testid=medrec-follow-up-due]")!;
    choice.value = "keep-practice";
    choice.dispatchEvent(new Event("change"));
    expect(due.closest<HTMLElement>(".app-medrec__field")!.hidden).toBe(false);
    expect(due.value).toBe("2026-12-16");
    // A date the person chose stays when the decision changes.
    due.value = "2026-12-20";
    due.dispatchEvent(new Event("change"));
    expect(row.querySelector("[data-testid=medrec-follow-up-words]")?.textContent).toBe("Sunday 20-Dec-2026");
    choice.value = "query-hospital";
    choice.dispatchEvent(new Event("change"));
    expect(due.value).toBe("2026-12-20");
    choice.value = "not-applicable";
    choice.dispatchEvent(new Event("change"));
    expect(due.closest<HTMLElement>(".app-medrec__field")!.hidden).toBe(true);
  });

  it("shows a decided row's follow-up, open or done", () => {
    const el = renderMedrec({ view: view(), user: pharmacist, today }, noop);
    const f = rowEl(el, "p1").querySelector<HTMLElement>("[data-testid=medrec-follow-up]")!;
    expect(f.textContent).toBe("Follow-up: Medicines query to the hospital about Simvastatin 40mg tablets: Was simvastatin meant to stop? — due 04-Dec-2026 (open)");
    expect(f.tabIndex).toBe(-1);
    // Overdue while open: marked.
    const late = renderMedrec({ view: view(), user: pharmacist, today: new Date("2026-12-05T10:00:00Z") }, noop);
    expect(rowEl(late, "p1").querySelector(".app-medrec__followup-overdue")?.textContent).toBe("Overdue");
    const v = view();
    v.rows[2] = { ...v.rows[2], decision: { ...v.rows[2].decision!, follow_up_done: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-03T14:05:00Z" } } };
    const done = renderMedrec({ view: v, user: pharmacist, today: new Date("2026-12-05T10:00:00Z") }, noop);
    expect(rowEl(done, "p1").querySelector("[data-testid=medrec-follow-up]")?.textContent).toMatch(/\(done by Pat Pharmacist, 03-Dec-2026 14:05\)$/);
    expect(rowEl(done, "p1").querySelector(".app-medrec__followup-overdue")).toBeNull();
  });

  it("labels each cell with its column (for the stacked layout of a narrow pane)", () => {
    const el = renderMedrec({ view: view(), user: pharmacist, today }, noop);
    const cells = [...rowEl(el, "d0").querySelectorAll("td")].map((td) => td.getAttribute("data-label"));
    expect(cells).toEqual(["Hospital's wording", "Practice's wording", "What changed", "Decision"]);
  });

  it("offers Print summary always, Export only once signed off, with the export's result", () => {
    let asked = "";
    const handlers = { ...noop, summary: () => (asked += "summary "), export: () => (asked += "export ") };
    const open = renderMedrec({ view: view(), user: pharmacist, today }, handlers);
    expect(open.querySelector("[data-testid=medrec-summary]")?.textContent).toBe("Print summary");
    expect(open.querySelector("[data-testid=medrec-export]")).toBeNull();
    const signed = renderMedrec(
      { view: view({ signed_off: { by: "Pat Pharmacist", role: "pharmacist", at: "2026-12-02T09:00:00Z" }, undecided: 0 }), user: pharmacist, today, status: { text: "Saved the reconciled list (FHIR STU3 Bundle, JSON): /home/p/Downloads/x.json", error: false } },
      handlers,
    );
    signed.querySelector<HTMLButtonElement>("[data-testid=medrec-summary]")!.click();
    signed.querySelector<HTMLButtonElement>("[data-testid=medrec-export]")!.click();
    expect(asked).toBe("summary export ");
    expect(signed.querySelector("[data-testid=medrec-export]")?.textContent).toBe("Export reconciled list (FHIR)");
    const result = signed.querySelector("[data-testid=medrec-export-result]")!;
    expect(result.getAttribute("role")).toBe("status");
    expect(result.textContent).toMatch(/Downloads\/x\.json$/);
    // The buttons come after the sign-off in the tab order.
    const order = [...signed.querySelectorAll("[data-testid]")].map((e) => e.getAttribute("data-testid"));
    expect(order.indexOf("medrec-signed-off")).toBeLessThan(order.indexOf("medrec-summary"));
  });
});
