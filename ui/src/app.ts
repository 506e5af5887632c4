// The inbox window, wired together: the state (state/) and the views (views/) connected to the
// Tauri commands (api.ts), the `sync-status` event, timers and the keyboard. What the window
// knows lives in the state modules, how it looks in the views; this file only connects them.
import { api, toCommandError, type DocumentStatus } from "./api";
import type { AppStatus } from "./bindings/AppStatus";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { QuarantineRow } from "./bindings/QuarantineRow";
import type { StatusCounts } from "./bindings/StatusCounts";
import type { SyncStatusView } from "./bindings/SyncStatusView";
import { keyAction, type Action } from "./lib/keyboard";
import { clampListWidth, LIST_MAX_REM, LIST_MIN_REM, PrefStore, stepZoom, type Prefs } from "./lib/prefs";
import { InboxState, PAGE, QUEUES, type QueueId } from "./state/inbox";
import { documentTarget, quarantinedTarget, SelectionState, type SelectedRow, type Ticket } from "./state/selection";
import { SyncState } from "./state/sync";
import { UndoState, UNDO_MS } from "./state/undo";
import { saveAttachment, viewAttachment } from "./views/attachments";
import { StaleSlot, SyncIndicator } from "./views/banners";
import { DocumentPane } from "./views/documentpane";
import { helpButton, HelpPanel } from "./views/help";
import { ListPane, renderEmptyList, renderEmptyQuarantine, renderListError } from "./views/listpane";
import { QueueNav } from "./views/queues";
import { listName, QUARANTINE_ROW_REM, renderPendingRow, renderQuarantineRow, renderRow, ROW_REM } from "./views/rows";
import { SettingsDialog } from "./views/settings";
import { header, StatusBar, Toast } from "./views/shell";
import { clear, h } from "./widgets/dom";
import { VirtualList } from "./widgets/vlist";

const QUEUE_KEYS: Partial<Record<Action, QueueId>> = {
  "queue-new": "new",
  "queue-needs-action": "needs-action",
  "queue-quarantine": "quarantine",
  "queue-filed": "filed",
  "queue-all": "all",
};

const STATUS_WORDS: Record<DocumentStatus, string> = { filed: "Filed", "needs-action": "Marked as needs action", new: "Moved to New" };
const STATUS_NAMES: Record<DocumentStatus, string> = { filed: "Filed", "needs-action": "Needs action", new: "New" };

/** Below this width (in rem: it follows the text size) the queues fold into a strip above the list. */
const NARROW_REM = 80;
/** Below this width the list and the document take turns (Enter shows the document, Esc the list). */
const SINGLE_REM = 48;
/** Below this height (in rem) the document scrolls as one, only the patient banner staying in view. */
const SHORT_REM = 40;
/** How long the selection waits before fetching, so holding j down does not fetch every row. */
const FOLLOW_DELAY_MS = 60;

function messageOf(e: unknown): string {
  return toCommandError(e).message;
}

