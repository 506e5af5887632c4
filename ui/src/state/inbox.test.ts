import { describe, expect, it } from "vitest";
import type { AppStatus } from "../bindings/AppStatus";
import type { DocumentCounts } from "../bindings/DocumentCounts";
import type { StatusCounts } from "../bindings/StatusCounts";
import { InboxState } from "./inbox";

type Counts = Partial<Omit<DocumentCounts, "by_status">> & Partial<StatusCounts>;

/** Counts of a status count with the lanes not given at 0. */
function lanes(c: Partial<StatusCounts>): StatusCounts {
  return { new: 0, needs_gp_review: 0, needs_action: 0, unmatched: 0, filed: 0, rejected: 0, superseded: 0, ...c };
}

function status(documents: Counts = {}): AppStatus {
  const { total, quarantined, ...byStatus } = { total: 41, quarantined: 1, new: 40, filed: 1, ...documents };
  return {
    version: "0.1.0",
    store: {
      data_dir: "/data", database: "/data/handover.db", schema_version: 4, encryption: "sqlcipher", cipher_version: "4.6.1", keyring_backend: "secret-service",
      documents: { total, quarantined, by_status: lanes(byStatus) },
    },
  };
}

describe("the list query", () => {
  it("starts on the New queue, newest first, with nothing else set", () => {
    const inbox = new InboxState(status());
    expect(inbox.queue).toBe("new");
    expect(inbox.query(0, 200)).toEqual({
      queue: "new", kind: null, sender: null, search: null, sort: "received-desc", received_from: null, received_to: null,
      with_medicine_changes: false, with_practice_actions: false, offset: 0, limit: 200,
    });
  });

  it("carries the trimmed search, filters and sort, keeping the search when filters change", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("  943 476 5919 ");
    inbox.setFilters({ kind: "outpatient-letter", sender: "Leeds Teaching Hospitals", sort: "patient", from: "", to: "", medicineChanges: false, practiceActions: false });
    const q = inbox.query(400, 200);
    expect(q).toMatchObject({ search: "943 476 5919", kind: "outpatient-letter", sender: "Leeds Teaching Hospitals", sort: "patient", offset: 400, limit: 200 });
  });

  it("turns UK calendar days into the UTC instants they start at, the end day inclusive", () => {
    const inbox = new InboxState(status());
    inbox.setFilters({ kind: "", sender: "", sort: "received-desc", from: "2026-07-02", to: "2026-07-03", medicineChanges: false, practiceActions: false });
    const q = inbox.query(0, 200);
    // British Summer Time: a UK day starts at 23:00 UTC the day before.
    expect(q.received_from).toBe("2026-07-01T23:00:00.000Z");
    // "To 3 July" means before the start of 4 July.
    expect(q.received_to).toBe("2026-07-03T23:00:00.000Z");
  });

  it("asks for all documents while the quarantine queue is shown", () => {
    const inbox = new InboxState(status());
    expect(inbox.setQueue("quarantine")).toBe(true);
    expect(inbox.quarantine).toBe(true);
    expect(inbox.query(0, 200).queue).toBe("all");
    expect(inbox.setQueue("quarantine")).toBe(false);
    inbox.setQueue("needs-action");
    expect(inbox.query(0, 200).queue).toBe("needs-action");
  });
});

describe("filters", () => {
  it("count the ones set, a sort other than newest first included, the search not", () => {
    const inbox = new InboxState(status());
    expect(inbox.activeFilterCount()).toBe(0);
    inbox.setSearch("smith");
    expect(inbox.activeFilterCount()).toBe(0);
    inbox.setFilters({ kind: "outpatient-letter", sender: "", sort: "received-asc", from: "2026-07-01", to: "", medicineChanges: false, practiceActions: false });
    expect(inbox.activeFilterCount()).toBe(3);
  });

  it("clear to none and the default sort, keeping the search", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    inbox.setFilters({ kind: "outpatient-letter", sender: "X", sort: "patient", from: "2026-07-01", to: "2026-07-02", medicineChanges: false, practiceActions: false });
    inbox.clearFilters();
    expect(inbox.filters).toEqual({ search: "smith", kind: "", sender: "", sort: "received-desc", from: "", to: "", medicineChanges: false, practiceActions: false });
  });
});

describe("the list summary and the empty list", () => {
  it("says the queue and how many, and whether the search or a filter narrows it", () => {
    const inbox = new InboxState(status());
    expect(inbox.summary(-1)).toBe("New: loading…");
    expect(inbox.summary(41)).toBe("New: 41 documents");
    expect(inbox.summary(1)).toBe("New: 1 document");
    expect(inbox.summary(12345)).toBe("New: 12,345 documents");
    // A sort alone does not narrow the list.
    inbox.setFilters({ kind: "", sender: "", sort: "patient", from: "", to: "", medicineChanges: false, practiceActions: false });
    expect(inbox.summary(41)).toBe("New: 41 documents");
    inbox.setSearch("smith");
    expect(inbox.summary(2)).toBe("All queues: 2 documents matching");
    expect(inbox.summary(2000, true)).toBe("All queues: the newest 2,000 documents matching");
  });

  it("counts messages in quarantine, where the search does not apply", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    inbox.setQueue("quarantine");
    expect(inbox.summary(1)).toBe("Quarantine: 1 message");
    expect(inbox.summary(3)).toBe("Quarantine: 3 messages");
  });

  it("says why the list is empty", () => {
    expect(new InboxState(status({ total: 0, new: 0, filed: 0, quarantined: 0 })).emptyReason()).toBe("no-documents");
    const inbox = new InboxState(status());
    inbox.setQueue("needs-action");
    expect(inbox.emptyReason()).toBe("empty-queue");
    inbox.setFilters({ kind: "response", sender: "", sort: "received-desc", from: "", to: "", medicineChanges: false, practiceActions: false });
    expect(inbox.emptyReason()).toBe("no-match");
  });
});

