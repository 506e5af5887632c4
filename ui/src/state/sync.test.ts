import { describe, expect, it } from "vitest";
import type { SyncStatusView } from "../bindings/SyncStatusView";
import { isNewerView, SyncState } from "./sync";

function view(over: Partial<SyncStatusView> = {}): SyncStatusView {
  return {
    configured: true, source: "mesh", mailbox_label: "MESH mailbox X26ABC1", config_error: null,
    state: { mailbox: "X26ABC1", last_attempt_at: "2026-11-22T10:40:00Z", last_success_at: "2026-11-22T10:40:00Z", last_error: null, last_error_code: null, health: "online", failing_since: null, problems: [], more_problems: 0 },
    freshness: { stale: false, kind: null, as_of: "2026-11-22T10:40:00Z", failing_since: null, last_error: null, last_error_code: null, threshold_minutes: 15 },
    syncing: false, progress: null, last_summary: null, poll_minutes: 5, practice: null, now: "2026-11-22T11:00:00Z", seq: 1, ...over,
  };
}

describe("views arriving out of order", () => {
  it("an older view (a status read before the sync finished) never replaces a newer one", () => {
    const before = view({ seq: 5, freshness: { ...view().freshness, stale: true, kind: "never-synced", as_of: null } });
    const after = view({ seq: 6 });
    expect(isNewerView(null, before)).toBe(true);
    expect(isNewerView(before, after)).toBe(true);
    expect(isNewerView(after, before)).toBe(false);
    expect(isNewerView(after, after)).toBe(false);
  });

  it("the state keeps the newest view and ignores older ones", () => {
    const state = new SyncState();
    expect(state.apply(view({ seq: 6 }))).not.toBeNull();
    expect(state.apply(view({ seq: 5, syncing: true }))).toBeNull();
    expect(state.view?.seq).toBe(6);
    expect(state.view?.syncing).toBe(false);
  });
});

describe("the sync state", () => {
  it("asks for the lists to be refreshed on the first view and when a sync finishes, not on progress", () => {
    const state = new SyncState();
    expect(state.view).toBeNull();
    const first = state.apply(view({ seq: 1 }));
    expect(first).toMatchObject({ firstSeen: true, finished: false, refreshLists: true, previous: null });
    expect(state.apply(view({ seq: 2, syncing: true }))).toMatchObject({ firstSeen: false, finished: false, refreshLists: false });
    expect(state.apply(view({ seq: 3, syncing: true, progress: { done: 1, total: 2 } }))?.refreshLists).toBe(false);
    const done = state.apply(view({ seq: 4 }));
    expect(done).toMatchObject({ finished: true, refreshLists: true });
    expect(done?.previous?.seq).toBe(3);
    expect(state.apply(view({ seq: 5 }))?.refreshLists).toBe(false);
  });

  it("allows one Sync now request at a time, and none without a mailbox", () => {
    const state = new SyncState();
    expect(state.request()).toBe(false); // no view yet
    state.apply(view({ configured: false }));
    expect(state.request()).toBe(false);
    state.apply(view({ seq: 2 }));
    expect(state.request()).toBe(true);
    expect(state.requested).toBe(true);
    expect(state.request()).toBe(false);
    state.requestDone();
    expect(state.requested).toBe(false);
    expect(state.request()).toBe(true);
  });

  it("disables the Sync now button while syncing or without a mailbox", () => {
    const state = new SyncState();
    expect(state.buttonDisabled()).toBeNull();
    state.apply(view({ seq: 1 }));
    expect(state.buttonDisabled()).toBe(false);
    state.apply(view({ seq: 2, syncing: true }));
    expect(state.buttonDisabled()).toBe(true);
    state.apply(view({ seq: 3, configured: false }));
    expect(state.buttonDisabled()).toBe(true);
  });
});

describe("a desktop of a practice", () => {
  const practice = (changes: number, refused: SyncStatusView["practice"] extends infer P ? (P extends { refused: infer R } ? R : never) : never = []) => ({ practice_name: "Riverside", person: "gp_one", pending: 0, changes, refused, poll_seconds: 5, chain_break: null });
  const refusal = (number: number) => ({ number, kind: "filed", document_id: 7, code: "already_filed" as const, message: "already filed by Sam Smith at 2026-12-02T10:00:00Z" });

  it("refreshes the lists and the open document when a pull brought something, not on quiet rounds", () => {
    const state = new SyncState();
    state.apply(view({ seq: 1, practice: practice(0) }));
    expect(state.apply(view({ seq: 2, practice: practice(0) }))).toMatchObject({ refreshLists: false, practiceChanged: false });
    expect(state.apply(view({ seq: 3, practice: practice(1) }))).toMatchObject({ refreshLists: true, practiceChanged: true });
    expect(state.apply(view({ seq: 4, practice: practice(1) }))?.refreshLists).toBe(false);
  });

  it("tells each refused step once, however often the view repeats it", () => {
    const state = new SyncState();
    expect(state.apply(view({ seq: 1, practice: practice(0, [refusal(1)]) }))?.refused.map((r) => r.number)).toEqual([1]);
    expect(state.apply(view({ seq: 2, practice: practice(1, [refusal(1)]) }))?.refused).toEqual([]);
    expect(state.apply(view({ seq: 3, practice: practice(2, [refusal(1), refusal(2)]) }))?.refused.map((r) => r.number)).toEqual([2]);
  });
});
