// The list pane (middle): heading and summary, search, the filter and sort controls, and the
// two list boxes (documents, quarantined messages) the virtual lists draw into.
import type { EmptyReason, FilterFields } from "../state/inbox";
import { DEFAULT_SORT, SORTS } from "../state/inbox";
import { DATE_EXAMPLE, parseUkDate } from "../lib/dates";
import { KINDS } from "../lib/labels";
import { clear, h } from "../widgets/dom";

export interface ListPaneHandlers {
  /** The search box changed (after a short pause in typing). */
  onSearch: (text: string) => void;
  /** A filter or the sort changed. */
  onFilters: (fields: FilterFields) => void;
  onClearFilters: () => void;
  /** "Search every queue" after a search was narrowed to one queue. */
  onSearchEveryQueue: () => void;
}

/** A date filter field: typed as dd-Mmm-yyyy (or 1/12/2026, or ISO), never the locale's format. */
class DateField {
  readonly input: HTMLInputElement;
  readonly error: HTMLElement;
  /** The day it holds (`yyyy-mm-dd`), or "" (empty or not a date). */
  iso = "";

  constructor(id: string) {
    this.error = h("span", { class: "nhsuk-error-message app-filter__error", id: `${id}-error`, role: "alert", hidden: true });
    this.input = h("input", {
      class: "nhsuk-input app-filter app-filter--date",
      id,
      type: "text",
      inputmode: "text",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: DATE_EXAMPLE,
      "aria-describedby": `${id}-hint ${id}-error`,
    });
  }

  /** Reads what was typed; returns whether it is usable (empty counts). */
  read(): boolean {
    const raw = this.input.value.trim();
    if (!raw) {
      this.iso = "";
      this.showError(null);
      return true;
    }
    const p = parseUkDate(raw);
    if (p.ok) {
      this.iso = p.iso;
      this.input.value = p.display;
      this.showError(null);
      return true;
    }
    this.iso = "";
    this.showError(`${p.error} Not applied.`);
    return false;
  }

  private showError(text: string | null): void {
    this.error.textContent = text ?? "";
    this.error.hidden = !text;
    if (text) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    this.input.classList.toggle("nhsuk-input--error", !!text);
  }

  reset(): void {
    this.input.value = "";
    this.iso = "";
    this.showError(null);
  }
}

/** How long the search waits for typing to pause, in milliseconds. */
const SEARCH_DELAY = 200;