describe("counts", () => {
  it("give each queue its count and shortcut, mark the current one, and alert on quarantine", () => {
    const inbox = new InboxState(status());
    inbox.setQueue("filed");
    const queues = inbox.queues();
    expect(queues.map((q) => [q.id, q.label, q.count, q.key])).toEqual([
      ["new", "New", 40, "1"],
      ["needs-gp-review", "Needs GP review", 0, "6"],
      ["needs-action", "Needs action", 0, "2"],
      ["unmatched", "Unmatched", 0, "7"],
      ["quarantine", "Quarantine", 1, "3"],
      ["filed", "Filed", 1, "4"],
      ["rejected", "Rejected", 0, "8"],
      ["superseded", "Superseded", 0, "9"],
      ["all", "All", 41, "5"],
    ]);
    expect(queues.filter((q) => q.current).map((q) => q.id)).toEqual(["filed"]);
    expect(queues.filter((q) => q.alert).map((q) => q.id)).toEqual(["quarantine"]);
    expect(inbox.countsText()).toBe("41 documents, 1 quarantined");
  });

  it("follow new counts from the store", () => {
    const inbox = new InboxState(status());
    inbox.setStatus(status({ total: 1, new: 0, filed: 1, quarantined: 0 }));
    expect(inbox.queues().find((q) => q.id === "quarantine")).toMatchObject({ count: 0, alert: false });
    expect(inbox.countsText()).toBe("1 document, 0 quarantined");
  });

  it("end the quarantine list at a short page, else expect at least one more row", () => {
    const inbox = new InboxState(status({ quarantined: 450 }));
    expect(inbox.quarantineTotal(0, 200, 200)).toBe(450);
    expect(inbox.quarantineTotal(400, 200, 200)).toBe(601);
    expect(inbox.quarantineTotal(400, 50, 200)).toBe(450);
    expect(inbox.quarantineTotal(0, 0, 200)).toBe(0);
  });
});

describe("reloads", () => {
  it("only the latest reload is current", () => {
    const inbox = new InboxState(status());
    const a = inbox.beginReload();
    const b = inbox.beginReload();
    expect(inbox.isCurrentReload(a)).toBe(false);
    expect(inbox.isCurrentReload(b)).toBe(true);
  });
});

describe("search across queues", () => {
  it("looks in every queue by default (queue null), each row showing its status", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    expect(inbox.searchingEveryQueue).toBe(true);
    expect(inbox.query(0, 200).queue).toBeNull();
    expect(inbox.summary(3)).toBe("All queues: 3 documents matching");
    // No queue is marked current while the search looks everywhere.
    expect(inbox.queues().filter((q) => q.current)).toEqual([]);
  });
  it("narrows to a queue chosen while searching, and back to every queue on request", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    expect(inbox.setQueue("new")).toBe(true);
    expect(inbox.searchingEveryQueue).toBe(false);
    expect(inbox.query(0, 200).queue).toBe("new");
    expect(inbox.summary(0)).toBe("New: 0 documents matching");
    expect(inbox.searchEveryQueue()).toBe(true);
    expect(inbox.query(0, 200).queue).toBeNull();
    expect(inbox.searchEveryQueue()).toBe(false);
  });
  it("starts each new search across every queue again", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    inbox.setQueue("filed");
    inbox.setSearch("smithson"); // typed further: same scope
    expect(inbox.query(0, 200).queue).toBe("filed");
    inbox.setSearch("");
    expect(inbox.query(0, 200).queue).toBe("filed");
    inbox.setSearch("jones");
    expect(inbox.query(0, 200).queue).toBeNull();
  });
  it("says where an empty queue's matches are: 0 in New, 2 in Filed", () => {
    const inbox = new InboxState(status());
    inbox.setSearch("smith");
    inbox.setQueue("new");
    expect(inbox.searchElsewhere(lanes({ new: 0, needs_action: 0, filed: 2 }))).toEqual({ text: "0 in New, 2 in Filed", total: 2 });
    expect(inbox.searchElsewhere(lanes({ new: 0, needs_action: 1, filed: 2 }))?.text).toBe("0 in New, 1 in Needs action, 2 in Filed");
    expect(inbox.searchElsewhere(lanes({ needs_gp_review: 1, unmatched: 2 }))?.text).toBe("0 in New, 1 in Needs GP review, 2 in Unmatched");
    expect(inbox.searchElsewhere(lanes({}))).toBeNull();
    expect(inbox.searchElsewhere(null)).toBeNull();
  });
});

describe("the medicine and practice-action filters", () => {
  it("are sent as the list query's flags and count as filters", () => {
    const inbox = new InboxState(status());
    inbox.setFilters({ kind: "", sender: "", sort: "received-desc", from: "", to: "", medicineChanges: true, practiceActions: true });
    expect(inbox.query(0, 200)).toMatchObject({ with_medicine_changes: true, with_practice_actions: true });
    expect(inbox.activeFilterCount()).toBe(2);
    expect(inbox.summary(5)).toBe("New: 5 documents matching");
  });
});

describe("an empty list during the first sync or with no mailbox", () => {
  it("says it is fetching, or that no mailbox is set up, not that there are no documents", () => {
    const none = new InboxState(status({ total: 0, new: 0, filed: 0, quarantined: 0 }));
    expect(none.emptyReason({ configured: true, syncing: true })).toBe("first-sync");
    expect(none.emptyReason({ configured: false, syncing: false })).toBe("no-mailbox");
    expect(none.emptyReason({ configured: true, syncing: false })).toBe("no-documents");
  });
});
