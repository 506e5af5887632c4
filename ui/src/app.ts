// The inbox window: queues, the virtualised list, the document view, the stale-data banner, the
// sync indicator and keyboard shortcuts. All data comes through `api` (Tauri commands).
import { api, CommandError, toCommandError, type DocumentStatus } from "./api";
import type { AppStatus } from "./bindings/AppStatus";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { DocumentView } from "./bindings/DocumentView";
import type { ListQuery } from "./bindings/ListQuery";
import type { QuarantineRow } from "./bindings/QuarantineRow";
import type { SyncStatusView } from "./bindings/SyncStatusView";
import { renderDocument } from "./document";
import { clear, h } from "./dom";
import { formatBytes, nextDay, ukDayStartUtc } from "./format";
import { keyAction, keyName, SHORTCUTS, type Action } from "./keyboard";
import { KINDS } from "./labels";
import { renderPdf } from "./pdf";
import { renderQuarantined } from "./quarantine";
import { renderPendingRow, renderQuarantineRow, renderRow, ROW_HEIGHT } from "./rows";
import { header } from "./shell";
import { isNewerView, renderStaleBanner, syncIndicatorText, when } from "./stale";
import { VirtualList } from "./vlist";

type Queue = "new" | "needs-action" | "quarantine" | "filed" | "all";

const QUEUES: { id: Queue; label: string; count: (s: AppStatus) => number | null }[] = [
  { id: "new", label: "New", count: (s) => s.store.documents.new },
  { id: "needs-action", label: "Needs action", count: (s) => s.store.documents.needs_action },
  { id: "quarantine", label: "Quarantine", count: (s) => s.store.documents.quarantined },
  { id: "filed", label: "Filed", count: (s) => s.store.documents.filed },
  { id: "all", label: "All", count: (s) => s.store.documents.total },
];

const PAGE = 200;

function messageOf(e: unknown): string {
  return toCommandError(e).message;
}

export class App {
  private status: AppStatus;
  private sync: SyncStatusView | null = null;
  private queue: Queue = "new";
  private filters = { search: "", kind: "", sender: "", sort: "received-desc", from: "", to: "" };
  private openId: number | null = null;
  private openView: DocumentView | null = null;
  private openSeq = 0;
  private syncRequested = false;
  private reloadSeq = 0;

  private readonly staleSlot = h("div", { class: "app-stale-slot", id: "stale-slot" });
  private readonly syncText = h("span", { class: "app-sync__text", id: "sync-indicator", role: "status", "aria-live": "polite" });
  private readonly syncProgress = h("progress", { class: "app-sync__progress", max: "1", value: "0", "aria-label": "Sync progress", hidden: true });
  private readonly syncButton = h("button", { type: "button", class: "app-sync__button", id: "sync-now", "aria-keyshortcuts": "s" }, "Sync now");
  private readonly queueNav = h("ul", { class: "app-queues__list" });
  private readonly listHeading = h("p", { class: "app-list__summary", id: "list-summary", role: "status", "aria-live": "polite" });
  private readonly search = h("input", {
    class: "nhsuk-input app-search__input",
    id: "search",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    "aria-keyshortcuts": "/",
    placeholder: "Name, NHS number or any words",
  });
  private readonly kindSelect = h("select", { class: "nhsuk-select app-filter", id: "filter-kind" });
  private readonly senderSelect = h("select", { class: "nhsuk-select app-filter", id: "filter-sender" });
  private readonly sortSelect = h("select", { class: "nhsuk-select app-filter", id: "sort" });
  private readonly fromInput = h("input", { class: "nhsuk-input app-filter", id: "filter-from", type: "date" });
  private readonly toInput = h("input", { class: "nhsuk-input app-filter", id: "filter-to", type: "date" });
  private readonly filterCount = h("span", { class: "app-filters__count" });
  private readonly viewport = h("div", { id: "inbox-list", class: "app-list__rows", tabindex: "0", role: "listbox", "aria-label": "Documents" });
  private readonly docPane = h("section", { class: "app-document", id: "document-pane", "aria-label": "Document" });
  private readonly help = h("div", { class: "app-help", id: "help", role: "dialog", "aria-modal": "true", "aria-labelledby": "help-title", hidden: true, tabindex: "-1" });
  private readonly toast = h("div", { class: "app-toast", role: "status", "aria-live": "polite", id: "toast" });
  private readonly footerCounts = h("span", { id: "store-counts" });
  private docs!: VirtualList<DocumentRow>;
  private quarantine!: VirtualList<QuarantineRow>;
  private readonly quarantineViewport = h("div", { id: "quarantine-list", class: "app-list__rows", tabindex: "0", role: "listbox", "aria-label": "Quarantined messages", hidden: true });