export class ListPane {
  readonly summary = h("p", { class: "app-list__summary", id: "list-summary", role: "status", "aria-live": "polite" });
  readonly search = h("input", {
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
  private readonly from = new DateField("filter-from");
  private readonly to = new DateField("filter-to");
  private readonly medicineChanges = h("input", { class: "app-quick__input", id: "filter-medicine-changes", type: "checkbox" });
  private readonly practiceActions = h("input", { class: "app-quick__input", id: "filter-practice-actions", type: "checkbox" });
  private readonly filterCount = h("span", { class: "app-filters__count" });
  /** Where a search looks: "every queue", or one queue with a way back to every queue. */
  readonly scope = h("p", { class: "app-search__scope", id: "search-scope", hidden: true });
  readonly viewport = h("div", { id: "inbox-list", class: "app-list__rows", tabindex: "0", role: "listbox", "aria-label": "Documents" });
  readonly quarantineViewport = h("div", { id: "quarantine-list", class: "app-list__rows", tabindex: "0", role: "listbox", "aria-label": "Quarantined messages", hidden: true });
  readonly element: HTMLElement;

  constructor(handlers: ListPaneHandlers) {
    this.element = h(
      "section",
      { class: "app-list", "aria-labelledby": "inbox-heading" },
      h(
        "div",
        { class: "app-list__head" },
        h("div", { class: "app-list__titles" }, h("h1", { id: "inbox-heading", class: "nhsuk-heading-s app-list__heading" }, "Inbox"), this.summary),
        h("div", { class: "app-search" }, h("label", { class: "nhsuk-label app-search__label", for: "search" }, "Search"), this.search),
        this.scope,
        h(
          "div",
          { class: "app-quick", role: "group", "aria-label": "Show only" },
          h("span", { class: "app-quick__title" }, "Only:"),
          h("label", { class: "app-quick__option", for: "filter-medicine-changes" }, this.medicineChanges, " Medicine changes"),
          h("label", { class: "app-quick__option", for: "filter-practice-actions" }, this.practiceActions, " Actions for the practice"),
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
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-from" }, "Received from"),
            h("div", { class: "app-filter__date" }, this.from.input, this.from.error),
            h("label", { class: "nhsuk-label app-filter__label", for: "filter-to" }, "Received to"),
            h("div", { class: "app-filter__date" }, this.to.input, this.to.error),
            h("span", {}),
            h("span", { class: "app-filter__hint app-muted", id: "filter-from-hint" }, `Dates as ${DATE_EXAMPLE} or 1/12/2026 (day first).`),
            h("span", { class: "nhsuk-u-visually-hidden", id: "filter-to-hint" }, `Date as ${DATE_EXAMPLE}.`),
            h("label", { class: "nhsuk-label app-filter__label", for: "sort" }, "Sort by"), this.sortSelect,
            h("button", { type: "button", class: "app-linkbutton", id: "clear-filters", onclick: () => handlers.onClearFilters() }, "Clear filters"),
          ),
        ),
      ),
      this.viewport,
      this.quarantineViewport,
    );
    this.kindSelect.append(h("option", { value: "" }, "Any kind"), ...KINDS.map((k) => h("option", { value: k.id }, k.label)));
    this.senderSelect.append(h("option", { value: "" }, "Any sender"));
    this.sortSelect.append(...SORTS.map(([v, l]) => h("option", { value: v }, l)));

    let searchTimer = 0;
    this.search.addEventListener("input", () => {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(() => handlers.onSearch(this.search.value), SEARCH_DELAY);
    });
    const onFilter = () => handlers.onFilters(this.fields());
    for (const el of [this.kindSelect, this.senderSelect, this.sortSelect, this.medicineChanges, this.practiceActions]) el.addEventListener("change", onFilter);
    for (const d of [this.from, this.to]) {
      d.input.addEventListener("change", () => {
        d.read();
        onFilter();
      });
      d.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          d.read();
          onFilter();
        }
      });
    }
    this.scope.addEventListener("click", (e) => {
      if ((e.target as Element).closest?.("button")) handlers.onSearchEveryQueue();
    });
  }

  /** Says where the search looks: every queue, or `queue` only (with a way to look everywhere). */
  setScope(search: string, everyQueue: boolean, queueLabel: string): void {
    clear(this.scope);
    this.scope.hidden = !search;
    if (!search) return;
    if (everyQueue) this.scope.append("Searching every queue; each result shows its status.");
    else this.scope.append(`Searching ${queueLabel} only. `, h("button", { type: "button", class: "app-linkbutton", "data-testid": "search-every-queue" }, "Search every queue"));
  }

  /** The filter controls' values. */
  fields(): FilterFields {
    // Read back through the typed lists the options were made from: never an unchecked string.
    const kind = KINDS.find((k) => k.id === this.kindSelect.value)?.id ?? "";
    const sort = SORTS.find(([v]) => v === this.sortSelect.value)?.[0] ?? DEFAULT_SORT;
    return {
      kind,
      sender: this.senderSelect.value,
      sort,
      from: this.from.iso,
      to: this.to.iso,
      medicineChanges: this.medicineChanges.checked,
      practiceActions: this.practiceActions.checked,
    };
  }

  /** Puts the filter controls back to no filters and the default sort. */
  resetFilters(): void {
    this.kindSelect.value = "";
    this.senderSelect.value = "";
    this.sortSelect.value = DEFAULT_SORT;
    this.from.reset();
    this.to.reset();
    this.medicineChanges.checked = false;
    this.practiceActions.checked = false;
  }

  /** The senders to filter by; the chosen one stays chosen if it is still listed. */
  setSenders(senders: string[]): void {
    const current = this.senderSelect.value;
    clear(this.senderSelect);
    this.senderSelect.append(h("option", { value: "" }, "Any sender"), ...senders.map((s) => h("option", { value: s }, s)));
    this.senderSelect.value = senders.includes(current) ? current : "";
  }

  /** "(2 active)" next to "Filter and sort". */
  setFilterCount(n: number): void {
    this.filterCount.textContent = n ? `(${n} active)` : "";
  }

  setSummary(text: string): void {
    this.summary.textContent = text;
  }

  /** A reload has started. */
  loading(): void {
    this.viewport.setAttribute("aria-busy", "true");
    this.summary.textContent = "Loading…";
  }

  /** A reload has finished, for `search`. */
  loaded(search: string): void {
    this.viewport.setAttribute("aria-busy", "false");
    this.viewport.setAttribute("data-search", search);
  }

  /** Shows the documents' list box, or the quarantine's (where the search does not apply). */
  showQuarantine(quarantine: boolean): void {
    this.viewport.hidden = quarantine;
    this.quarantineViewport.hidden = !quarantine;
    this.search.disabled = quarantine;
    this.medicineChanges.disabled = quarantine;
    this.practiceActions.disabled = quarantine;
  }

  activeViewport(quarantine: boolean): HTMLElement {
    return quarantine ? this.quarantineViewport : this.viewport;
  }
}

