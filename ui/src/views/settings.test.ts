import { describe, expect, it } from "vitest";
import { peopleTable } from "./settings";

describe("the practice's people on the Mailbox screen", () => {
  it("lists who works here by name, login and role, the removed last and marked", () => {
    const el = peopleTable([
      { name: "zed_admin", role: "admin", added_at: "2026-11-01T09:00:00Z", display_name: null, removed_at: "2026-11-20T09:00:00Z" },
      { name: "gita_gp", role: "gp", added_at: "2026-11-02T09:00:00Z", display_name: "Dr Gita Patel", removed_at: null },
      { name: "alex_admin", role: "admin", added_at: "2026-11-03T09:00:00Z", display_name: "Alex Admin", removed_at: null },
    ]);
    expect(el.querySelector("h3")?.textContent).toBe("The practice's people (2)");
    const rows = [...el.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    expect(rows).toEqual([
      ["Alex Admin", "alex_admin", "Admin", "03-Nov-2026"],
      ["Dr Gita Patel", "gita_gp", "GP", "02-Nov-2026"],
      ["zed_admin", "zed_admin", "Admin", "removed 20-Nov-2026"],
    ]);
  });
});
