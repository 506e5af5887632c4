import { describe, expect, it } from "vitest";
import { UserState } from "./user";

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe("who is working", () => {
  it("is remembered per store, and permissions come from the core", () => {
    const storage = memory();
    const a = new UserState(storage, "/data/a");
    expect(a.remembered()).toBeNull();
    expect(a.can("file")).toBe(false);
    a.set({ name: "Alex Admin", role: "admin", permissions: ["work", "file"], display_name: null, practice_login: false });
    expect(a.can("file")).toBe(true);
    expect(a.can("sign-off")).toBe(false);
    expect(new UserState(storage, "/data/a").remembered()).toBe("Alex Admin");
    expect(new UserState(storage, "/data/b").remembered()).toBeNull();
  });
});
