import { describe, expect, it } from "vitest";
import type { ConservationReport } from "../bindings/ConservationReport";
import { namesOf } from "../lib/workflow";
import { AuditPage, auditQuery, detailsText } from "./audit";

const noop = { search: () => {}, verify: () => {}, export: () => {} };

describe("the audit view", () => {
  it("makes its query from the filters: blanks are no filter, dates typed dd-Mmm-yyyy, newest first", () => {
    expect(auditQuery({ actor: " Casey ", kind: "", document: "12", from: "01-Dec-2026", to: "2/12/2026" })).toEqual({
      log: null, actor: "Casey", kind: null, document_id: 12, from: "2026-12-01", to: "2026-12-02", newest_first: true, offset: 0, limit: 200,
    });
    expect(auditQuery({ actor: "", kind: "filed", document: "x", from: "31/02/2026", to: "" })).toMatchObject({ kind: "filed", document_id: null, from: null });
  });

  it("shows an event's details in a line", () => {
    expect(detailsText({ reason: "wrong patient", nhs_number: "9434765919", note: null })).toBe("reason: wrong patient; nhs number: 9434765919");
  });

  it("says loudly when the conservation report does not add up", () => {
    const line = { day: "total", received: 3, stored: 2, duplicates: 0, quarantined: 0, by_status: { new: 2, needs_gp_review: 0, needs_action: 0, unmatched: 0, filed: 0, rejected: 0, superseded: 0 }, pending: 2, balanced: false };
    const report: ConservationReport = { total: line, days: [{ ...line, day: "2026-12-01" }], responses_and_reports: 0, oldest_pending_received_at: null, oldest_pending_hours: null, balanced: false };
    const page = new AuditPage(noop);
    page.showReport(report);
    expect(page.element.querySelector("[data-testid=report-unbalanced]")?.getAttribute("role")).toBe("alert");
    expect(page.element.querySelectorAll(".app-audit__unbalanced").length).toBe(2);
    page.showReport({ ...report, balanced: true, total: { ...line, received: 2, balanced: true }, days: [] });
    expect(page.element.querySelector("[data-testid=report-balanced]")).not.toBeNull();
  });

  it("shows the first bad event when the trail does not verify", () => {
    const page = new AuditPage(noop);
    page.showVerification({ ok: false, desktop: { events: 10, ok: false, first_bad_event: 7, problem: "hash does not match" }, practice: null, server: null });
    expect(page.element.querySelector("[data-testid=verify-bad]")?.textContent).toContain("number 7: hash does not match");
  });

  const ok = (events: number) => ({ events, ok: true, first_bad_event: null, problem: null });

  it("on a desktop of a practice says which of the three logs verifies, and which could not be checked", () => {
    const page = new AuditPage(noop);
    page.permit(true, true, true);
    page.showVerification({ ok: true, desktop: ok(4), practice: ok(120), server: { verification: null, why: "the practice server could not be reached [practice_unreachable]: refused" } });
    const text = page.element.querySelector("[data-testid=verify-ok]")?.textContent ?? "";
    expect(text).toContain("This computer's log: all 4 events intact");
    expect(text).toContain("copy of the practice's log: all 120 events intact");
    expect(text).toContain("The practice server's log was not checked: the practice server could not be reached");
    page.showVerification({ ok: false, desktop: ok(4), practice: ok(120), server: { verification: { events: 120, ok: false, first_bad_event: 17, problem: "practice event 17 is not as it was recorded" }, why: null } });
    const bad = page.element.querySelector("[data-testid=verify-bad]");
    expect(bad?.getAttribute("role")).toBe("alert");
    expect(bad?.querySelector("[data-log-ok=false]")?.textContent).toBe("The practice server's log does not verify: the first bad event is number 17 (practice event 17 is not as it was recorded).");
    expect(bad?.querySelectorAll("[data-log-ok=true]").length).toBe(2);
  });

  it("on a desktop of a practice lists each entry with its log and number, and marks steps not accepted", () => {
    const page = new AuditPage(noop);
    page.permit(true, true, true);
    expect((page.element.querySelector("#audit-log")?.closest(".app-audit__field") as HTMLElement).hidden).toBe(false);
    const entry = { seq: 1, event_id: "d:1", at: "2026-12-01T10:00:00Z", actor: "gita_gp", role: "gp" as const, os_user: "gita", device: "dev-1", document_id: 3, document_key: "abc", kind: "filed", details: {}, hash: "h", state: "recorded" as const, log: "practice" as const };
    page.showEvents([
      { ...entry, seq: 9, log: "desktop", state: "pending", actor: "alex_admin" },
      { ...entry, seq: 8, log: "desktop", state: "refused", actor: "alex_admin" },
      { ...entry, seq: 12, document_id: null },
      entry,
    ]);
    const rows = [...page.element.querySelectorAll("[data-testid=audit-events] tbody tr")];
    expect(rows.map((r) => r.querySelector("td")?.textContent)).toEqual(["This computer 9", "This computer 8", "Practice 12", "Practice 1"]);
    expect(rows[0].textContent).toContain("Pending");
    expect(rows[1].textContent).toContain("Refused by the practice");
    expect(rows[2].textContent).toContain("not on this computer");
    expect(rows[3].textContent).not.toMatch(/Pending|Refused/);
    // With the practice's display names, a login is shown by its name, the login beside.
    page.showEvents([entry], namesOf([{ name: "gita_gp", display_name: "Dr Gita Patel" }]));
    const person = page.element.querySelector("[data-testid=audit-events] tbody tr td:nth-child(3)");
    expect(person?.firstChild?.textContent).toBe("Dr Gita Patel");
    expect(person?.textContent).toContain("login gita_gp");
    // The Log filter goes into the query; alone there is one log and no filter.
    (page.element.querySelector("#audit-log") as HTMLSelectElement).value = "practice";
    expect(page.query().log).toBe("practice");
    page.permit(true, true, false);
    expect(page.query().log).toBeNull();
    expect((page.element.querySelector("#audit-log")?.closest(".app-audit__field") as HTMLElement).hidden).toBe(true);
  });
});