/** What the empty list can offer to do. */
export interface EmptyActions {
  /** "0 in New, 2 in Filed": where an empty search's matches are, and a way to show them. */
  elsewhere?: { text: string; show: () => void; label?: string } | null;
  /** Opens the mailbox settings (no mailbox configured). */
  openSettings?: () => void;
  /** "Syncing 256 of 400" while the first sync runs. */
  progress?: string | null;
}

/** What an empty document list says. */
export function renderEmptyList(reason: EmptyReason, searchHint: string | null = null, actions: EmptyActions = {}): HTMLElement {
  if (reason === "no-match") {
    const elsewhere = actions.elsewhere;
    return h(
      "div",
      { class: "app-empty", "data-testid": "empty-list" },
      h("p", { class: "nhsuk-body" }, "No documents match here."),
      elsewhere
        ? h(
            "p",
            { class: "nhsuk-body-s", "data-testid": "search-elsewhere" },
            `${elsewhere.text}: `,
            h("button", { type: "button", class: "app-linkbutton", "data-testid": "show-elsewhere", onclick: () => elsewhere.show() }, elsewhere.label ?? "show them"),
          )
        : null,
      h("p", { class: "nhsuk-body-s app-muted" }, searchHint ?? "Check the NHS number or name, or clear the filters."),
    );
  }
  if (reason === "first-sync") {
    return h(
      "div",
      { class: "app-empty", "data-testid": "empty-list", "data-reason": reason },
      h("p", { class: "nhsuk-body" }, "Fetching documents from the mailbox for the first time…"),
      h("p", { class: "nhsuk-body-s app-muted" }, actions.progress ? `${actions.progress}. Documents appear here as they are stored.` : "Documents appear here as they are stored."),
    );
  }
  if (reason === "no-mailbox") {
    return h(
      "div",
      { class: "app-empty", "data-testid": "empty-list", "data-reason": reason },
      h("p", { class: "nhsuk-body" }, "No mailbox is set up, so no documents can arrive."),
      h("p", { class: "nhsuk-body-s app-muted" }, "Set up the practice's MESH mailbox to receive discharge summaries and letters."),
      actions.openSettings ? h("button", { type: "button", class: "nhsuk-button app-small-button", "data-testid": "open-settings", onclick: () => actions.openSettings?.() }, "Set up the mailbox") : null,
    );
  }
  if (reason === "no-documents") {
    return h(
      "div",
      { class: "app-empty", "data-testid": "empty-list", "data-reason": reason },
      h("p", { class: "nhsuk-body" }, "No documents yet."),
      h("p", { class: "nhsuk-body-s app-muted" }, "Discharge summaries and letters from your MESH mailbox appear here as soon as they are received."),
    );
  }
  return h("div", { class: "app-empty", "data-testid": "empty-list", "data-reason": reason }, h("p", { class: "nhsuk-body" }, "Nothing in this queue."));
}

export function renderEmptyQuarantine(): HTMLElement {
  return h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "No quarantined messages."));
}

/** A list that could not be loaded: "The list could not be loaded: …". */
export function renderListError(text: string): HTMLElement {
  return h("div", { class: "app-empty", role: "alert" }, h("p", { class: "nhsuk-error-message" }, text));
}
