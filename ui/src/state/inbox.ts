// Inbox state: which queue is shown, the search, filters and sort, the list query they make,
// the store's counts and the sequence number that discards a list reload overtaken by another.
// No DOM: the list pane and the queue navigation are drawn from it.
import type { AppStatus } from "../bindings/AppStatus";
import type { StatusCounts } from "../bindings/StatusCounts";
import type { DocumentKind } from "../bindings/DocumentKind";
import type { ListQuery } from "../bindings/ListQuery";
import type { Queue } from "../bindings/Queue";
import type { Sort } from "../bindings/Sort";
import { nextDay, ukDayStartUtc } from "../lib/format";

/** What the list pane shows: a queue of documents, or the quarantined messages. */
export type QueueId = Queue | "quarantine";

export const QUEUES: { id: QueueId; label: string; key: string; count: (s: AppStatus) => number | null }[] = [
  { id: "new", label: "New", key: "1", count: (s) => s.store.documents.by_status.new },
  { id: "needs-gp-review", label: "Needs GP review", key: "6", count: (s) => s.store.documents.by_status.needs_gp_review },
  { id: "needs-action", label: "Needs action", key: "2", count: (s) => s.store.documents.by_status.needs_action },
  { id: "unmatched", label: "Unmatched", key: "7", count: (s) => s.store.documents.by_status.unmatched },
  { id: "quarantine", label: "Quarantine", key: "3", count: (s) => s.store.documents.quarantined },
  { id: "filed", label: "Filed", key: "4", count: (s) => s.store.documents.by_status.filed },
  { id: "rejected", label: "Rejected", key: "8", count: (s) => s.store.documents.by_status.rejected },
  { id: "superseded", label: "Superseded", key: "9", count: (s) => s.store.documents.by_status.superseded },
  { id: "all", label: "All", key: "5", count: (s) => s.store.documents.total },
];

export const DEFAULT_SORT: Sort = "received-desc";

export const SORTS: [Sort, string][] = [
  [DEFAULT_SORT, "Newest first"],
  ["received-asc", "Oldest first"],
  ["patient", "Patient name"],
  ["kind", "Kind of document"],
  ["sender", "Sender"],
];

/** Rows fetched per request. */
export const PAGE = 200;

export interface Filters {
  search: string;
  kind: DocumentKind | "";
  sender: string;
  sort: Sort;
  /** UK calendar days, `yyyy-mm-dd` (read from what was typed, see lib/dates.ts), or "". */
  from: string;
  to: string;
  /** Only documents that start, change, stop or hold a medicine. */
  medicineChanges: boolean;
  /** Only documents that ask something of the practice not yet done. */
  practiceActions: boolean;
}

/** Everything but the search, as the filter controls set it. */
export type FilterFields = Omit<Filters, "search">;

/** One entry of the queue navigation. */
export interface QueueEntry {
  id: QueueId;
  label: string;
  count: number | null;
  current: boolean;
  /** Quarantine holds messages: drawn as an alert. */
  alert: boolean;
  /** The shortcut key ("1" to "9"). */
  key: string;
}

/** Why the list is empty: drives the wording of the empty list. */
export type EmptyReason = "no-match" | "no-documents" | "empty-queue" | "no-mailbox" | "first-sync";

/** What the empty list needs to know about the mailbox. */
export interface MailboxContext {
  configured: boolean;
  syncing: boolean;
}

const STATUS_WORDS: [keyof StatusCounts, string, Queue][] = [
  ["new", "New", "new"],
  ["needs_gp_review", "Needs GP review", "needs-gp-review"],
  ["needs_action", "Needs action", "needs-action"],
  ["unmatched", "Unmatched", "unmatched"],
  ["filed", "Filed", "filed"],
  ["rejected", "Rejected", "rejected"],
  ["superseded", "Superseded", "superseded"],
];

/** How many documents a status count holds in all. */
export function countAll(c: StatusCounts): number {
  return STATUS_WORDS.reduce((n, [k]) => n + c[k], 0);
}

const NO_FILTERS = { kind: "", sender: "", sort: DEFAULT_SORT, from: "", to: "", medicineChanges: false, practiceActions: false } as const;

export class InboxState {
  private appStatus: AppStatus;
  private current: QueueId = "new";
  private f: Filters = { search: "", ...NO_FILTERS };
  /** A search looks in every queue until a queue is chosen while searching. */
  private everyQueue = true;
  private reloadSeq = 0;

  constructor(status: AppStatus) {
    this.appStatus = status;
  }

  get status(): AppStatus {
    return this.appStatus;
  }

  get queue(): QueueId {
    return this.current;
  }

  get filters(): Readonly<Filters> {
    return this.f;
  }

  get quarantine(): boolean {
    return this.current === "quarantine";
  }

  /** A search is shown, across every queue (each row shows its status). */
  get searchingEveryQueue(): boolean {
    return !!this.f.search && this.everyQueue && !this.quarantine;
  }

  /** New counts from the store. */
  setStatus(status: AppStatus): void {
    this.appStatus = status;
  }

  /**
   * Shows `queue`; false when it is already shown (nothing to reload). Choosing a queue while a
   * search looks in every queue narrows the search to that queue.
   */
  setQueue(queue: QueueId): boolean {
    if (this.searchingEveryQueue && queue !== "quarantine") {
      this.everyQueue = false;
      this.current = queue;
      return true;
    }
    if (queue === this.current) return false;
    this.current = queue;
    return true;
  }

