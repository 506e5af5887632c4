// The inbox window, wired together: the state (state/) and the views (views/) connected to the
// Tauri commands (api.ts), the `sync-status` event, timers and the keyboard. What the window
// knows lives in the state modules, how it looks in the views; this file only connects them.
import { api, toCommandError, type DocumentStatus } from "./api";
import type { AppStatus } from "./bindings/AppStatus";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { QuarantineRow } from "./bindings/QuarantineRow";
import type { SyncStatusView } from "./bindings/SyncStatusView";
import { keyAction, type Action } from "./lib/keyboard";
import { InboxState, PAGE, type QueueId } from "./state/inbox";
import { documentTarget, quarantinedTarget, SelectionState } from "./state/selection";
import { SyncState } from "./state/sync";
import { saveAttachment, viewAttachment } from "./views/attachments";
import { StaleSlot, SyncIndicator } from "./views/banners";
import { DocumentPane } from "./views/documentpane";
import { helpButton, HelpPanel } from "./views/help";
import { ListPane, renderEmptyList, renderEmptyQuarantine, renderListError } from "./views/listpane";
import { QueueNav } from "./views/queues";
import { renderPendingRow, renderQuarantineRow, renderRow, ROW_HEIGHT } from "./views/rows";
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

export class App {
  private readonly inbox: InboxState;
  private readonly selection = new SelectionState();
  private readonly sync = new SyncState();

