import { describe, expect, it, vi } from "vitest";
import type { ActionItem } from "../bindings/ActionItem";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { User } from "../bindings/User";
import type { WorkflowView } from "../bindings/WorkflowView";
import type { WorkState } from "../bindings/WorkState";
import type { WorkStep } from "../bindings/WorkStep";
import { answerSent, renderShared, renderWorkPanel, safeNoteHtml } from "./workflow";

const admin: CurrentUser = { name: "Alex Admin", role: "admin", permissions: ["work", "match", "file", "reject", "reassign"], display_name: null, practice_login: false };
const coordinator: CurrentUser = { name: "Casey Coordinator", role: "care-coordinator", permissions: ["work", "file", "reassign"], display_name: null, practice_login: false };
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
  return { index, text: `Please check U&E in ${index + 1} weeks`, heading: null, responsible: "GP", status: "Requested", for_practice: true, section: 0, needs_decision: true, decision: null, ...over };
}

const patient = { nhs_number: "9434765919", family_name: "Smith", given_name: "Sam", birth_date: "1957-01-01", gender: "female", postcode: "LS1 1AA", registration: "registered" as const, deceased_date: null };

function work(over: Partial<WorkflowView> = {}, s: Partial<WorkState> = {}): WorkflowView {
  return { document_id: 3, version: 4, state: state(s), actions: [action(0), action(1, { needs_decision: false, for_practice: false, text: "Patient to rest" })], tasks: [], notes: [], register_patient: patient, candidates: [], events: [], pending: [], answer: null, ...over };
}

function panel(w: WorkflowView, user: CurrentUser | null, step = vi.fn<(s: WorkStep, f?: string) => void>()) {
  const el = renderWorkPanel({ work: w, user, users: [{ name: "Casey Coordinator", role: "care-coordinator", added_at: "", display_name: null, removed_at: null }], today: new Date(2026, 11, 1) }, { step });
  document.body.replaceChildren(el);
  return { el, step };
}