  constructor(status: AppStatus) {
    this.status = status;
  }

  mount(root: HTMLElement): void {
    const syncBox = h("div", { class: "app-sync" }, this.syncText, this.syncProgress, this.syncButton,
      h("button", { type: "button", class: "app-sync__button app-sync__help", id: "help-button", "aria-keyshortcuts": "?", onclick: () => this.toggleHelp() }, "Shortcuts (?)"));
    this.syncButton.addEventListener("click", () => void this.syncNow());
    const s = this.status.store;
    const footer = h(
      "footer",
      { class: "app-statusbar", role: "contentinfo" },
      h("span", { id: "store-status" }, `Encrypted store (SQLCipher ${s.cipher_version})`),
      this.footerCounts,
      h("span", {}, `Key in OS keyring (${s.keyring_backend})`),
      h("span", { class: "app-statusbar__path", title: s.database }, s.data_dir),
      h("span", {}, `Handover ${this.status.version}`),
    );
    const list = h(
      "section",
      { class: "app-list", "aria-labelledby": "inbox-heading" },
      h(
        "div",
        { class: "app-list__head" },
        h("div", { class: "app-list__titles" }, h("h1", { id: "inbox-heading", class: "nhsuk-heading-s app-list__heading" }, "Inbox"), this.listHeading),
        h(
          "div",
          { class: "app-search" },
          h("label", { class: "nhsuk-label app-search__label", for: "search" }, "Search"),
          this.search,
        ),
        h(
          "details",
          { class: "app-filters" },
          h("summary", { class: "app-filters__summary" }, "Filter and sort ", this.filterCount),
          h(
            "div",
            { class: "app-filters__grid" },
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-kind" }, "Kind"), this.kindSelect,
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-sender" }, "Sender"), this.senderSelect,
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-from" }, "Received from"), this.fromInput,
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-to" }, "Received to"), this.toInput,
            h("label", { class: "nhsuk-label app-filter__label", for: "sort" }, "Sort by"), this.sortSelect,
            h("button", { type: "button", class: "app-linkbutton", id: "clear-filters", onclick: () => this.clearFilters() }, "Clear filters"),
          ),
        ),
      ),
      this.viewport,
      this.quarantineViewport,
    );
    this.docPane.append(this.emptyDocument());
    this.fillSelects();
    const layout = h(
      "div",
      { class: "app-layout" },
      header(syncBox),
      this.staleSlot,
      h("main", { class: "app-panes", id: "main" }, h("nav", { class: "app-queues", "aria-label": "Queues" }, this.queueNav), list, this.docPane),
      footer,
      this.help,
      this.toast,
    );
    clear(root);
    root.append(layout);
    this.buildHelp();
    this.renderQueues();

    this.docs = new VirtualList<DocumentRow>({
      viewport: this.viewport,
      rowHeight: ROW_HEIGHT,
      pageSize: PAGE,
      overscan: 8,
      fetchPage: (offset, limit) => api.listDocuments(this.query(offset, limit)),
      renderRow: (row, i, total, selected) => renderRow(row, i, total, selected, new Date()),
      renderPending: renderPendingRow,
      renderEmpty: () => this.emptyList(),
      renderError: (e) => h("div", { class: "app-empty", role: "alert" }, h("p", { class: "nhsuk-error-message" }, `The list could not be loaded: ${messageOf(e)}`)),
      onOpen: (row) => void this.openDocument(row.id, false),
      onTotal: () => this.renderSummary(),
    });
    this.quarantine = new VirtualList<QuarantineRow>({
      viewport: this.quarantineViewport,
      rowHeight: ROW_HEIGHT,
      pageSize: PAGE,
      overscan: 8,
      fetchPage: async (offset, limit) => {
        const rows = await api.listQuarantine(offset, limit);
        return { total: rows.length < limit ? offset + rows.length : Math.max(this.status.store.documents.quarantined, offset + rows.length + 1), rows };
      },
      renderRow: (row, i, total, selected) => renderQuarantineRow(row, i, total, selected, new Date()),
      renderPending: renderPendingRow,
      renderEmpty: () => h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "No quarantined messages.")),
      renderError: (e) => h("div", { class: "app-empty", role: "alert" }, h("p", { class: "nhsuk-error-message" }, `Quarantine could not be loaded: ${messageOf(e)}`)),
      onOpen: (row) => void this.openQuarantined(row.message.message_id, false),
      onTotal: () => this.renderSummary(),
    });

    let searchTimer = 0;
    this.search.addEventListener("input", () => {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(() => {
        this.filters.search = this.search.value.trim();
        void this.reload();
      }, 200);
    });
    const onFilter = () => {
      this.filters.kind = this.kindSelect.value;
      this.filters.sender = this.senderSelect.value;
      this.filters.sort = this.sortSelect.value;
      this.filters.from = this.fromInput.value;
      this.filters.to = this.toInput.value;
      void this.reload();
    };
    for (const el of [this.kindSelect, this.senderSelect, this.sortSelect, this.fromInput, this.toInput]) el.addEventListener("change", onFilter);
    document.addEventListener("keydown", (e) => this.onKey(e));

    void this.reload();
    void this.loadSenders();
    void this.startSync();
    this.viewport.focus();
    // Relative times and the "as of" wording follow the clock even without events.
    window.setInterval(() => void this.refreshSync(), 30_000);
  }

  // ----- queries and lists ---------------------------------------------------------------------

  private query(offset: number, limit: number): ListQuery {
    const f = this.filters;
    return {
      queue: this.queue === "quarantine" ? "all" : this.queue,
      kind: f.kind || null,
      sender: f.sender || null,
      search: f.search || null,
      sort: f.sort || null,
      // The date inputs are UK calendar days; the store records UTC instants.
      received_from: ukDayStartUtc(f.from) ?? (f.from || null),
      received_to: f.to ? (ukDayStartUtc(nextDay(f.to)) ?? f.to) : null,
      offset,
      limit,
    };
  }

  private activeList(): VirtualList<DocumentRow> | VirtualList<QuarantineRow> {
    return this.queue === "quarantine" ? this.quarantine : this.docs;
  }

  private activeViewport(): HTMLElement {
    return this.queue === "quarantine" ? this.quarantineViewport : this.viewport;
  }

  private async reload(): Promise<void> {
    const f = this.filters;
    const n = [f.kind, f.sender, f.from, f.to].filter(Boolean).length + (f.sort !== "received-desc" ? 1 : 0);
    this.filterCount.textContent = n ? `(${n} active)` : "";
    const seq = ++this.reloadSeq;
    const search = f.search;
    this.viewport.setAttribute("aria-busy", "true");
    this.listHeading.textContent = "Loading…";
    await this.activeList().reset();
    if (seq !== this.reloadSeq) return;
    this.viewport.setAttribute("aria-busy", "false");
    this.viewport.setAttribute("data-search", search);
    this.renderSummary();
  }

  private async refreshLists(): Promise<void> {
    await Promise.all([this.activeList().refresh(), this.refreshCounts()]);
    this.renderSummary();
  }

  private async refreshCounts(): Promise<void> {
    try {
      this.status = await api.appStatus();
      this.renderQueues();
    } catch {
      /* keep the last counts; the list itself reports errors */
    }
  }

  private async loadSenders(): Promise<void> {
    try {
      const senders = await api.listSenders();
      const current = this.senderSelect.value;
      clear(this.senderSelect);
      this.senderSelect.append(h("option", { value: "" }, "Any sender"), ...senders.map((s) => h("option", { value: s }, s)));
      this.senderSelect.value = senders.includes(current) ? current : "";
    } catch {
      /* the filter stays at "Any sender" */
    }
  }

  private fillSelects(): void {
    this.kindSelect.append(h("option", { value: "" }, "Any kind"), ...KINDS.map((k) => h("option", { value: k.id }, k.label)));
    this.senderSelect.append(h("option", { value: "" }, "Any sender"));
    const sorts: [string, string][] = [
      ["received-desc", "Newest first"],
      ["received-asc", "Oldest first"],
      ["patient", "Patient name"],
      ["kind", "Kind of document"],
      ["sender", "Sender"],
    ];
    this.sortSelect.append(...sorts.map(([v, l]) => h("option", { value: v }, l)));
  }

  private clearFilters(): void {
    this.filters = { search: this.filters.search, kind: "", sender: "", sort: "received-desc", from: "", to: "" };
    this.kindSelect.value = "";
    this.senderSelect.value = "";
    this.sortSelect.value = "received-desc";
    this.fromInput.value = "";
    this.toInput.value = "";
    void this.reload();
  }

  private renderQueues(): void {
    clear(this.queueNav);
    for (const [i, q] of QUEUES.entries()) {
      const count = q.count(this.status);
      this.queueNav.append(
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/queue/${q.id}`,
              class: `app-queues__link${q.id === "quarantine" && (count ?? 0) > 0 ? " app-queues__link--alert" : ""}`,
              "aria-current": q.id === this.queue ? "page" : null,
              "data-queue": q.id,
              "aria-keyshortcuts": String(i + 1),
              onclick: (e: Event) => {
                e.preventDefault();
                this.setQueue(q.id);
              },
            },
            h("span", {}, q.label),
            h("span", { class: "app-queues__count" }, count === null ? "" : String(count)),
          ),
        ),
      );
    }
    const d = this.status.store.documents;
    this.footerCounts.textContent = `${d.total} ${d.total === 1 ? "document" : "documents"}, ${d.quarantined} quarantined`;
  }

  private setQueue(queue: Queue): void {
    if (queue === this.queue) {
      this.activeViewport().focus();
      return;
    }
    this.queue = queue;
    const quarantine = queue === "quarantine";
    this.viewport.hidden = quarantine;
    this.quarantineViewport.hidden = !quarantine;
    this.search.disabled = quarantine;
    this.renderQueues();
    void this.reload();
    this.activeViewport().focus();
  }

  private renderSummary(): void {
    const list = this.activeList();
    const label = QUEUES.find((q) => q.id === this.queue)?.label ?? "";
    if (list.total < 0) {
      this.listHeading.textContent = `${label}: loading…`;
      return;
    }
    const n = list.total;
    const what = this.queue === "quarantine" ? (n === 1 ? "message" : "messages") : n === 1 ? "document" : "documents";
    const filtered = this.queue !== "quarantine" && (this.filters.search || this.filters.kind || this.filters.sender || this.filters.from || this.filters.to);
    this.listHeading.textContent = `${label}: ${n.toLocaleString("en-GB")} ${what}${filtered ? " matching" : ""}`;
  }

  private emptyList(): HTMLElement {
    const f = this.filters;
    if (f.search || f.kind || f.sender || f.from || f.to) {
      return h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "No documents match."), h("p", { class: "nhsuk-body-s app-muted" }, "Check the NHS number or name, or clear the filters."));
    }
    if (this.status.store.documents.total === 0) {
      return h(
        "div",
        { class: "app-empty" },
        h("p", { class: "nhsuk-body" }, "No documents yet."),
        h("p", { class: "nhsuk-body-s app-muted" }, "Discharge summaries and letters from your MESH mailbox appear here as soon as they are received."),
      );
    }
    return h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "Nothing in this queue."));
  }

  // ----- documents -----------------------------------------------------------------------------

  private emptyDocument(): HTMLElement {
    return h("div", { class: "app-document__empty" }, h("p", { class: "nhsuk-body app-muted" }, "Select a document to read it here."), h("p", { class: "nhsuk-body-s app-muted" }, "Press ? for keyboard shortcuts."));
  }

  async openDocument(id: number, focusDocument = true): Promise<void> {
    const seq = ++this.openSeq;
    this.openId = id;
    this.docPane.setAttribute("aria-busy", "true");
    let view: DocumentView;
    try {
      view = await api.openDocument(id);
    } catch (e) {
      if (seq !== this.openSeq) return;
      this.showDocError(`This document could not be opened: ${messageOf(e)}`);
      return;
    }
    if (seq !== this.openSeq) return;
    this.openView = view;
    clear(this.docPane);
    this.docPane.append(
      renderDocument(view, {
        setStatus: (s) => void this.setStatus(s),
        openDocument: (other) => void this.openDocument(other, true),
        viewAttachment: (i, target) => void this.viewAttachment(view.row.id, i, target),
        saveAttachment: (i, target) => void this.saveAttachment(view.row.id, i, target),
      }),
    );
    this.docPane.setAttribute("aria-busy", "false");
    if (focusDocument) document.getElementById("document-scroll")?.focus();
  }

  private async openQuarantined(messageId: number, focusDocument = true): Promise<void> {
    const seq = ++this.openSeq;
    this.openId = null;
    this.openView = null;
    try {
      const q = await api.openQuarantined(messageId);
      if (seq !== this.openSeq) return;
      clear(this.docPane);
      this.docPane.append(renderQuarantined(q));
      if (focusDocument) (this.docPane.querySelector(".app-doc__scroll") as HTMLElement | null)?.focus();
    } catch (e) {
      if (seq === this.openSeq) this.showDocError(`This message could not be opened: ${messageOf(e)}`);
    }
  }

  private showDocError(text: string): void {
    clear(this.docPane);
    this.docPane.setAttribute("aria-busy", "false");
    this.docPane.append(h("div", { class: "nhsuk-error-summary app-doc-error", role: "alert" }, h("p", { class: "nhsuk-error-message" }, text)));
  }

  private async setStatus(status: DocumentStatus): Promise<void> {
    const view = this.openView;
    if (!view || this.openId !== view.row.id) {
      this.showToast("Open a document first: press Enter on the selected row.");
      return;
    }
    const previous = view.row.status;
    if (previous === status) return;
    try {
      const row = await api.setDocumentStatus(view.row.id, status);
      const word = status === "filed" ? "Filed" : status === "needs-action" ? "Marked as needs action" : "Moved to New";
      this.showToast(`${word}: ${row.patient_name ?? "document"}${row.title ? `, ${row.title}` : ""}.`);
      await this.openDocument(row.id, false);
      await this.refreshLists();
      this.activeViewport().focus();
    } catch (e) {
      this.showToast(`The status was not changed: ${messageOf(e)}`, true);
    }
  }

  private async viewAttachment(documentId: number, index: number, target: HTMLElement): Promise<void> {
    clear(target);
    target.append(h("p", { class: "app-muted app-small" }, "Opening…"));
    try {
      const a = await api.openAttachment(documentId, index);
      clear(target);
      if (a.display === "pdf") {
        const pages = h("div", { class: "app-pdf", "data-testid": "pdf-view" });
        target.append(pages);
        try {
          const n = await renderPdf(a.base64, pages, `Attachment ${index + 1} (PDF)`);
          pages.setAttribute("data-pages", String(n));
        } catch (e) {
          clear(target);
          target.append(h("p", { class: "nhsuk-error-message", "data-testid": "pdf-error" }, `This PDF cannot be shown here (${String((e as Error)?.message ?? e)}). Save it and open it with a program you trust.`));
        }
        return;
      }
      if (a.display !== "image") {
        target.append(h("p", { class: "app-small" }, "This attachment cannot be shown here: save it and open it with a program you trust."));
        return;
      }
      target.append(h("img", { class: "app-attachments__image", src: `data:${a.content_type};base64,${a.base64}`, alt: `Attachment ${index + 1} (${a.content_type}, ${formatBytes(a.size)})` }));
    } catch (e) {
      clear(target);
      target.append(h("p", { class: "nhsuk-error-message" }, `The attachment could not be opened: ${messageOf(e)}`));
    }
  }

  private async saveAttachment(documentId: number, index: number, target: HTMLElement): Promise<void> {
    clear(target);
    try {
      const path = await api.saveAttachment(documentId, index);
      target.append(h("p", { class: "app-small", role: "status" }, `Saved to ${path}. It has not been opened.`));
    } catch (e) {
      target.append(h("p", { class: "nhsuk-error-message" }, `The attachment could not be saved: ${messageOf(e)}`));
    }
  }

  private showToast(text: string, error = false): void {
    this.toast.textContent = text;
    this.toast.classList.toggle("app-toast--error", error);
    this.toast.classList.add("app-toast--shown");
    window.setTimeout(() => this.toast.classList.remove("app-toast--shown"), 5000);
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
      this.syncText.textContent = `Sync status unavailable: ${messageOf(e)}`;
    }
  }

  private applySync(view: SyncStatusView): void {
    if (!isNewerView(this.sync, view)) return;
    const previous = this.sync;
    this.sync = view;
    // Replace the banner only when what it says changes, so screen readers do not hear the
    // alert again on every refresh and an open "Technical details" stays open.
    const banner = renderStaleBanner(view);
    const current = this.staleSlot.firstElementChild;
    if (!banner) clear(this.staleSlot);
    else if (!current || current.textContent !== banner.textContent) {
      clear(this.staleSlot);
      this.staleSlot.append(banner);
    }
    this.syncText.textContent = syncIndicatorText(view);
    const s = view.state;
    this.syncText.title = [
      view.mailbox_label,
      s.last_success_at ? `Last successful sync ${when(s.last_success_at, view.now)}` : "Never synced successfully",
      s.last_error ? `Last error: ${s.last_error}` : "",
      `Checks every ${view.poll_minutes} minutes`,
    ].filter(Boolean).join(". ");
    this.syncText.classList.toggle("app-sync__text--failing", !!s.failing_since);
    const p = view.progress;
    this.syncProgress.hidden = !(view.syncing && p && p.total > 0);
    if (p && p.total > 0) {
      this.syncProgress.max = p.total;
      this.syncProgress.value = p.done;
    }
    this.syncButton.disabled = !view.configured || view.syncing;
    this.syncButton.textContent = view.syncing ? "Syncing…" : "Sync now";
    // When a sync finishes, show what arrived.
    const finished = previous && previous.syncing && !view.syncing;
    const firstSeen = !previous;
    if (finished || firstSeen) {
      void this.refreshLists();
      void this.loadSenders();
    }
  }

  async syncNow(): Promise<void> {
    if (this.syncRequested || !this.sync?.configured) return;
    this.syncRequested = true;
    this.syncButton.disabled = true;
    this.syncText.textContent = "Syncing…";
    try {
      this.applySync(await api.syncNow());
    } catch (e) {
      const err = e instanceof CommandError ? e : toCommandError(e);
      this.showToast(`Sync did not run: ${err.message}`, true);
      await this.refreshSync();
    } finally {
      this.syncRequested = false;
      if (this.sync) this.syncButton.disabled = !this.sync.configured || this.sync.syncing;
    }
  }

  // ----- keyboard and help -------------------------------------------------------------------------

  private buildHelp(): void {
    this.help.append(
      h(
        "div",
        { class: "app-help__panel" },
        h("h2", { class: "nhsuk-heading-m", id: "help-title" }, "Keyboard shortcuts"),
        h(
          "table",
          { class: "nhsuk-table app-help__table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Action"))),
          h(
            "tbody",
            {},
            SHORTCUTS.map((s) =>
              h("tr", {}, h("td", {}, s.keys.flatMap((k, i) => [i ? " or " : "", h("kbd", {}, keyName(k))])), h("td", {}, s.description)),
            ),
          ),
        ),
        h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary", id: "help-close", onclick: () => this.toggleHelp(false) }, "Close"),
      ),
    );
  }

  private helpReturn: HTMLElement | null = null;

  private toggleHelp(show = this.help.hidden): void {
    if (show) {
      this.helpReturn = document.activeElement as HTMLElement | null;
      this.help.hidden = false;
      this.help.focus();
    } else {
      this.help.hidden = true;
      (this.helpReturn ?? this.activeViewport()).focus();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    const tagName = target?.tagName ?? "";
    const inField = tagName === "INPUT" || tagName === "SELECT" || tagName === "TEXTAREA" || !!target?.isContentEditable;
    const inSearch = target === this.search;
    const inDocument = !!target && this.docPane.contains(target) && target.tagName !== "BUTTON";
    if (!this.help.hidden) {
      if (e.key === "Escape" || e.key === "?") {
        e.preventDefault();
        this.toggleHelp(false);
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
    const list = this.activeList();
    const viewport = this.activeViewport();
    switch (action) {
      case "next":
      case "previous":
        list.move(action === "next" ? 1 : -1);
        if (document.activeElement !== viewport) viewport.focus();
        break;
      case "open": {
        if (this.queue === "quarantine") {
          const q = this.quarantine.selectedItem();
          if (q) void this.openQuarantined(q.message.message_id);
        } else {
          const row = this.docs.selectedItem();
          if (row) void this.openDocument(row.id);
        }
        break;
      }
      case "back":
        if (document.activeElement === this.search && this.search.value) {
          viewport.focus();
        } else if (document.activeElement === viewport && this.filters.search) {
          this.search.value = "";
          this.filters.search = "";
          void this.reload();
        } else {
          viewport.focus();
        }
        break;
      case "search":
        if (this.queue === "quarantine") this.setQueue("all");
        this.search.focus();
        this.search.select();
        break;
      case "help":
        this.toggleHelp();
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
      case "queue-new":
        this.setQueue("new");
        break;
      case "queue-needs-action":
        this.setQueue("needs-action");
        break;
      case "queue-quarantine":
        this.setQueue("quarantine");
        break;
      case "queue-filed":
        this.setQueue("filed");
        break;
      case "queue-all":
        this.setQueue("all");
        break;
    }
  }
}
