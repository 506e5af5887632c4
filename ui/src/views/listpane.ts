// The list pane (middle): heading and summary, search, the filter and sort controls, and the
// two list boxes (documents, quarantined messages) the virtual lists draw into.
import type { EmptyReason, FilterFields } from "../state/inbox";
import { DEFAULT_SORT, SORTS } from "../state/inbox";
import { KINDS } from "../lib/labels";
import { clear, h } from "../widgets/dom";

export interface ListPaneHandlers {
  /** The search box changed (after a short pause in typing). */
  onSearch: (text: string) => void;
  /** A filter or the sort changed. */
  onFilters: (fields: FilterFields) => void;
  onClearFilters: () => void;
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
  private readonly fromInput = h("input", { class: "nhsuk-input app-filter", id: "filter-from", type: "date" });
  private readonly toInput = h("input", { class: "nhsuk-input app-filter", id: "filter-to", type: "date" });
  private readonly filterCount = h("span", { class: "app-filters__count" });
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
    for (const el of [this.kindSelect, this.senderSelect, this.sortSelect, this.fromInput, this.toInput]) el.addEventListener("change", onFilter);
  }

  /** The filter controls' values. */
  fields(): FilterFields {
    // Read back through the typed lists the options were made from: never an unchecked string.
    const kind = KINDS.find((k) => k.id === this.kindSelect.value)?.id ?? "";
    const sort = SORTS.find(([v]) => v === this.sortSelect.value)?.[0] ?? DEFAULT_SORT;
    return { kind, sender: this.senderSelect.value, sort, from: this.fromInput.value, to: this.toInput.value };
  }

  /** Puts the filter controls back to no filters and the default sort. */
  resetFilters(): void {
    this.kindSelect.value = "";
    this.senderSelect.value = "";
    this.sortSelect.value = DEFAULT_SORT;
    this.fromInput.value = "";
    this.toInput.value = "";
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
  }

  activeViewport(quarantine: boolean): HTMLElement {
    return quarantine ? this.quarantineViewport : this.viewport;
  }
}

/** What an empty document list says. */
export function renderEmptyList(reason: EmptyReason, searchHint: string | null = null): HTMLElement {
  if (reason === "no-match") {
    return h(
      "div",
      { class: "app-empty", "data-testid": "empty-list" },
      h("p", { class: "nhsuk-body" }, "No documents match."),
      h("p", { class: "nhsuk-body-s app-muted" }, searchHint ?? "Check the NHS number or name, or clear the filters."),
    );
  }
  if (reason === "no-documents") {
    return h(
      "div",
      { class: "app-empty" },
      h("p", { class: "nhsuk-body" }, "No documents yet."),
      h("p", { class: "nhsuk-body-s app-muted" }, "Discharge summaries and letters from your MESH mailbox appear here as soon as they are received."),
    );
  }
  return h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "Nothing in this queue."));
}

export function renderEmptyQuarantine(): HTMLElement {
  return h("div", { class: "app-empty" }, h("p", { class: "nhsuk-body" }, "No quarantined messages."));
}

/** A list that could not be loaded: "The list could not be loaded: …". */
export function renderListError(text: string): HTMLElement {
  return h("div", { class: "app-empty", role: "alert" }, h("p", { class: "nhsuk-error-message" }, text));
}