/** A command's answer or its error, without throwing. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

function rowLabel(row: Pick<DocumentRow, "patient_name" | "title">): string {
  return `${row.patient_name ? listName(row.patient_name) : "document"}${row.title ? `, ${row.title}` : ""}`;
}

export class App {
  private readonly inbox: InboxState;
  private readonly selection = new SelectionState();
  private readonly sync = new SyncState();
  private readonly undo = new UndoState();
  private readonly prefStore: PrefStore;
  private prefs: Prefs;

  private readonly syncIndicator = new SyncIndicator(() => void this.syncNow());
  private readonly staleSlot = new StaleSlot(() => void this.settings.show());
  private readonly queues = new QueueNav((queue) => this.setQueue(queue));
  private readonly listPane = new ListPane({
    onSearch: (text) => {
      this.inbox.setSearch(text);
      void this.reload();
    },
    onFilters: (fields) => {
      this.inbox.setFilters(fields);
      void this.reload();
    },
    onClearFilters: () => {
      this.inbox.clearFilters();
      this.listPane.resetFilters();
      void this.reload();
    },
    onSearchEveryQueue: () => this.searchEveryQueue(),
  });
  private readonly docPane = new DocumentPane({
    setStatus: (id, status) => void this.setStatus(status, id),
    openDocument: (id) => void this.openLinked(id),
    viewAttachment: (id, index, target, scope) => void viewAttachment(target, scope, index, () => api.openAttachment(id, index)),
    saveAttachment: (id, index, target, scope) => void saveAttachment(target, scope, () => api.saveAttachment(id, index)),
    fetchDocument: (id) => api.openDocument(id),
    saveQuarantined: (messageId) => void this.saveQuarantined(messageId),
    markDealtWith: (messageId, note) => void this.markDealtWith(messageId, note),
  });
  private readonly help = new HelpPanel(() => this.activeViewport());
  private readonly settings = new SettingsDialog(
    {
      load: () => api.mailboxSettings(),
      test: () => api.testMailboxNow(),
      save: (input) => api.saveMailbox(input),
      saved: () => {
        void this.refreshSync();
        void this.refreshLists();
      },
    },
    () => this.activeViewport(),
  );
  private readonly toast = new Toast();
  private readonly splitter = h("div", {
    class: "app-splitter",
    role: "separator",
    tabindex: "0",
    "aria-orientation": "vertical",
    "aria-label": "List width: drag, or use the left and right arrow keys",
    "aria-controls": "list-pane",
    "data-testid": "splitter",
  });
  private panes!: HTMLElement;
  /** Why the last search found nothing without looking (it held only punctuation). */
  private searchHint: string | null = null;
  /** Where the last search's matches are, by status. */
  private searchCounts: StatusCounts | null = null;
  private searchCapped = false;
  private readonly statusBar: StatusBar;
  private docs!: VirtualList<DocumentRow>;
  private quarantine!: VirtualList<QuarantineRow>;
  /** The ticket whose document should take focus when it arrives (Enter or a click). */
  private focusOnArrival: number | null = null;
  private followTimer = 0;
  private lastListRefresh = 0;

  constructor(status: AppStatus) {
    this.inbox = new InboxState(status);
    this.statusBar = new StatusBar(status);
    this.prefStore = new PrefStore(typeof localStorage === "undefined" ? null : localStorage, status.store.data_dir);
    this.prefs = this.prefStore.load();
  }

  mount(root: HTMLElement): void {
    const s = this.syncIndicator;
    const settingsButton = h("button", { type: "button", class: "app-sync__button app-sync__help", id: "settings-button", onclick: () => void this.settings.show() }, "Mailbox");
    const syncBox = h("div", { class: "app-sync" }, s.text, s.progress, s.button, settingsButton, helpButton(() => this.help.toggle()));
    this.listPane.element.id = "list-pane";
    this.panes = h("main", { class: "app-panes", id: "main", "data-view": "list" }, this.queues.element, this.listPane.element, this.splitter, this.docPane.element);
    clear(root);
    root.append(
      h(
        "div",
        { class: "app-layout" },
        header(syncBox),
        this.staleSlot.element,
        this.panes,
        this.statusBar.element,
        this.help.element,
        this.settings.element,
        this.toast.element,
      ),
    );
    this.renderQueues();

    const common = { pageSize: PAGE, overscan: 8, renderPending: renderPendingRow, onTotal: () => this.renderSummary() };
    this.docs = new VirtualList<DocumentRow>({
      ...common,
      rowHeight: this.remPx(ROW_REM),
      viewport: this.listPane.viewport,
      fetchPage: async (offset, limit) => {
        const page = await api.listDocuments(this.inbox.query(offset, limit));
        this.searchHint = page.search_hint;
        this.searchCounts = page.search_by_status;
        this.searchCapped = page.total_capped;
        return page;
      },
      renderRow: (row, i, total, selected) => renderRow(row, i, total, selected, new Date()),
      renderEmpty: () => this.renderEmptyDocuments(),
      renderError: (e) => renderListError(`The list could not be loaded: ${messageOf(e)}`),
      onOpen: () => this.openSelected(),
      key: (row) => `${row.id}:${row.version}`,
      onSelect: (row) => {
        if (!this.inbox.quarantine) this.follow(row ? { kind: "document", row } : null);
      },
    });
    this.quarantine = new VirtualList<QuarantineRow>({
      ...common,
      rowHeight: this.remPx(QUARANTINE_ROW_REM),
      viewport: this.listPane.quarantineViewport,
      fetchPage: async (offset, limit) => {
        const rows = await api.listQuarantine(offset, limit);
        return { total: this.inbox.quarantineTotal(offset, rows.length, limit), rows };
      },
      renderRow: (row, i, total, selected) => renderQuarantineRow(row, i, total, selected, new Date()),
      renderEmpty: renderEmptyQuarantine,
      renderError: (e) => renderListError(`Quarantine could not be loaded: ${messageOf(e)}`),
      onOpen: () => this.openSelected(),
      key: (row) => `${row.message.message_id}:${row.dealt_with_at ?? ""}`,
      onSelect: (row) => {
        if (this.inbox.quarantine) this.follow(row ? { kind: "quarantined", row } : null);
      },
    });

    this.applyPrefs();
    this.wireSplitter();
    window.addEventListener("resize", () => this.applyLayout());
    // The window never scrolls as a whole (each pane scrolls itself); a browser's scroll-into-view
    // of a tall element could otherwise push the header and the patient banner off the top.
    document.addEventListener("scroll", () => {
      const root = document.scrollingElement;
      if (root && (root.scrollTop || root.scrollLeft)) root.scrollTo(0, 0);
    });
    document.addEventListener("keydown", (e) => this.onKey(e));
    void this.reload();
    void this.loadSenders();
    void this.startSync();
    this.listPane.viewport.focus();
    // Relative times and the "as of" wording follow the clock even without events.
    window.setInterval(() => void this.refreshSync(), 30_000);
  }

  // ----- text size, layout and the list's width -----------------------------------------------------

  /** Pixels in `rem` rem at the current text size. */
  private remPx(rem: number): number {
    const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    return Math.round(rem * root);
  }

  private applyPrefs(): void {
    document.documentElement.style.fontSize = `${Math.round(this.prefs.zoom * 100)}%`;
    document.documentElement.dataset.zoom = String(this.prefs.zoom);
    this.panes.style.setProperty("--app-list-width", this.prefs.listWidthRem === null ? "" : `${this.prefs.listWidthRem}rem`);
    if (this.prefs.listWidthRem === null) this.panes.style.removeProperty("--app-list-width");
    this.docs.setRowHeight(this.remPx(ROW_REM));
    this.quarantine.setRowHeight(this.remPx(QUARANTINE_ROW_REM));
    this.applyLayout();
  }

  private savePrefs(p: Partial<Prefs>): void {
    this.prefs = { ...this.prefs, ...p };
    this.prefStore.save(this.prefs);
    this.applyPrefs();
  }

  private setZoom(direction: 1 | -1 | 0): void {
    const zoom = direction === 0 ? 1 : stepZoom(this.prefs.zoom, direction);
    this.savePrefs({ zoom });
    this.toast.show(`Text size ${Math.round(zoom * 100)}%`);
  }

  /** Narrow windows (or large text) fold the queues into a strip; very narrow ones show the list or the document. */
  private applyLayout(): void {
    const widthRem = window.innerWidth / this.remPx(1);
    const heightRem = window.innerHeight / this.remPx(1);
    this.panes.classList.toggle("app-panes--narrow", widthRem < NARROW_REM);
    this.panes.classList.toggle("app-panes--single", widthRem < SINGLE_REM);
    this.panes.classList.toggle("app-panes--short", heightRem < SHORT_REM);
    document.body.classList.toggle("app-narrow", widthRem < NARROW_REM);
    document.body.classList.toggle("app-single", widthRem < SINGLE_REM);
    const list = this.listPane.element.getBoundingClientRect().width;
    this.splitter.setAttribute("aria-valuenow", String(Math.round(list / this.remPx(1))));
    this.splitter.setAttribute("aria-valuemin", String(LIST_MIN_REM));
    this.splitter.setAttribute("aria-valuemax", String(LIST_MAX_REM));
  }

  private get single(): boolean {
    return this.panes.classList.contains("app-panes--single");
  }

  /** In the single-pane layout, which of the two is shown. */
  private showView(view: "list" | "document"): void {
    this.panes.dataset.view = view;
  }

  private wireSplitter(): void {
    const rem = () => this.remPx(1);
    const setWidth = (px: number, save: boolean) => {
      const w = clampListWidth(px / rem());
      this.panes.style.setProperty("--app-list-width", `${w}rem`);
      this.splitter.setAttribute("aria-valuenow", String(Math.round(w)));
      if (save) this.savePrefs({ listWidthRem: w });
    };
    this.splitter.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const left = this.listPane.element.getBoundingClientRect().left;
      const move = (ev: PointerEvent) => setWidth(ev.clientX - left, false);
      const up = (ev: PointerEvent) => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        document.body.classList.remove("app-resizing");
        setWidth(ev.clientX - left, true);
      };
      document.body.classList.add("app-resizing");
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    this.splitter.addEventListener("keydown", (e) => {
      const width = this.listPane.element.getBoundingClientRect().width;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        e.preventDefault();
        e.stopPropagation();
        setWidth(width + (e.key === "ArrowRight" ? 1 : -1) * rem(), true);
      } else if (e.key === "Home") {
        e.preventDefault();
        e.stopPropagation();
        this.savePrefs({ listWidthRem: null });
      }
    });
    this.splitter.addEventListener("dblclick", () => this.savePrefs({ listWidthRem: null }));
  }

  // ----- queues and lists ------------------------------------------------------------------------

  private activeList(): VirtualList<DocumentRow> | VirtualList<QuarantineRow> {
    return this.inbox.quarantine ? this.quarantine : this.docs;
  }

  private activeViewport(): HTMLElement {
    return this.listPane.activeViewport(this.inbox.quarantine);
  }

  private renderQueues(): void {
    this.queues.render(this.inbox.queues());
    this.statusBar.setCounts(this.inbox.countsText());
    const label = QUEUES.find((q) => q.id === this.inbox.queue)?.label ?? "";
    this.listPane.setScope(this.inbox.filters.search, this.inbox.searchingEveryQueue, label);
  }

  private renderSummary(): void {
    this.listPane.setSummary(this.inbox.summary(this.activeList().total, !this.inbox.quarantine && this.searchCapped));
  }

  private setQueue(queue: QueueId): void {
    if (this.inbox.setQueue(queue)) {
      this.listPane.showQuarantine(this.inbox.quarantine);
      this.renderQueues();
      void this.reload();
    }
    this.showView("list");
    this.activeViewport().focus();
  }

  private searchEveryQueue(): void {
    if (this.inbox.searchEveryQueue()) {
      this.renderQueues();
      void this.reload();
    }
  }

  private renderEmptyDocuments(): HTMLElement {
    const view = this.sync.view;
    const mailbox = { configured: view?.configured ?? true, syncing: view?.syncing ?? false };
    const reason = this.inbox.emptyReason(mailbox);
    const p = view?.progress;
    let elsewhere = null;
    if (reason === "no-match" && this.searchCounts) {
      if (this.inbox.searchingEveryQueue) {
        const found = this.searchCounts.new + this.searchCounts.needs_action + this.searchCounts.filed;
        if (found && this.inbox.filtered()) {
          elsewhere = { text: `${found} ${found === 1 ? "document matches" : "documents match"} the search but not the filters`, label: "clear the filters", show: () => this.clearFilters() };
        }
      } else {
        const where = this.inbox.searchElsewhere(this.searchCounts);
        if (where) elsewhere = { text: where.text, show: () => this.searchEveryQueue() };
      }
    }
    return renderEmptyList(reason, this.searchHint, {
      elsewhere,
      openSettings: () => void this.settings.show(),
      progress: p && p.total > 0 ? `Syncing ${p.done} of ${p.total}` : null,
    });
  }

  private clearFilters(): void {
    this.inbox.clearFilters();
    this.listPane.resetFilters();
    void this.reload();
  }

  /** Loads the list again from its first row (a new queue, search or filter). */
  private async reload(): Promise<void> {
    this.listPane.setFilterCount(this.inbox.activeFilterCount());
    this.renderQueues();
    const seq = this.inbox.beginReload();
    const search = this.inbox.filters.search;
    this.listPane.loading();
    await this.activeList().reset();
    if (!this.inbox.isCurrentReload(seq)) return;
    this.listPane.loaded(search);
    this.renderSummary();
  }

  /** Fetches the rows in view and the counts again (after a sync or a status change). */
  private async refreshLists(): Promise<void> {
    this.lastListRefresh = Date.now();
    await Promise.all([this.activeList().refresh(), this.refreshCounts()]);
    this.renderSummary();
  }

  private async refreshCounts(): Promise<void> {
    try {
      this.inbox.setStatus(await api.appStatus());
      this.renderQueues();
    } catch {
      /* keep the last counts; the list itself reports errors */
    }
  }

  private async loadSenders(): Promise<void> {
    try {
      this.listPane.setSenders(await api.listSenders());
    } catch {
      /* the filter stays at "Any sender" */
    }
  }

  // ----- the selection and the document pane ------------------------------------------------------

  /** The list's selected row changed: the pane follows it (see state/selection.ts). */
  private follow(row: SelectedRow | null): void {
    const before = this.selection.pane;
    const ticket = this.selection.follow(row);
    if (this.selection.pane !== before) this.docPane.render(this.selection.pane);
    if (!ticket) return;
    window.clearTimeout(this.followTimer);
    this.followTimer = window.setTimeout(() => void this.load(ticket), FOLLOW_DELAY_MS);
  }

  /** Fetches what `ticket` selected and shows it, if it is still the selection. */
  private async load(ticket: Ticket): Promise<void> {
    if (!this.selection.isCurrent(ticket)) return;
    const t = ticket.target;
    let changed: boolean;
    if (t.kind === "document") {
      const answer = await settle(api.openDocument(t.id));
      changed = answer.ok ? this.selection.showDocument(ticket, answer.value) : this.selection.showError(ticket, `This document could not be opened: ${messageOf(answer.error)}`);
    } else {
      const answer = await settle(api.openQuarantined(t.messageId));
      changed = answer.ok ? this.selection.showQuarantined(ticket, answer.value) : this.selection.showError(ticket, `This message could not be opened: ${messageOf(answer.error)}`);
    }
    if (!changed) return;
    this.docPane.render(this.selection.pane);
    if (this.focusOnArrival === ticket.seq) {
      this.focusOnArrival = null;
      this.docPane.focusContent();
    }
  }

  /** Enter or a click: read the selected document (focus moves into it once it is shown). */
  private openSelected(): void {
    const p = this.selection.pane;
    if (this.single) this.showView("document");
    if (p.kind === "document" || p.kind === "quarantined" || p.kind === "error") this.docPane.focusContent();
    else if (p.kind === "loading") this.focusOnArrival = p.seq;
  }

  /**
   * Opens document `id` from a link (its replacement, the version it replaces, a document sharing
   * its identifier): its row is selected when it is in the list; otherwise no row is, and the
   * pane shows the linked document alone.
   */
  private async openLinked(id: number): Promise<void> {
    if (this.inbox.quarantine) return;
    const at = this.docs.findIndex((r) => r.id === id);
    if (at >= 0) {
      this.docs.select(at);
      this.openSelected();
      return;
    }
    this.docs.clearSelection();
    await this.showAlone(id, true);
  }

  /** Shows document `id` with no list row selected (a linked document, or one that left the list). */
  private async showAlone(id: number, focus: boolean): Promise<void> {
    const ticket = this.selection.select(documentTarget(id));
    this.docPane.render(this.selection.pane);
    if (focus) this.focusOnArrival = ticket.seq;
    await this.load(ticket);
  }

  private async saveQuarantined(messageId: number): Promise<void> {
    const answer = await settle(api.saveQuarantined(messageId));
    if (answer.ok) this.toast.show(`Saved the message as received: ${answer.value}`);
    else this.toast.show(`The message was not saved: ${messageOf(answer.error)}`, true);
  }

  private async markDealtWith(messageId: number, note: string): Promise<void> {
    if (this.selection.shownMessageId(messageId) === null) return;
    const answer = await settle(api.markQuarantineDealtWith(messageId, note));
    if (!answer.ok) {
      const e = toCommandError(answer.error);
      this.toast.show(e.code === "input" ? "Write what was done about this message first." : `Not marked as dealt with: ${e.message}`, true);
      return;
    }
    this.toast.show("Marked as dealt with. The message is kept.");
    // The row shows it; the selection follows the row's new state and reloads the message.
    await this.refreshLists();
    if (this.selection.shownMessageId(messageId) !== null) {
      const ticket = this.selection.select(quarantinedTarget(messageId));
      await this.load(ticket);
    }
  }

  /** Files the open document (or marks it); `documentId` when a button of that document asked. */
  private async setStatus(status: DocumentStatus, documentId?: number): Promise<void> {
    const target = this.selection.actionTarget(documentId);
    if (!target) {
      this.toast.show(this.inbox.quarantine ? "Quarantined messages are not filed: mark them as dealt with instead." : "No document is open: select one in the list first.");
      return;
    }
    const previous = target.view.row.status;
    if (previous === status) return;
    const answer = await settle(api.setDocumentStatus(target.id, status, target.expectedVersion));
    if (!answer.ok) {
      await this.actionFailed(answer.error, target.id, "The status was not changed");
      return;
    }
    const row = answer.value;
    const label = rowLabel(row);
    this.undo.record({ id: row.id, previous, status, version: row.version, label }, Date.now());
    this.toast.show(`${STATUS_WORDS[status]}: ${label}.`, false, { label: "Undo (u)", run: () => void this.undoLast() }, UNDO_MS);
    await this.moveOn(row.id, status !== "new");
  }

  /** After a status change: the lists are fetched again and, when asked, the next document opens. */
  private async moveOn(id: number, advance: boolean): Promise<void> {
    const focusList = !this.docPane.contains(document.activeElement) || !this.single;
    await this.refreshLists();
    // Still listed (all queues, or a search across them): move on to the next row ourselves.
    const stayed = this.docs.selectedItem()?.id === id;
    if (advance && stayed) {
      if (this.docs.selected < this.docs.total - 1) this.docs.move(1);
      else {
        this.docs.clearSelection();
      }
    }
    if (focusList && !this.single) this.activeViewport().focus();
  }

  /** Undoes the last status change: its document back to the status it had, if it has not changed since. */
  private async undoLast(): Promise<void> {
    const entry = this.undo.take(Date.now());
    if (!entry) {
      this.toast.show("Nothing to undo.");
      return;
    }
    const answer = await settle(api.setDocumentStatus(entry.id, entry.previous, entry.version));
    if (!answer.ok) {
      await this.actionFailed(answer.error, entry.id, "Not undone");
      return;
    }
    this.toast.show(`Undone: ${entry.label} is back in ${STATUS_NAMES[entry.previous]}.`);
    await this.refreshLists();
    const at = this.docs.findIndex((r) => r.id === entry.id);
    if (at >= 0) this.docs.select(at);
    else {
      this.docs.clearSelection();
      await this.showAlone(entry.id, false);
    }
  }

  /**
   * An action was refused. `document_changed`: someone else changed the document since it was
   * shown; it is reloaded in the pane (its row stays selected) and nothing else happens: the
   * person looks again and decides. `document_not_found`: it is gone; the lists are fetched again.
   */
  private async actionFailed(error: unknown, id: number, what: string): Promise<void> {
    const e = toCommandError(error);
    if (e.code === "document_changed") {
      this.undo.clear();
      void this.refreshCounts();
      if (this.selection.selected?.kind === "document" && this.selection.selected.id === id) {
        this.toast.show("This document was changed elsewhere; it has been reloaded. Nothing was changed: check it and try again.", true);
        const ticket = this.selection.select(documentTarget(id));
        this.docPane.render(this.selection.pane);
        await this.load(ticket);
      } else {
        this.toast.show(`${what}: the document was changed elsewhere since.`, true);
      }
      return;
    }
    if (e.code === "document_not_found") {
      this.undo.clear();
      this.toast.show("This document is no longer in the store; the list has been refreshed.", true);
      await this.refreshLists();
      return;
    }
    this.toast.show(`${what}: ${e.message}`, true);
  }

  // ----- sync ------------------------------------------------------------------------------------

  private async startSync(): Promise<void> {
    try {
      await api.onSyncStatus((view) => this.applySync(view));
    } catch {
      /* events unavailable: the periodic refresh still updates the banner */
    }
    await this.refreshSync();
  }

  private async refreshSync(): Promise<void> {
    try {
      this.applySync(await api.syncStatus());
    } catch (e) {
      this.syncIndicator.showUnavailable(messageOf(e));
    }
  }

  private applySync(view: SyncStatusView): void {
    const change = this.sync.apply(view);
    if (!change) return;
    this.staleSlot.show(view);
    this.syncIndicator.show(view, this.sync.buttonDisabled() ?? false);
    // When a sync finishes, show what arrived.
    if (change.refreshLists) {
      void this.refreshLists();
      void this.loadSenders();
    } else if (view.syncing && Date.now() - this.lastListRefresh > 3000) {
      // A long sync (the first one, say): show documents as they are stored.
      void this.refreshLists();
    } else if (this.activeList().total === 0) {
      // The empty list's wording follows the sync ("Fetching…", "No mailbox").
      this.activeList().render();
    }
  }

  async syncNow(): Promise<void> {
    if (!this.sync.request()) {
      if (this.sync.view && !this.sync.view.configured) this.toast.show("No mailbox is set up: open Mailbox to set one up.");
      return;
    }
    this.syncIndicator.showRequested();
    try {
      this.applySync(await api.syncNow());
    } catch (e) {
      this.toast.show(`Sync did not run: ${messageOf(e)}`, true);
      await this.refreshSync();
    } finally {
      this.sync.requestDone();
      const disabled = this.sync.buttonDisabled();
      if (disabled !== null) this.syncIndicator.setButtonDisabled(disabled);
    }
  }

  // ----- keyboard ----------------------------------------------------------------------------------

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    const tagName = target?.tagName ?? "";
    const inField = tagName === "INPUT" || tagName === "SELECT" || tagName === "TEXTAREA" || !!target?.isContentEditable;
    const inSearch = target === this.listPane.search;
    const inDocument = this.docPane.contains(target) && target?.tagName !== "BUTTON";
    if (this.help.open) {
      if (e.key === "Escape" || e.key === "?") {
        e.preventDefault();
        this.help.toggle(false);
      }
      return;
    }
    if (this.settings.open) {
      if (e.key === "Escape") {
        e.preventDefault();
        this.settings.close();
      }
      return;
    }
    // Buttons and links keep Enter and Space for themselves.
    if ((tagName === "BUTTON" || tagName === "A" || tagName === "SUMMARY") && (e.key === "Enter" || e.key === " ")) return;
    const action = keyAction({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inField, inSearch, inDocument });
    if (!action) return;
    e.preventDefault();
    this.run(action);
  }

  private jump(where: "summary" | "medicines" | "actions" | "next" | "previous"): void {
    if (this.single) this.showView("document");
    if (!this.docPane.jump(where)) {
      const p = this.selection.pane;
      if (p.kind === "document") this.toast.show(where === "medicines" ? "This document has no coded medicines." : where === "actions" ? "This document has no plan and requested actions section." : "No further section that way.");
    }
  }

  private run(action: Action): void {
    const viewport = this.activeViewport();
    const search = this.listPane.search;
    const queue = QUEUE_KEYS[action];
    if (queue) return this.setQueue(queue);
    switch (action) {
      case "next":
      case "previous":
        this.activeList().move(action === "next" ? 1 : -1);
        if (document.activeElement !== viewport && !(this.single && this.panes.dataset.view === "document")) viewport.focus();
        break;
      case "open":
        this.openSelected();
        break;
      case "back":
        if (document.activeElement === search && search.value) {
          viewport.focus();
        } else if (document.activeElement === viewport && this.inbox.filters.search) {
          search.value = "";
          this.inbox.setSearch("");
          void this.reload();
        } else {
          this.showView("list");
          viewport.focus();
        }
        break;
      case "search":
        if (this.inbox.quarantine) this.setQueue("all");
        this.showView("list");
        search.focus();
        search.select();
        break;
      case "help":
        this.help.toggle();
        break;
      case "file":
        void this.setStatus("filed");
        break;
      case "needs-action":
        void this.setStatus("needs-action");
        break;
      case "mark-new":
        void this.setStatus("new");
        break;
      case "undo":
        void this.undoLast();
        break;
      case "sync":
        void this.syncNow();
        break;
      case "jump-summary":
        this.jump("summary");
        break;
      case "jump-medicines":
        this.jump("medicines");
        break;
      case "jump-actions":
        this.jump("actions");
        break;
      case "next-section":
        this.jump("next");
        break;
      case "previous-section":
        this.jump("previous");
        break;
      case "zoom-in":
        this.setZoom(1);
        break;
      case "zoom-out":
        this.setZoom(-1);
        break;
      case "zoom-reset":
        this.setZoom(0);
        break;
    }
  }
}
