import { describe, expect, it } from "vitest";
import { namesOf } from "../lib/workflow";
import { historyWho, renderHistory } from "./history";

const base = { log: "practice" as const, seq: 1, at: "2026-12-01T10:00:00Z", actor: "gita_gp", role: "gp" as const, kind: "filed", state: "recorded" as const };

describe("a document's history in its work panel", () => {
  it("lists each step once, oldest first, with who did it; openings are counted, not listed", () => {
    const el = renderHistory([
      { ...base, log: "desktop", actor: "system", role: null, kind: "received", at: "2026-12-01T09:00:00Z" },
      { ...base, kind: "viewed", seq: 2 },
      { ...base, kind: "viewed", seq: 3 },
      { ...base, kind: "claimed", actor: "alex_admin", role: "admin", seq: 4 },
      { ...base, log: "desktop", seq: 7, state: "pending", kind: "note_added" },
      { ...base, log: "desktop", seq: 8, state: "refused", kind: "filed", actor: "alex_admin", role: "admin" },
    ])!;
    const items = [...el.querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toHaveLength(4);
    expect(items[0]).toMatch(/^01-Dec-2026 09:00 Received by Handover$/);
    expect(items[1]).toContain("by alex_admin (Admin");
    expect(items[2]).toContain("Pending");
    expect(items[3]).toContain("Refused by the practice (it changed nothing)");
    expect(el.querySelector("summary")?.textContent).toBe("History (4 steps)");
    expect(el.textContent).toContain("Opened 2 times: who and when is in the audit trail.");
  });

  it("is absent when there is no entry, and names Handover for what it did itself", () => {
    expect(renderHistory([])).toBeNull();
    expect(historyWho({ actor: "system", role: null })).toBe("Handover");
    expect(historyWho({ actor: "pat", role: null })).toBe("pat");
    expect(historyWho({ actor: "GITA_GP", role: "gp" }, namesOf([{ name: "gita_gp", display_name: "Dr Gita Patel" }]))).toBe("Dr Gita Patel (GP)");
  });
});
