import { describe, expect, it } from "vitest";
import { UNDO_MS, UndoState } from "./undo";

describe("undo", () => {
  const entry = { id: 4, previous: "new" as const, status: "filed" as const, version: 3, label: "SMITH, Sam" };
  it("offers the last change for a while, once", () => {
    const u = new UndoState();
    expect(u.pending(0)).toBeNull();
    u.record(entry, 1000);
    expect(u.pending(1000 + UNDO_MS)).toMatchObject({ id: 4, previous: "new", version: 3 });
    expect(u.take(1001)).toMatchObject({ id: 4 });
    expect(u.take(1002)).toBeNull();
  });
  it("stops offering it after the time is up, or when a newer change replaces it", () => {
    const u = new UndoState();
    u.record(entry, 0);
    expect(u.pending(UNDO_MS + 1)).toBeNull();
    u.record(entry, 0);
    u.record({ ...entry, id: 5 }, 10);
    expect(u.take(20)?.id).toBe(5);
    u.record(entry, 0);
    u.clear();
    expect(u.take(1)).toBeNull();
  });
});
