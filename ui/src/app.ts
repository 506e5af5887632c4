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
import { countAll, InboxState, PAGE, QUEUES, type QueueId } from "./state/inbox";
import { LANE_LABELS } from "./lib/workflow";
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
import type { CurrentUser } from "./bindings/CurrentUser";
import type { Task } from "./bindings/Task";
import type { User } from "./bindings/User";
import type { WorkStep } from "./bindings/WorkStep";
import type { MedrecView } from "./bindings/MedrecView";
import { followUpWords, signedOffListVersion, undecidedUnchanged } from "./lib/medrec";
import { formatDate } from "./lib/format";
import { can, namesOf, nextUndecided, refusalText, refusedStepText, registerNotice, ukTimesIn, taskQuery, type TaskFilter } from "./lib/workflow";
import { UserState } from "./state/user";
import { AuditPage } from "./views/audit";
import { RegisterSlot } from "./views/banners";
import { MEDREC_DUE_ALL, MEDREC_DUE_LIMIT, TasksPage } from "./views/tasks";
import { MedrecSummaryDialog } from "./views/medrecsummary";
import { UserBox, UserChooser } from "./views/users";
import { openAssignIn, openRejectIn } from "./views/workflow";

/** What the toast says after a workflow step. */
const STEP_WORDS: Record<WorkStep["step"], string> = {
  file: "Filed",
  "needs-action": "Marked as needs action",
  reopen: "Moved to New",
  match: "Matched to the register",
  "undo-match": "Match undone",
  "awaiting-registration": "Marked awaiting registration",
  reject: "Rejected as not known",
  decide: "Decision recorded",
  assign: "Assigned",
  claim: "Claimed",
  "sign-off": "GP review signed off",
  note: "Note added",
};

/** A page shown instead of the list and the document. */
type Page = "tasks" | "audit";

const QUEUE_KEYS: Partial<Record<Action, QueueId>> = {
  "queue-new": "new",
  "queue-needs-action": "needs-action",
  "queue-quarantine": "quarantine",
  "queue-filed": "filed",
  "queue-all": "all",
  "queue-needs-gp-review": "needs-gp-review",
  "queue-unmatched": "unmatched",
  "queue-rejected": "rejected",
  "queue-superseded": "superseded",
};