  private readonly syncIndicator = new SyncIndicator(() => void this.syncNow());
  private readonly staleSlot = new StaleSlot();
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
  });
  private readonly docPane = new DocumentPane({
    setStatus: (id, status) => void this.setStatus(status, id),
    openDocument: (id) => void this.openDocument(id, true),
    viewAttachment: (id, index, target, scope) => void viewAttachment(target, scope, index, () => api.openAttachment(id, index)),
    saveAttachment: (id, index, target, scope) => void saveAttachment(target, scope, () => api.saveAttachment(id, index)),
    saveQuarantined: (messageId) => void this.saveQuarantined(messageId),
  });
  private readonly help = new HelpPanel(() => this.activeViewport());
  private readonly toast = new Toast();
  /** Why the last search found nothing without looking (it held only punctuation). */
  private searchHint: string | null = null;
  private readonly statusBar: StatusBar;
  private docs!: VirtualList<DocumentRow>;
  private quarantine!: VirtualList<QuarantineRow>;

  constructor(status: AppStatus) {
    this.inbox = new InboxState(status);
    this.statusBar = new StatusBar(status);
  }

  mount(root: HTMLElement): void {
    const s = this.syncIndicator;
    const syncBox = h("div", { class: "app-sync" }, s.text, s.progress, s.button, helpButton(() => this.help.toggle()));
    clear(root);
    root.append(
      h(
        "div",
        { class: "app-layout" },
        header(syncBox),
        this.staleSlot.element,
        h("main", { class: "app-panes", id: "main" }, this.queues.element, this.listPane.element, this.docPane.element),
        this.statusBar.element,
        this.help.element,
        this.toast.element,
      ),
    );
    this.renderQueues();

    const common = { rowHeight: ROW_HEIGHT, pageSize: PAGE, overscan: 8, renderPending: renderPendingRow, onTotal: () => this.renderSummary() };
    this.docs = new VirtualList<DocumentRow>({
      ...common,
      viewport: this.listPane.viewport,
      fetchPage: async (offset, limit) => {
        const page = await api.listDocuments(this.inbox.query(offset, limit));
        this.searchHint = page.search_hint;
        return page;
      },
      renderRow: (row, i, total, selected) => renderRow(row, i, total, selected, new Date()),
      renderEmpty: () => renderEmptyList(this.inbox.emptyReason(), this.searchHint),
      renderError: (e) => renderListError(`The list could not be loaded: ${messageOf(e)}`),
      onOpen: (row) => void this.openDocument(row.id, false),
    });
    this.quarantine = new VirtualList<QuarantineRow>({
      ...common,
      viewport: this.listPane.quarantineViewport,
      fetchPage: async (offset, limit) => {
        const rows = await api.listQuarantine(offset, limit);
        return { total: this.inbox.quarantineTotal(offset, rows.length, limit), rows };
      },
      renderRow: (row, i, total, selected) => renderQuarantineRow(row, i, total, selected, new Date()),
      renderEmpty: renderEmptyQuarantine,
      renderError: (e) => renderListError(`Quarantine could not be loaded: ${messageOf(e)}`),
      onOpen: (row) => void this.openQuarantined(row.message.message_id, false),
    });

    document.addEventListener("keydown", (e) => this.onKey(e));
    void this.reload();
    void this.loadSenders();
    void this.startSync();
    this.listPane.viewport.focus();
    // Relative times and the "as of" wording follow the clock even without events.
    window.setInterval(() => void this.refreshSync(), 30_000);
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
  }

  private renderSummary(): void {
    this.listPane.setSummary(this.inbox.summary(this.activeList().total));
  }

  private setQueue(queue: QueueId): void {
    if (this.inbox.setQueue(queue)) {
      this.listPane.showQuarantine(this.inbox.quarantine);
      this.renderQueues();
      void this.reload();
    }
    this.activeViewport().focus();
  }

  /** Loads the list again from its first row (a new queue, search or filter). */
  private async reload(): Promise<void> {
    this.listPane.setFilterCount(this.inbox.activeFilterCount());
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

  /** Selects document `id` and shows it when it arrives (focusing it if asked). */
  async openDocument(id: number, focusDocument = true): Promise<void> {
    const ticket = this.selection.select(documentTarget(id));
    this.docPane.render(this.selection.pane);
    const answer = await settle(api.openDocument(id));
    this.paneChanged(
      answer.ok ? this.selection.showDocument(ticket, answer.value) : this.selection.showError(ticket, `This document could not be opened: ${messageOf(answer.error)}`),
      focusDocument,
    );
  }

  private async openQuarantined(messageId: number, focusDocument = true): Promise<void> {
    const ticket = this.selection.select(quarantinedTarget(messageId));
    this.docPane.render(this.selection.pane);
    const answer = await settle(api.openQuarantined(messageId));
    this.paneChanged(
      answer.ok ? this.selection.showQuarantined(ticket, answer.value) : this.selection.showError(ticket, `This message could not be opened: ${messageOf(answer.error)}`),
      focusDocument,
    );
  }

  private async saveQuarantined(messageId: number): Promise<void> {
    const answer = await settle(api.saveQuarantined(messageId));
    if (answer.ok) this.toast.show(`Saved the message as received: ${answer.value}`);
    else this.toast.show(`The message was not saved: ${messageOf(answer.error)}`, true);
  }

  /** Draws the pane again if the selection state took an answer; focuses what arrived if asked. */
  private paneChanged(changed: boolean, focus: boolean): void {
    if (!changed) return;
    this.docPane.render(this.selection.pane);
    const kind = this.selection.pane.kind;
    if (focus && (kind === "document" || kind === "quarantined")) this.docPane.focusContent();
  }

  /** Files the open document (or marks it); `documentId` when a button of that document asked. */
  private async setStatus(status: DocumentStatus, documentId?: number): Promise<void> {
    const target = this.selection.actionTarget(documentId);
    if (!target) {
      this.toast.show("Open a document first: press Enter on the selected row.");
      return;
    }
    if (target.view.row.status === status) return;
    try {
      const row = await api.setDocumentStatus(target.id, status, target.view.row.version);
      this.toast.show(`${STATUS_WORDS[status]}: ${row.patient_name ?? "document"}${row.title ? `, ${row.title}` : ""}.`);
      await this.openDocument(row.id, false);
      await this.refreshLists();
      this.activeViewport().focus();
    } catch (e) {
      this.toast.show(`The status was not changed: ${messageOf(e)}`, true);
    }
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
    }
  }

  async syncNow(): Promise<void> {
    if (!this.sync.request()) return;
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
    // Buttons and links keep Enter and Space for themselves.
    if ((tagName === "BUTTON" || tagName === "A" || tagName === "SUMMARY") && (e.key === "Enter" || e.key === " ")) return;
    const action = keyAction({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inField, inSearch, inDocument });
    if (!action) return;
    e.preventDefault();
    this.run(action);
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
        if (document.activeElement !== viewport) viewport.focus();
        break;
      case "open":
        if (this.inbox.quarantine) {
          const q = this.quarantine.selectedItem();
          if (q) void this.openQuarantined(q.message.message_id);
        } else {
          const row = this.docs.selectedItem();
          if (row) void this.openDocument(row.id);
        }
        break;
      case "back":
        if (document.activeElement === search && search.value) {
          viewport.focus();
        } else if (document.activeElement === viewport && this.inbox.filters.search) {
          search.value = "";
          this.inbox.setSearch("");
          void this.reload();
        } else {
          viewport.focus();
        }
        break;
      case "search":
        if (this.inbox.quarantine) this.setQueue("all");
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
      case "sync":
        void this.syncNow();
        break;
    }
  }
}