  /** The search looks in every queue again ("show them"). */
  searchEveryQueue(): boolean {
    if (this.everyQueue) return false;
    this.everyQueue = true;
    return true;
  }

  setSearch(text: string): void {
    const search = text.trim();
    // A new search starts across every queue; a search typed further keeps its scope.
    if (!search || !this.f.search) this.everyQueue = true;
    this.f = { ...this.f, search };
  }

  setFilters(fields: FilterFields): void {
    this.f = { ...fields, search: this.f.search };
  }

  /** Back to no filters and the default sort; the search is kept. */
  clearFilters(): void {
    this.f = { search: this.f.search, ...NO_FILTERS };
  }

  /** The query for rows [offset, offset + limit) of the current queue. */
  query(offset: number, limit: number): ListQuery {
    const f = this.f;
    return {
      queue: this.searchingEveryQueue ? null : this.current === "quarantine" ? "all" : this.current,
      kind: f.kind || null,
      sender: f.sender || null,
      search: f.search || null,
      sort: f.sort,
      // The date inputs are UK calendar days; the store records UTC instants.
      received_from: ukDayStartUtc(f.from) ?? (f.from || null),
      received_to: f.to ? (ukDayStartUtc(nextDay(f.to)) ?? f.to) : null,
      with_medicine_changes: f.medicineChanges,
      with_practice_actions: f.practiceActions,
      offset,
      limit,
    };
  }

  /** Filters other than the search that are set (a sort other than the default counts). */
  activeFilterCount(): number {
    const f = this.f;
    return [f.kind, f.sender, f.from, f.to, f.medicineChanges, f.practiceActions].filter(Boolean).length + (f.sort !== DEFAULT_SORT ? 1 : 0);
  }

  /** Filters other than the search narrow the list (the sort does not). */
  filtered(): boolean {
    const f = this.f;
    return !!(f.kind || f.sender || f.from || f.to || f.medicineChanges || f.practiceActions);
  }

  /** The search or a filter narrows the list (the sort does not). */
  narrowed(): boolean {
    return !!this.f.search || this.filtered();
  }

  /** The list summary: "New: 1,234 documents matching", or "New: loading…" before the total is known. */
  summary(total: number, capped = false): string {
    const label = this.searchingEveryQueue ? "All queues" : (QUEUES.find((q) => q.id === this.current)?.label ?? "");
    if (total < 0) return `${label}: loading…`;
    const what = this.quarantine ? (total === 1 ? "message" : "messages") : total === 1 ? "document" : "documents";
    const filtered = !this.quarantine && this.narrowed();
    return `${label}: ${capped ? "the newest " : ""}${total.toLocaleString("en-GB")} ${what}${filtered ? " matching" : ""}`;
  }

  /** Why the document list is empty. */
  emptyReason(mailbox: MailboxContext = { configured: true, syncing: false }): EmptyReason {
    if (this.narrowed()) return "no-match";
    if (this.appStatus.store.documents.total === 0) {
      if (mailbox.syncing) return "first-sync";
      if (!mailbox.configured) return "no-mailbox";
      return "no-documents";
    }
    return "empty-queue";
  }

  /**
   * Where an empty search's matches are, when they are in other queues: "0 in New, 2 in Filed".
   * Null when the search found nothing anywhere (or is not limited to a queue).
   */
  searchElsewhere(counts: StatusCounts | null): { text: string; total: number } | null {
    if (!counts || !this.f.search) return null;
    const total = countAll(counts);
    if (!total) return null;
    const current = this.current;
    const parts = STATUS_WORDS.filter(([k, , q]) => counts[k] > 0 || q === current).map(([k, word]) => `${counts[k].toLocaleString("en-GB")} in ${word}`);
    return { text: parts.join(", "), total };
  }

  /** The queue navigation, in order. */
  queues(): QueueEntry[] {
    return QUEUES.map((q) => {
      const count = q.count(this.appStatus);
      const alert = (q.id === "quarantine" || q.id === "needs-gp-review" || q.id === "unmatched") && (count ?? 0) > 0;
      return { id: q.id, label: q.label, count, current: q.id === this.current && !this.searchingEveryQueue, alert, key: q.key };
    });
  }

  /** The status bar's counts: "41 documents, 1 quarantined". */
  countsText(): string {
    const d = this.appStatus.store.documents;
    return `${d.total} ${d.total === 1 ? "document" : "documents"}, ${d.quarantined} quarantined`;
  }

  /**
   * The total to report for the quarantine list after fetching `rows` rows at `offset` (the
   * command returns rows only): a short page ends the list; otherwise at least one more row than
   * fetched, or the store's count if larger.
   */
  quarantineTotal(offset: number, rows: number, limit: number): number {
    return rows < limit ? offset + rows : Math.max(this.appStatus.store.documents.quarantined, offset + rows + 1);
  }

  /** Starts a list reload; pass the number to `isCurrentReload` when it finishes. */
  beginReload(): number {
    return ++this.reloadSeq;
  }

  /** No later reload has started since `seq`. */
  isCurrentReload(seq: number): boolean {
    return seq === this.reloadSeq;
  }
}