/** What the toast says after a status change made from the keyboard or the action bar. */
const STATUS_WORDS: Partial<Record<DocumentStatus, string>> = { filed: "Filed", "needs-action": "Marked as needs action", new: "Moved to New" };

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
  private readonly user: UserState;
  private users: User[] = [];
  private readonly userBox = new UserBox(() => void this.chooser.show(!this.user.current, this.user.current));
  private readonly chooser = new UserChooser(
    {
      list: async () => (this.users = await api.listUsers()),
      choose: async (name) => {
        const answer = await settle(api.chooseUser(name));
        if (!answer.ok) return messageOf(answer.error);
        this.setUser(answer.value);
        return null;
      },
      add: async (name, role) => {
        const answer = await settle(api.addUser(name, role));
        return answer.ok ? null : messageOf(answer.error);
      },
    },
    () => this.activeViewport(),
  );
  private readonly registerSlot = new RegisterSlot();
  private page: Page | null = null;
  private taskFilter: TaskFilter = "mine";
  private readonly tasksPage = new TasksPage({
    filter: (f) => {
      this.taskFilter = f;
      void this.loadTasks();
    },
    done: (t) => void this.completeTask(t),
    open: (t) => void this.openTask(t),
    openMedrec: (id) => void this.openAtMedrec(id),
    moreDue: () => {
      this.medrecDueLimit = MEDREC_DUE_ALL;
      // Focus goes to the first row that was not shown before.
      void this.loadMedrecDue().then(() => this.tasksPage.focusDueRow(MEDREC_DUE_LIMIT));
    },
  });
  /** How many reconciliations waiting for sign-off the Tasks view lists. */
  private medrecDueLimit = MEDREC_DUE_LIMIT;
  private readonly medrecSummary = new MedrecSummaryDialog(
    {
      print: async (id) => {
        const answer = await settle(api.medrecPrint(id));
        return answer.ok ? null : refusalText(toCommandError(answer.error).code, messageOf(answer.error));
      },
    },
    () => document.getElementById("medrec-summary-open") ?? this.activeViewport(),
  );
  private readonly auditPage = new AuditPage({
    search: (q) => void this.loadAudit(q),
    verify: () => void this.verifyAudit(),
    export: () => void this.exportAudit(),
  });
  /** Documents marked for filing together (x), by id, with the version seen when marked. */
  private readonly marked = new Map<number, { version: number; label: string }>();
  private prefs: Prefs;

  private readonly syncIndicator = new SyncIndicator(() => void this.syncNow());
  private readonly staleSlot = new StaleSlot(() => void this.settings.show());
  private readonly queues = new QueueNav(
    (queue) => this.setQueue(queue),
    (page) => void this.showPage(page),
  );
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
    step: (id, step, focus) => void this.step(id, step, focus),
    people: () => ({ user: this.user.current, users: this.users }),
    medrecDecide: (id, row, choice, intent, note, due) =>
      void this.medrecAct(id, "Decision", (v) => api.medrecDecide(id, v, { row, choice, intent, note, follow_up_due: due }), { kind: "decision", row }),
    medrecSignOff: (id) => void this.medrecAct(id, "Reconciliation signed off", (v) => api.medrecSignOff(id, v), { kind: "sign-off" }),
    medrecConfirmUnchanged: (id) => {
      const n = this.docPane.medrec?.view ? undecidedUnchanged(this.docPane.medrec.view) : 0;
      void this.medrecAct(id, `Confirmed unchanged: ${n} ${n === 1 ? "row" : "rows"} recorded as “Keep practice version”`, (v) => api.medrecConfirmUnchanged(id, v), { kind: "confirm" });
    },
    medrecSummary: (id) => void this.medrecSummary.show(id, api.medrecSummary(id)),
    medrecExport: (id) => void this.medrecExport(id),
    openDocument: (id) => void this.openLinked(id),
    viewAttachment: (id, index, target, scope) => void viewAttachment(target, scope, index, () => api.openAttachment(id, index)),
    saveAttachment: (id, index, target, scope) => void saveAttachment(target, scope, () => api.saveAttachment(id, index)),
    fetchDocument: (id) => api.openDocument(id),
    saveQuarantined: (messageId) => void this.saveQuarantined(messageId),
    markDealtWith: (messageId, note) => void this.markDealtWith(messageId, note),
    matchQuarantined: (messageId, nhs, reason) => void this.matchQuarantined(messageId, nhs, reason),
  });
  private readonly help = new HelpPanel(() => this.activeViewport());
  private readonly settings = new SettingsDialog(
    {
      load: () => api.mailboxSettings(),
      test: () => api.testMailboxNow(),
      save: (input) => api.saveMailbox(input),
      savePractice: (url, password) => api.savePracticeServer(url, password),
      people: () => api.listUsers(),
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
  /** The document last recorded as viewed (so a reload after a step is not another view). */
  private viewed: number | null = null;
  /** What to focus in document `id` when it is next shown (a task's action, its reconciliation). */
  private workOnArrival: { id: number; key: string } | null = null;
  /** Said at the top of the reconciliation when document `id` is next shown. */
  private medrecNotice: { id: number; text: string } | null = null;
  /** Open tasks for the person working (mine and my role's), for the navigation's count. */
  private taskCount: number | null = null;
  private lastListRefresh = 0;

  constructor(status: AppStatus) {
    this.inbox = new InboxState(status);
    this.statusBar = new StatusBar(status);
    this.prefStore = new PrefStore(typeof localStorage === "undefined" ? null : localStorage, status.store.data_dir);
    this.prefs = this.prefStore.load();
    this.user = new UserState(typeof localStorage === "undefined" ? null : localStorage, status.store.data_dir);
  }

  mount(root: HTMLElement): void {
    const s = this.syncIndicator;
    const settingsButton = h("button", { type: "button", class: "app-sync__button app-sync__help", id: "settings-button", onclick: () => void this.settings.show() }, "Mailbox");
    const syncBox = h("div", { class: "app-sync" }, this.userBox.element, s.text, s.progress, s.button, settingsButton, helpButton(() => this.help.toggle()));
    this.listPane.element.id = "list-pane";
    this.panes = h("main", { class: "app-panes", id: "main", "data-view": "list" }, this.queues.element, this.listPane.element, this.splitter, this.docPane.element, this.tasksPage.element, this.auditPage.element);
    clear(root);
    root.append(
      h(
        "div",
        { class: "app-layout" },
        header(syncBox),
        h("div", { class: "app-banners" }, this.staleSlot.element, this.registerSlot.element),
        this.panes,
        this.statusBar.element,
        this.help.element,
        this.settings.element,
        this.chooser.element,
        this.medrecSummary.element,
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
      renderRow: (row, i, total, selected) => this.drawRow(row, i, total, selected),
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
    void this.startUser();
    void this.refreshRegister();
    // Relative times and the "as of" wording follow the clock even without events.
    window.setInterval(() => void this.refreshSync(), 30_000);
    window.setInterval(() => void this.refreshRegister(), 300_000);
    // Another process on this computer may change the store (`handover register import`, a
    // filing from the command line): the lists and the open document follow within seconds.
    window.setInterval(() => void this.followStoreChanges(), 4_000);
  }

  private async followStoreChanges(): Promise<void> {
    const changed = await settle(api.storeChanged());
    if (!changed.ok || !changed.value) return;
    await this.refreshLists();
    void this.reloadOpenDocumentIfChanged();
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
    this.queues.render(this.inbox.queues().map((q) => (this.page ? { ...q, current: false } : q)));
    this.renderPages();
    this.statusBar.setCounts(this.inbox.countsText());
    const label = QUEUES.find((q) => q.id === this.inbox.queue)?.label ?? "";
    this.listPane.setScope(this.inbox.filters.search, this.inbox.searchingEveryQueue, label);
  }

  private renderSummary(): void {
    this.listPane.setSummary(this.inbox.summary(this.activeList().total, !this.inbox.quarantine && this.searchCapped));
  }

  private setQueue(queue: QueueId): void {
    this.hidePage();
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
        const found = countAll(this.searchCounts);
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
    // The register may have been imported since (from the command line): say so at once.
    void this.refreshRegister();
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
      const [answer, work, medrec] = await Promise.all([settle(api.openDocument(t.id)), settle(api.documentWorkflow(t.id)), settle(api.medrecView(t.id))]);
      if (this.selection.isCurrent(ticket)) {
        const notice = this.medrecNotice?.id === t.id ? this.medrecNotice.text : null;
        this.medrecNotice = null;
        const status = this.docPane.medrec?.documentId === t.id ? (this.docPane.medrec.status ?? null) : null;
        this.docPane.medrec = { documentId: t.id, view: medrec.ok ? medrec.value : null, error: medrec.ok ? null : messageOf(medrec.error), notice, status };
      }
      changed = answer.ok
        ? this.selection.showDocument(ticket, answer.value, work.ok ? work.value : null, work.ok ? null : messageOf(work.error))
        : this.selection.showError(ticket, `This document could not be opened: ${messageOf(answer.error)}`);
      // The audit trail records who opened which document (not who merely passed it in the list).
      if (changed && answer.ok && this.user.current && this.viewed !== t.id) {
        this.viewed = t.id;
        void settle(api.documentViewed(t.id));
      }
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
    if (this.workOnArrival && t.kind === "document" && this.workOnArrival.id !== t.id) this.workOnArrival = null;
    if (this.workOnArrival && t.kind === "document" && this.workOnArrival.id === t.id) {
      const key = this.workOnArrival.key;
      this.workOnArrival = null;
      if (!this.docPane.focusWork(key) && key !== "medrec") this.docPane.focusWork("medrec");
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

  /** Keeps a quarantined message's document, matched by hand; then shows that document. */
  private async matchQuarantined(messageId: number, nhs: string, reason: string): Promise<void> {
    if (this.selection.shownMessageId(messageId) === null) return;
    const answer = await settle(api.matchQuarantined(messageId, nhs, reason));
    if (!answer.ok) {
      this.toast.show(`Not kept: ${messageOf(answer.error)}`, true);
      return;
    }
    this.toast.show("Kept and matched to the registered patient. It is now in the inbox; the message stays recorded.");
    await this.refreshLists();
    await this.showAlone(answer.value.id, true);
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
      if (this.explainRefusal(answer.error, status === "filed" ? "Not filed" : "The status was not changed")) return;
      await this.actionFailed(answer.error, target.id, "The status was not changed");
      return;
    }
    const row = answer.value;
    const label = rowLabel(row);
    this.undo.record({ id: row.id, previous, status, version: row.version, label }, Date.now());
    this.toast.show(`${STATUS_WORDS[status] ?? LANE_LABELS[status]}: ${label}.`, false, { label: "Undo (u)", run: () => void this.undoLast() }, UNDO_MS);
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
    this.toast.show(`Undone: ${entry.label} is back in ${LANE_LABELS[entry.previous]}.`);
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
    if (e.code === "already_filed") {
      // Another person filed it first (on another computer): their filing is shown.
      this.undo.clear();
      this.toast.show(`${what}: ${ukTimesIn(e.message)}.`, true);
      await this.refreshLists();
      if (this.selection.selected?.kind === "document" && this.selection.selected.id === id) {
        await this.load(this.selection.select(documentTarget(id)));
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

  // ----- who is working ---------------------------------------------------------------------------

  /** At start: the person the app was started as, else the one chosen last time here, else ask. */
  private async startUser(): Promise<void> {
    const now = await settle(api.currentUser());
    let user = now.ok ? now.value : null;
    if (!user) {
      const remembered = this.user.remembered();
      if (remembered) {
        const chosen = await settle(api.chooseUser(remembered));
        if (chosen.ok) user = chosen.value;
      }
    }
    if (user) this.setUser(user);
    else {
      this.userBox.show(null);
      await this.chooser.show(true, null);
    }
  }

  private async followPracticePerson(): Promise<void> {
    const now = await settle(api.currentUser());
    if (now.ok && now.value) {
      if (this.chooser.open) this.chooser.close();
      this.setUser(now.value);
    }
  }

  private async loadUsers(): Promise<void> {
    try {
      this.users = await api.listUsers();
    } catch {
      /* delegating offers the role lanes only */
    }
  }

  private setUser(user: CurrentUser): void {
    const changed = this.user.current?.name !== user.name;
    this.user.set(user);
    this.userBox.show(user);
    void this.loadUsers();
    if (!changed) return;
    this.marked.clear();
    this.viewed = null;
    // The header says who is working now (and announces it: it is a live region).
    void this.refreshTaskCount();
    if (this.page === "tasks") void this.loadTasks();
    if (this.page === "audit") {
      if (this.mayAudit()) void this.loadAuditPage();
      else this.setQueue(this.inbox.queue);
    }
    this.renderPages();
    // The open document's controls follow the person's role.
    const id = this.selection.openDocumentId;
    if (id !== null) void this.reshow(id);
  }

  private mayAudit(): boolean {
    return can(this.user.current, "verify-audit") || can(this.user.current, "export");
  }

  // ----- workflow steps -------------------------------------------------------------------------------

  /** Shows document `id` again (after a step), keeping the list where it is; then focuses `focus`. */
  private async reshow(id: number, focus?: string): Promise<void> {
    const at = this.docs.findIndex((r) => r.id === id);
    if (at >= 0) {
      if (this.docs.selected !== at) this.docs.select(at);
    } else if (this.docs.selectedItem()) {
      this.docs.clearSelection();
    }
    const ticket = this.selection.select(documentTarget(id));
    await this.load(ticket);
    if (focus && this.selection.openDocumentId === id) {
      if (!this.docPane.focusWork(focus)) this.docPane.focusWork("panel");
    }
  }

  /** One workflow step on document `id` (the version shown), then the document is shown again. */
  private async step(id: number, step: WorkStep, focus?: string): Promise<void> {
    const target = this.selection.actionTarget(id);
    if (!target) {
      this.toast.show("This document is still opening: try again.");
      return;
    }
    const answer = await settle(api.workflowStep(id, target.expectedVersion, step));
    if (!answer.ok) {
      if (this.explainRefusal(answer.error, "Not done")) return;
      await this.actionFailed(answer.error, id, "Not done");
      return;
    }
    this.toast.show(`${STEP_WORDS[step.step]}: ${rowLabel(answer.value)}.`);
    await this.refreshLists();
    void this.refreshTaskCount();
    await this.reshow(id, focus);
  }

  /**
   * A refusal the person can act on (undecided actions, GP review, not matched, permission,
   * already filed...): says it plainly and takes them to what is missing. False for the others
   * (changed elsewhere, not found), which `actionFailed` handles.
   */
  private explainRefusal(error: unknown, what: string): boolean {
    const e = toCommandError(error);
    if (e.code === "document_changed" || e.code === "document_not_found") return false;
    const text = `${what}: ${refusalText(e.code, e.message)}`;
    this.toast.show(text, true);
    // Beside the buttons too, unless the reasons not to file are already shown there.
    const message = this.docPane.element.querySelector("#action-message");
    if (message && !this.docPane.element.querySelector("#file-blockers")) message.textContent = text;
    if (e.code === "actions_undecided") this.focusNextUndecided(true);
    else if (e.code === "gp_review_required") this.docPane.focusWork("review");
    else if (e.code === "not_matched") this.docPane.focusWork("match");
    else if (e.code === "no_user") void this.chooser.show(true, null);
    return true;
  }

  /**
   * A reconciliation action on document `id`, sent with the version of the reconciliation shown;
   * then the document is shown again and focus goes to the next row without a decision (or Sign
   * off). `document_changed`: the reconciliation is reloaded and says so; nothing was recorded.
   */
  private async medrecAct(id: number, what: string, send: (expectedVersion: number) => Promise<MedrecView>, act: { kind: "decision"; row: string } | { kind: "sign-off" } | { kind: "confirm" }): Promise<void> {
    const shown = this.docPane.medrec;
    if (!shown || shown.documentId !== id || !shown.view || this.selection.openDocumentId !== id) {
      this.toast.show("This document is still opening: try again.");
      return;
    }
    const answer = await settle(send(shown.view.version));
    if (!answer.ok) {
      const e = toCommandError(answer.error);
      if (e.code === "document_changed") {
        const text = "This document was changed elsewhere since you opened it; the reconciliation has been reloaded. Nothing was recorded: check it and decide again.";
        this.medrecNotice = { id, text };
        this.toast.show(text, true);
        await this.refreshLists();
        await this.reshow(id, "medrec");
        return;
      }
      if (this.explainRefusal(answer.error, "Not done")) {
        this.docPane.focusWork("medrec");
        return;
      }
      await this.actionFailed(answer.error, id, "Not done");
      return;
    }
    const v = answer.value;
    await this.refreshLists();
    await this.reshow(id, "medrec");
    const left = v.undecided ? `${v.undecided} ${v.undecided === 1 ? "row" : "rows"} left` : "every row decided; sign off when ready";
    if (act.kind === "sign-off") {
      const p = this.selection.pane;
      const version = p.kind === "document" && p.work ? signedOffListVersion(p.work.events) : null;
      this.toast.show(`${what}: the reconciled list is now ${version ? `version ${version} of` : "the next version of"} the practice list.`);
    } else if (act.kind === "confirm") {
      this.toast.show(`${what}; ${left}.`);
    } else {
      // A query to the hospital or an on-hold medicine opened a follow-up task.
      const decided = v.rows.find((r) => r.key === act.row)?.decision ?? null;
      const followUp = decided ? followUpWords(decided) : null;
      this.toast.show(`${what} recorded: ${left}.${followUp?.open ? ` A follow-up task for you is due ${formatDate(followUp.due)} (in Tasks).` : ""}`);
      if (followUp) void this.refreshTaskCount();
    }
  }

  /** Saves the signed-off reconciled list as FHIR; says where (or why not) under the buttons. */
  private async medrecExport(id: number): Promise<void> {
    const answer = await settle(api.medrecExport(id));
    const status = answer.ok
      ? { text: `Saved the reconciled list (FHIR STU3 Bundle, JSON): ${answer.value}`, error: false }
      : { text: `Not exported: ${refusalText(toCommandError(answer.error).code, messageOf(answer.error))}`, error: true };
    this.docPane.setMedrecStatus(id, status);
    if (!answer.ok) this.toast.show(status.text, true);
  }

  /** `y`: the reconciliation's next row without a decision, else Sign off. */
  private focusMedrec(): void {
    this.workKey(() => this.docPane.focusWork("medrec"), "This document has no medicines to reconcile.");
  }

  /** `d`: focus the next requested action without a decision (after the one focused). */
  private focusNextUndecided(quiet = false): void {
    const p = this.selection.pane;
    if (p.kind !== "document" || !p.work) {
      if (!quiet) this.toast.show("No document is open: select one in the list first.");
      return;
    }
    if (this.single) this.showView("document");
    const current = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-action-index]");
    const after = current ? Number(current.dataset.actionIndex) : null;
    const next = nextUndecided(p.work.actions, after);
    if (!next) {
      if (!quiet) this.toast.show(p.work.actions.some((a) => a.needs_decision) ? "Every requested action for the practice has a decision." : "This document has no requested actions for the practice to decide.");
      return;
    }
    this.docPane.focusWork(`action-${next.index}`);
  }

  /** A workflow key: runs `go` on the open document, or says why it cannot. */
  private workKey(go: () => boolean, why: string): void {
    if (this.selection.pane.kind !== "document") {
      this.toast.show("No document is open: select one in the list first.");
      return;
    }
    if (this.single) this.showView("document");
    if (!go()) this.toast.show(why);
  }

  // ----- filing several documents together --------------------------------------------------------------

  /** `x`: marks (or unmarks) the selected document for filing with others. */
  private toggleMarked(): void {
    if (this.inbox.quarantine) return;
    const row = this.docs.selectedItem();
    if (!row) {
      this.toast.show("Select a document in the list first.");
      return;
    }
    if (this.marked.has(row.id)) {
      this.marked.delete(row.id);
      this.toast.show(`Unmarked: ${rowLabel(row)}. ${this.marked.size} marked for filing.`);
    } else if (row.flags.practice_actions > 0) {
      this.toast.show(`Not marked: ${rowLabel(row)} asks something of the practice. Open it and decide its actions, then file it on its own.`, true);
      return;
    } else if (row.status === "filed" || row.status === "rejected" || row.status === "superseded") {
      this.toast.show(`Not marked: ${rowLabel(row)} is already ${row.status}.`, true);
      return;
    } else {
      this.marked.set(row.id, { version: row.version, label: rowLabel(row) });
      this.toast.show(`Marked for filing: ${this.marked.size} ${this.marked.size === 1 ? "document" : "documents"}. Press Shift + f to file them.`);
    }
    this.docs.render();
  }

  /** Shift + f: files every marked document (each at the version seen when it was marked). */
  private async fileMarked(): Promise<void> {
    if (!this.marked.size) {
      this.toast.show("No documents are marked: press x on each document to file together.");
      return;
    }
    const done: string[] = [];
    const refused: string[] = [];
    for (const [id, m] of [...this.marked]) {
      const answer = await settle(api.workflowStep(id, m.version, { step: "file", note: null }));
      if (answer.ok) done.push(m.label);
      else {
        const e = toCommandError(answer.error);
        refused.push(`${m.label}: ${e.code === "document_changed" ? "it changed since it was marked; open it and look again" : refusalText(e.code, e.message)}`);
      }
    }
    this.marked.clear();
    const text = `Filed ${done.length} ${done.length === 1 ? "document" : "documents"}.${refused.length ? ` Not filed (${refused.length}): ${refused.join("; ")}` : ""}`;
    this.toast.show(text, refused.length > 0, null, refused.length ? 15000 : 5000);
    await this.refreshLists();
  }

  /** A row as drawn, with its mark for filing together. */
  private drawRow(row: DocumentRow, i: number, total: number, selected: boolean): HTMLElement {
    const el = renderRow(row, i, total, selected, new Date());
    el.setAttribute("data-practice-actions", String(row.flags.practice_actions));
    if (this.marked.has(row.id)) {
      el.classList.add("app-row--marked");
      el.setAttribute("data-marked", "true");
      const label = el.getAttribute("aria-label");
      if (label) el.setAttribute("aria-label", `Marked for filing. ${label}`);
      el.prepend(h("span", { class: "app-row__mark" }, "Marked for filing"));
    }
    return el;
  }

  // ----- pages: Tasks, Audit ---------------------------------------------------------------------------

  private renderPages(): void {
    const pages: { id: Page; label: string; count: number | null; current: boolean; key: string }[] = [{ id: "tasks", label: "Tasks", count: this.taskCount, current: this.page === "tasks", key: "t" }];
    if (this.mayAudit()) pages.push({ id: "audit" as const, label: "Audit and report", count: null, current: this.page === "audit", key: "l" });
    this.queues.renderPages(pages.map((p) => ({ ...p, key: p.key || null })));
  }

  private async showPage(page: Page): Promise<void> {
    this.page = page;
    this.panes.dataset.page = page;
    this.tasksPage.element.hidden = page !== "tasks";
    this.auditPage.element.hidden = page !== "audit";
    this.renderQueues();
    if (page === "tasks") {
      this.tasksPage.heading.focus();
      await this.loadTasks();
    } else {
      this.auditPage.heading.focus();
      await this.loadAuditPage();
    }
  }

  private hidePage(): void {
    if (!this.page) return;
    this.page = null;
    delete this.panes.dataset.page;
    this.tasksPage.element.hidden = true;
    this.auditPage.element.hidden = true;
    this.renderQueues();
  }

  private async refreshTaskCount(): Promise<void> {
    const user = this.user.current;
    if (!user) return;
    try {
      const [mine, role] = await Promise.all([api.listTasks(taskQuery("mine", user, new Date())), api.listTasks(taskQuery("role", user, new Date()))]);
      const ids = new Set([...mine, ...role].map((t) => t.id));
      this.taskCount = ids.size;
    } catch {
      this.taskCount = null;
    }
    this.renderPages();
  }

  private async loadTasks(): Promise<void> {
    const user = this.user.current;
    const filter = this.taskFilter;
    if (!user) {
      this.tasksPage.error(filter, "choose who is working first");
      return;
    }
    this.tasksPage.loading(filter);
    void this.loadMedrecDue();
    const answer = await settle(api.listTasks(taskQuery(filter, user, new Date())));
    if (filter !== this.taskFilter) return;
    if (answer.ok) this.tasksPage.render(filter, answer.value, new Date());
    else this.tasksPage.error(filter, messageOf(answer.error));
  }

  /** The reconciliations waiting for sign-off, above the tasks (for those who may sign off). */
  private async loadMedrecDue(): Promise<void> {
    if (!can(this.user.current, "sign-off-medicines")) {
      this.tasksPage.hideDue();
      return;
    }
    this.tasksPage.dueLoading();
    const answer = await settle(api.medrecDue(this.medrecDueLimit));
    this.tasksPage.renderDue(answer.ok ? { rows: answer.value[0], total: answer.value[1] } : messageOf(answer.error), new Date());
  }

  private async completeTask(task: Task): Promise<void> {
    const answer = await settle(api.completeTask(task.id, null));
    if (!answer.ok) {
      this.toast.show(`Not marked done: ${refusalText(toCommandError(answer.error).code, messageOf(answer.error))}`, true);
      return;
    }
    this.toast.show(`Done: ${task.text.length > 60 ? `${task.text.slice(0, 57)}…` : task.text} (${task.patient_name ?? "patient not named"}).`);
    await this.loadTasks();
    void this.refreshTaskCount();
    this.tasksPage.heading.focus();
  }

  /** Opens a task's document: the All queue, its row selected if listed, else the document alone. */
  private async openTask(task: Task): Promise<void> {
    this.hidePage();
    if (this.inbox.queue !== "all" || this.inbox.filters.search) {
      this.listPane.search.value = "";
      this.inbox.setSearch("");
      this.inbox.setQueue("all");
      this.listPane.showQuarantine(false);
      await this.reload();
    }
    await this.openWork(task.document_id, task.medrec_row !== null ? `medrec-row:${task.medrec_row}` : `action-${task.action_index}`);
  }

  /** Opens document `id` from the Tasks view at its medicines reconciliation. */
  private async openAtMedrec(id: number): Promise<void> {
    this.hidePage();
    if (this.inbox.queue !== "all" || this.inbox.filters.search) {
      this.listPane.search.value = "";
      this.inbox.setSearch("");
      this.inbox.setQueue("all");
      this.listPane.showQuarantine(false);
      await this.reload();
    }
    await this.openWork(id, "medrec");
  }

  /** Opens document `id` and, once it is shown, focuses its work panel's `key` (see `focusWork`). */
  private async openWork(id: number, key: string): Promise<void> {
    this.workOnArrival = { id, key };
    await this.openLinked(id);
    // Already shown (it was open): nothing arrives, so focus it now.
    const p = this.selection.pane;
    if (this.workOnArrival && p.kind === "document" && p.view.row.id === id && this.docPane.medrec?.documentId === id) {
      this.workOnArrival = null;
      if (!this.docPane.focusWork(key) && key !== "medrec") this.docPane.focusWork("medrec");
    }
  }

  private async loadAuditPage(): Promise<void> {
    this.auditPage.permit(can(this.user.current, "verify-audit"), can(this.user.current, "export"), !!this.user.current?.practice_login);
    const [report] = await Promise.all([settle(api.conservationReport()), this.loadAudit(this.auditPage.query())]);
    this.auditPage.showReport(report.ok ? report.value : messageOf(report.error));
  }

  private async loadAudit(query: ReturnType<AuditPage["query"]>): Promise<void> {
    const answer = await settle(api.auditEvents(query));
    this.auditPage.showEvents(answer.ok ? answer.value : messageOf(answer.error), namesOf(this.users));
  }

  private async verifyAudit(): Promise<void> {
    const answer = await settle(api.verifyAudit());
    this.auditPage.showVerification(answer.ok ? answer.value : `Not verified: ${messageOf(answer.error)}`);
  }

  private async exportAudit(): Promise<void> {
    const answer = await settle(api.exportAudit());
    if (answer.ok) this.auditPage.showExport(`Saved the audit trail as CSV: ${answer.value}`);
    else this.auditPage.showExport(`Not exported: ${messageOf(answer.error)}`, true);
  }

  // ----- the practice register --------------------------------------------------------------------------

  private async refreshRegister(): Promise<void> {
    try {
      this.registerSlot.show(registerNotice(await api.registerStatus(), new Date()));
    } catch {
      /* the banner stays as it was */
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
    for (const r of change.refused) {
      this.toast.show(`Not recorded on the practice server: ${refusedStepText(r)}`, true);
    }
    // On a desktop of a practice the person working is its practice login, known after the
    // first pull: show it (and what its role may do) as soon as it is.
    const person = view.practice?.person ?? null;
    if (person && this.user.current?.name !== person) void this.followPracticePerson();
    if (change.practiceChanged) void this.reloadOpenDocumentIfChanged();
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

  /**
   * A pull from the practice server brought other people's steps: the open document is shown
   * again if its workflow changed (filed or noted elsewhere, or its pending steps were sent),
   * unless the person is typing in it
   * (their next step is then refused as changed, and the document reloaded).
   */
  private async reloadOpenDocumentIfChanged(): Promise<void> {
    const shown = this.selection.pane;
    if (shown.kind !== "document") return;
    const active = document.activeElement as HTMLElement | null;
    if (active && this.docPane.contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName)) return;
    const id = shown.view.row.id;
    const work = await settle(api.documentWorkflow(id));
    if (!work.ok) return;
    const now = this.selection.pane;
    if (now.kind !== "document" || now.view.row.id !== id) return;
    // Changed: its version (someone's step), or which of its steps here still wait to be sent.
    if (now.work?.version === work.value.version && now.work.pending.join() === work.value.pending.join()) return;
    await this.load(this.selection.select(documentTarget(id)));
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
    if (this.chooser.open) return;
    if (this.medrecSummary.open) {
      // The summary dialog keeps the keys (Escape closes it, focus returns to Print summary).
      if (e.key === "Escape") {
        e.preventDefault();
        this.medrecSummary.close();
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
    if (this.page) {
      // A page (Tasks, Audit) is shown: the list and document keys wait until it is left.
      if (action === "back") return this.setQueue(this.inbox.queue);
      if (!["help", "sync", "zoom-in", "zoom-out", "zoom-reset", "tasks", "audit", "switch-user", "search"].includes(action)) return;
    }
    switch (action) {
      case "tasks":
        void this.showPage("tasks");
        return;
      case "audit":
        if (this.mayAudit()) void this.showPage("audit");
        else this.toast.show("Only a practice manager or a GP may see the audit trail.");
        return;
      case "switch-user":
        void this.chooser.show(!this.user.current, this.user.current);
        return;
      case "next-undecided":
        this.focusNextUndecided();
        return;
      case "medrec":
        this.focusMedrec();
        return;
      case "match":
        this.workKey(() => {
          const box = this.docPane.workElement("match");
          const first = box?.querySelector<HTMLElement>("button") ?? box;
          if (!first) return false;
          first.scrollIntoView({ block: "center" });
          first.focus({ preventScroll: true });
          return true;
        }, "This document's patient match is not shown.");
        return;
      case "reject":
        this.workKey(() => openRejectIn(this.docPane.element), can(this.user.current, "reject") ? "This document cannot be rejected as not known now (it is matched, or already closed)." : "Your role may not reject documents as not known.");
        return;
      case "assign":
        this.workKey(() => openAssignIn(this.docPane.element), can(this.user.current, "reassign") ? "This document cannot be assigned now." : "Your role may not assign documents to others.");
        return;
      case "claim": {
        const target = this.selection.actionTarget();
        if (!target) this.toast.show("No document is open: select one in the list first.");
        else void this.step(target.id, { step: "claim" }, "assign");
        return;
      }
      case "mark-for-filing":
        this.toggleMarked();
        return;
      case "file-marked":
        void this.fileMarked();
        return;
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
        this.hidePage();
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
