import { describe, expect, it, vi } from "vitest";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { User } from "../bindings/User";
import { UserBox, UserChooser } from "./users";

const gita: CurrentUser = { name: "gita_gp", display_name: "Dr Gita Patel", role: "gp", permissions: ["work"], practice_login: true };

describe("who is working, by the name the practice gives them", () => {
  it("the header names the practice login by its display name, the login in its title", () => {
    const box = new UserBox(() => {});
    box.show(gita);
    const text = box.element.querySelector("#current-user")!;
    expect(text.textContent).toBe("Dr Gita Patel (GP)");
    expect((text as HTMLElement).title).toBe("Your practice server login (gita_gp): every step here is recorded as yours");
    expect(box.button.hidden).toBe(true);
    box.show({ ...gita, name: "Alex Admin", display_name: null, role: "admin", practice_login: false });
    expect(text.textContent).toBe("Alex Admin (Admin)");
    expect(box.button.getAttribute("aria-label")).toBe("Switch user (now Alex Admin (Admin))");
  });

  it("the chooser lists people by display name (with the login), not those the practice removed", async () => {
    const users: User[] = [
      { name: "gita_gp", role: "gp", added_at: "", display_name: "Dr Gita Patel", removed_at: null },
      { name: "sam_admin", role: "admin", added_at: "", display_name: "Sam Smith", removed_at: "2026-12-01T08:00:00Z" },
      { name: "Alex Admin", role: "admin", added_at: "", display_name: null, removed_at: null },
    ];
    const choose = vi.fn(async () => null);
    const chooser = new UserChooser({ list: async () => users, choose, add: async () => null }, () => document.body);
    document.body.replaceChildren(chooser.element);
    await chooser.show(true);
    const people = [...chooser.element.querySelectorAll<HTMLButtonElement>("button.app-chooser__person")];
    expect(people.map((b) => [b.dataset.user, b.textContent])).toEqual([
      ["gita_gp", "Dr Gita Patel (gita_gp)GP"],
      ["Alex Admin", "Alex AdminAdmin"],
    ]);
    people[0].click();
    expect(choose).toHaveBeenCalledWith("gita_gp");
  });
});