describe("the action panel", () => {
  it("shows the matched patient from the register", () => {
    const { el } = panel(work(), admin);
    const match = el.querySelector("[data-testid=match-banner]")!;
    expect(match.getAttribute("data-match")).toBe("matched");
    expect(match.textContent).toContain("SMITH, Sam");
    expect(match.textContent).toContain("943 476 5919");
    expect(match.textContent).toContain("Registered");
    expect(match.querySelector("[data-testid=undo-match]")).not.toBeNull();
  });

  it("offers candidates to match with a reason, awaiting registration and reject when not matched; the reason is required", () => {
    const { el, step } = panel(work({ candidates: [patient], register_patient: null }, { match_state: "needs-decision", match_reason: "birth date differs" }), admin);
    expect(el.querySelector("[data-testid=match-banner]")!.textContent).toContain("Why: birth date differs");
    // Where the register's patient differs from the document's is said beside it.
    const again = renderWorkPanel(
      { work: work({ candidates: [patient], register_patient: null }, { match_state: "needs-decision" }), user: admin, users: [], today: new Date(2026, 11, 1), patient: { family: "Smith", given: ["Sam"], birth_date: "1958-01-01" } },
      { step },
    );
    expect(again.querySelector("[data-testid=differs]")!.textContent).toBe("Differs: born 01-Jan-1958 in the document");
    (el.querySelector("[data-testid=match-candidate]") as HTMLButtonElement).click();
    const form = el.querySelector("[data-testid=match-form]") as HTMLFormElement;
    expect(document.activeElement?.tagName).toBe("INPUT");
    form.requestSubmit();
    expect(step).not.toHaveBeenCalled();
    expect(form.querySelector(".nhsuk-error-message:not([hidden])")).not.toBeNull();
    (form.querySelector("input") as HTMLInputElement).value = "Confirmed by phone";
    form.requestSubmit();
    expect(step).toHaveBeenCalledWith({ step: "match", nhs_number: "9434765919", reason: "Confirmed by phone" }, "match");
    expect(el.querySelector("[data-testid=awaiting-registration]")).not.toBeNull();
    expect(el.querySelector("[data-testid=reject]")).not.toBeNull();
  });

  it("hides what the role may not do (a care coordinator may not match or reject)", () => {
    const { el } = panel(work({ candidates: [patient], register_patient: null }, { match_state: "needs-decision" }), coordinator);
    expect(el.querySelector("[data-testid=match-candidate]")).toBeNull();
    expect(el.querySelector("[data-testid=reject]")).toBeNull();
    expect(el.querySelector("[data-testid=assign]")).not.toBeNull();
  });

  it("lists every action word for word: undecided ones with Done, Delegate and Not applicable; information ones marked", () => {
    const { el } = panel(work(), admin);
    const items = [...el.querySelectorAll("[data-testid=requested-action]")];
    expect(items.map((i) => i.querySelector(".app-work__action-text")!.textContent)).toEqual(["Please check U&E in 1 weeks", "Patient to rest"]);
    expect([...items[0].querySelectorAll("[data-decide]")].map((b) => b.getAttribute("data-decide"))).toEqual(["done", "delegate", "not-applicable"]);
    expect(items[0].getAttribute("data-undecided")).toBe("true");
    expect(items[1].textContent).toContain("Information");
    expect(items[1].querySelector("[data-decide]")).toBeNull();
  });

  it("delegates to a person with a due date a week ahead by default", () => {
    const { el, step } = panel(work(), admin);
    (el.querySelector("[data-decide=delegate]") as HTMLButtonElement).click();
    const form = el.querySelector("[data-testid=delegate-form]") as HTMLFormElement;
    const due = form.querySelector("input[id^=delegate-due]") as HTMLInputElement;
    expect(due.value).toBe("08-Dec-2026");
    form.requestSubmit();
    expect(step).not.toHaveBeenCalled();
    (form.querySelector("select") as HTMLSelectElement).value = "user:Casey Coordinator";
    form.requestSubmit();
    expect(step).toHaveBeenCalledWith({ step: "decide", index: 0, decision: { decision: "delegated", to_user: "Casey Coordinator", to_role: null, due: "2026-12-08", note: null } }, "action-0");
    // A day typed UK-style, day first; an impossible one is refused plainly.
    due.value = "31/02/2027";
    form.requestSubmit();
    expect(step).toHaveBeenCalledTimes(1);
    expect(form.querySelector(`#${due.id}-error`)!.textContent).toBe("Feb 2027 has no day 31.");
    due.value = "1/3/2027";
    form.requestSubmit();
    expect(step).toHaveBeenLastCalledWith({ step: "decide", index: 0, decision: { decision: "delegated", to_user: "Casey Coordinator", to_role: null, due: "2027-03-01", note: null } }, "action-0");
  });

  it("shows decided actions with who and when, and no buttons", () => {
    const decided = action(0, { decision: { text: "x", decision: "not-applicable", reason: "Hospital to arrange", stamp: { by: "Alex Admin", role: "admin", at: "2026-12-01T10:00:00Z" }, completed: null } });
    const { el } = panel(work({ actions: [decided] }), admin);
    const item = el.querySelector("[data-testid=requested-action]")!;
    expect(item.querySelector("[data-testid=decision]")!.textContent).toBe("Not applicable (Hospital to arrange): Alex Admin (Admin), 01-Dec-2026 10:00");
    expect(item.querySelector("button")).toBeNull();
  });

  it("quotes why a GP review is needed; only a GP may sign it off", () => {
    const review = { gp_review: [{ topic: "suspected-cancer", detail: "“referred under the two week wait pathway”" }] };
    expect(panel(work({}, review), admin).el.querySelector("[data-testid=gp-review]")!.textContent).toContain("Only a GP may sign this off");
    const { el } = panel(work({}, review), gp);
    expect(el.querySelector("[data-testid=gp-review] blockquote")!.textContent).toBe("“referred under the two week wait pathway”");
    expect(el.querySelector("[data-testid=sign-off]")).not.toBeNull();
  });

  it("offers no decisions on a filed document", () => {
    const { el } = panel(work({}, { filed: { by: "Alex Admin", role: "admin", at: "2026-12-01T10:00:00Z" } }), admin);
    expect(el.querySelector("[data-decide]")).toBeNull();
    expect(el.querySelector("[data-testid=claim]")).toBeNull();
  });
});

describe("notes", () => {
  it("keep formatting and drop anything else: no attributes, scripts, links or images", () => {
    const frag = safeNoteHtml('<p><strong>Call</strong> <a href="javascript:x()">here</a> <img src=x onerror="alert(1)">&lt;script&gt;</p><script>alert(1)</script><ul><li onclick="x()">one</li></ul>');
    const div = document.createElement("div");
    div.append(frag);
    expect(div.innerHTML).toBe("<p><strong>Call</strong> here &lt;script&gt;</p>alert(1)<ul><li>one</li></ul>");
  });
});

