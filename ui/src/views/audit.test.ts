import { describe, expect, it } from "vitest";
import type { ConservationReport } from "../bindings/ConservationReport";
import { AuditPage, auditQuery, detailsText } from "./audit";

const noop = { search: () => {}, verify: () => {}, export: () => {} };

describe("the audit view", () => {
  it("makes its query from the filters: blanks are no filter, dates typed dd-Mmm-yyyy, newest first", () => {
    expect(auditQuery({ actor: " Casey ", kind: "", document: "12", from: "01-Dec-2026", to: "2/12/2026" })).toEqual({
      actor: "Casey", kind: null, document_id: 12, from: "2026-12-01", to: "2026-12-02", newest_first: true, offset: 0, limit: 200,
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
    page.showVerification({ events: 10, ok: false, first_bad_event: 7, problem: "hash does not match" });
    expect(page.element.querySelector("[data-testid=verify-bad]")?.textContent).toContain("number 7: hash does not match");
  });
});