describe("the shared record", () => {
  const ctx = (w: WorkflowView) => ({ work: w, user: admin, users: [], today: new Date(2026, 11, 1) });
  it("says who filed the document, wherever they did", () => {
    const el = renderShared(ctx(work({}, { filed: { by: "Sam Smith", role: "admin", at: "2026-12-01T09:05:00Z" } })));
    expect(el?.querySelector("#work-filed")?.textContent).toBe("Filed by Sam Smith, 01-Dec-2026 09:05.");
    expect(el?.querySelector("#work-pending")).toBeNull();
  });
  it("marks this computer's steps not yet on the practice server as pending", () => {
    const el = renderShared(ctx(work({ pending: [41, 42] })));
    expect(el?.querySelector("#work-pending .nhsuk-tag")?.textContent).toBe("Pending");
    expect(el?.querySelector("#work-pending")?.textContent).toContain("2 steps on this document are not yet on the practice server");
  });
  it("is absent for a document neither filed nor waiting", () => {
    expect(renderShared(ctx(work()))).toBeNull();
  });
});

describe("the answer to the hospital", () => {
  const answer = (over: Partial<NonNullable<WorkflowView["answer"]>> = {}) => ({ response_code: "30002", sent_at: null, last_error: null, from_practice: false, sent_as: null, ...over });
  it("says whether it was sent, and never implies it when it was not", () => {
    expect(answerSent(answer({ sent_at: "2026-12-01T09:05:00Z" }), "30002")).toBe(", sent 01-Dec-2026 09:05");
    expect(answerSent(answer(), "30002")).toBe(", waiting to be sent at the next sync");
    expect(answerSent(answer({ last_error: "MESH server error" }), "30002")).toBe(", not sent yet (last attempt failed: MESH server error)");
    expect(answerSent(answer({ from_practice: true }), "30002")).toBe(", waiting to be handed to the practice server, which sends it");
    expect(answerSent(answer({ from_practice: true, sent_at: "2026-12-01T09:05:00Z", sent_as: "practice-outbox:7" }), "30002")).toBe(", handed to the practice server 01-Dec-2026 09:05, which sends it");
    expect(answerSent(answer({ from_practice: true, sent_at: "2026-12-01T09:05:00Z", sent_as: "practice-outbox:7:30001-from-another-desktop" }), "30002")).toBe(
      ". Another computer of the practice answered first (patient known and registered (30001)): the practice server sends that one",
    );
    expect(answerSent(null, "30002")).toBe("");
  });
});

describe("people by the names the practice gives them", () => {
  const users: User[] = [
    { name: "gita_gp", role: "gp", added_at: "", display_name: "Dr Gita Patel", removed_at: null },
    { name: "sam_admin", role: "admin", added_at: "", display_name: "Sam Smith", removed_at: "2026-12-01T08:00:00Z" },
    { name: "Casey Coordinator", role: "care-coordinator", added_at: "", display_name: null, removed_at: null },
  ];
  const stamp = { by: "gita_gp", role: "gp" as const, at: "2026-12-01T09:05:00Z" };
  it("stamps, notes, the assignee and the filing name the person, not the login", () => {
    const w = work(
      { notes: [{ by: "sam_admin", at: "2026-12-01T09:00:00Z", markdown: "x", html: "<p>x</p>" }] },
      { matched: stamp, assigned_user: "gita_gp", gp_review: [{ topic: "safeguarding", detail: "Safeguarding concern" }], gp_reviewed: stamp, filed: stamp },
    );
    const ctx = { work: w, user: admin, users, today: new Date(2026, 11, 1) };
    const el = renderWorkPanel(ctx, { step: vi.fn() });
    expect(el.querySelector("[data-testid=match-banner]")!.textContent).toContain("Matched by Dr Gita Patel (GP), 01-Dec-2026 09:05");
    expect(el.querySelector("[data-testid=gp-review]")!.textContent).toContain("Reviewed by Dr Gita Patel (GP)");
    expect(el.querySelector("[data-testid=assigned-to]")!.textContent).toBe("Dr Gita Patel");
    // A removed person's note still names them.
    expect(el.querySelector("[data-testid=notes] .app-work__stamp")!.textContent).toBe("Sam Smith, 01-Dec-2026 09:00");
    expect(renderShared(ctx)?.querySelector("#work-filed")?.textContent).toBe("Filed by Dr Gita Patel, 01-Dec-2026 09:05.");
  });
  it("the assign list offers people by name, not those the practice removed", () => {
    const ctx = { work: work({}, { assigned_role: "admin" }), user: admin, users, today: new Date(2026, 11, 1) };
    const el = renderWorkPanel(ctx, { step: vi.fn() });
    document.body.replaceChildren(el);
    (el.querySelector("[data-testid=assign]") as HTMLButtonElement).click();
    const options = [...el.querySelectorAll<HTMLOptionElement>("#assign-who optgroup[label=People] option")].map((o) => [o.value, o.textContent]);
    expect(options).toEqual([
      ["user:gita_gp", "Dr Gita Patel (GP)"],
      ["user:Casey Coordinator", "Casey Coordinator (Care coordinator)"],
    ]);
  });
});
