// A virtualised, paged list box: only the visible rows (plus overscan) are in the DOM, and rows
// are fetched from the backend a page at a time by offset as they come into view.
import { clear, h } from "./dom";
import { clampIndex, pagesFor, scrollToReveal, visibleRange } from "./virtual";

export interface Page<T> {
  total: number;
  rows: T[];
}

export interface VirtualListOptions<T> {
  viewport: HTMLElement;
  rowHeight: number;
  pageSize: number;
  overscan: number;
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>;
  renderRow: (item: T, index: number, total: number, selected: boolean) => HTMLElement;
  renderPending: (index: number, total: number) => HTMLElement;
  renderEmpty: () => HTMLElement;
  renderError: (error: unknown) => HTMLElement;
  onOpen: (item: T, index: number) => void;
  onTotal?: (total: number) => void;
  /** Identifies an item (and its version): a change of the selected item's key is a new selection. */
  key?: (item: T) => string;
  /**
   * The selected row changed: another index, another item at it (after a refresh), or none
   * (undefined: nothing selected, or its page is not loaded yet).
   */
  onSelect?: (item: T | undefined, index: number) => void;
}

export class VirtualList<T> {
  private readonly o: VirtualListOptions<T>;
  private readonly spacer: HTMLElement;
  private pages = new Map<number, T[]>();
  private pending = new Set<number>();
  private generation = 0;
  private frame = 0;
  /** The key of the selected item last reported to `onSelect` (null: none reported yet). */
  private reported: string | null = null;
  /** The selection was cleared on purpose (a document opened from a link): refreshes keep it so. */
  private detached = false;
  total = -1;
  selected = -1;
  error: unknown = null;

  constructor(options: VirtualListOptions<T>) {
    this.o = options;
    this.spacer = h("div", { class: "app-vlist__spacer", role: "presentation" });
    options.viewport.append(this.spacer);
    options.viewport.addEventListener("scroll", () => this.schedule());
    options.viewport.addEventListener("click", (e) => {
      const row = (e.target as Element).closest?.("[data-index]");
      if (!row) return;
      const index = Number(row.getAttribute("data-index"));
      this.select(index);
      const item = this.item(index);
      if (item !== undefined) this.o.onOpen(item, index);
    });
    new ResizeObserver(() => this.schedule()).observe(options.viewport);
  }

  /** Row height in pixels (rows are sized in rem: it changes with the text size). */
  get rowHeight(): number {
    return this.o.rowHeight;
  }

  setRowHeight(px: number): void {
    if (px === this.o.rowHeight || !(px > 0)) return;
    const first = this.o.rowHeight ? this.o.viewport.scrollTop / this.o.rowHeight : 0;
    this.o.rowHeight = px;
    this.o.viewport.scrollTop = first * px;
    this.render();
    if (this.selected >= 0) this.select(this.selected);
  }

  /** Starts again from the first row (a new query); the first row is selected once it arrives. */
  async reset(): Promise<void> {
    this.generation++;
    this.pages.clear();
    this.pending.clear();
    this.total = -1;
    this.selected = -1;
    this.detached = false;
    this.error = null;
    this.o.viewport.scrollTop = 0;
    // Nothing is selected until the new rows arrive: the document pane follows, at once.
    this.render();
    await this.load(0);
    if (this.total > 0) this.selected = 0;
    this.render();
  }

  /**
   * Re-fetches the rows in view, keeping the scroll position and the selected item: if it moved
   * (new documents arrived above it), the selection moves with it; if it left the list, the row
   * now at its place is selected.
   */
  async refresh(): Promise<void> {
    const before = this.selectedItem();
    const key = before !== undefined && this.o.key ? this.o.key(before) : null;
    const id = key?.split(":")[0] ?? null;
    this.generation++;
    this.pages.clear();
    this.pending.clear();
    const range = this.range();
    const wanted = pagesFor(range, this.o.pageSize);
    await Promise.all((wanted.length ? wanted : [0]).map((p) => this.load(p)));
    if (id !== null) {
      const at = this.findIndex((item) => this.o.key?.(item).split(":")[0] === id);
      if (at >= 0 && at !== this.selected) {
        this.select(at);
        return;
      }
    }
    // No row selected on purpose (a document opened from a link) stays so; otherwise a row is.
    if (!this.detached) this.selected = clampIndex(this.selected, this.total);
    this.render();
  }

  /** The index of the first loaded item `match` accepts, or -1. */
  findIndex(match: (item: T) => boolean): number {
    for (const [page, rows] of [...this.pages.entries()].sort((a, b) => a[0] - b[0])) {
      const i = rows.findIndex(match);
      if (i >= 0) return page * this.o.pageSize + i;
    }
    return -1;
  }

  /** No row selected (a document opened from a link is not a row of this list). */
  clearSelection(): void {
    this.selected = -1;
    this.detached = true;
    this.render();
  }

  item(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.o.pageSize))?.[index % this.o.pageSize];
  }

  selectedItem(): T | undefined {
    return this.selected >= 0 ? this.item(this.selected) : undefined;
  }

  select(index: number): void {
    this.detached = false;
    this.selected = clampIndex(index, this.total);
    if (this.selected < 0) return;
    const v = this.o.viewport;
    const top = scrollToReveal(this.selected, v.scrollTop, v.clientHeight, this.o.rowHeight);
    if (top !== null) v.scrollTop = top;
    this.render();
  }

  move(delta: number): void {
    this.select((this.selected < 0 ? -1 : this.selected) + delta);
  }

  private range() {
    const v = this.o.viewport;
    return visibleRange(v.scrollTop, v.clientHeight || 600, this.o.rowHeight, Math.max(this.total, 0), this.o.overscan);
  }

  private async load(page: number): Promise<void> {
    if (this.pages.has(page) || this.pending.has(page)) return;
    const generation = this.generation;
    this.pending.add(page);
    try {
      const result = await this.o.fetchPage(page * this.o.pageSize, this.o.pageSize);
      if (generation !== this.generation) return;
      this.pages.set(page, result.rows);
      // A short page means the list ends there, whatever total was reported.
      let total = result.total;
      if (result.rows.length < this.o.pageSize) total = Math.min(total, page * this.o.pageSize + result.rows.length);
      if (total !== this.total) {
        this.total = total;
        this.o.onTotal?.(total);
      }
      this.error = null;
    } catch (e) {
      if (generation !== this.generation) return;
      this.error = e;
      if (this.total < 0) this.total = 0;
    } finally {
      if (generation === this.generation) this.pending.delete(page);
    }
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render(): void {
    const { viewport, rowHeight } = this.o;
    const total = Math.max(this.total, 0);
    for (const el of [...viewport.children]) if (el !== this.spacer) el.remove();
    clear(this.spacer);
    const empty = (this.error && this.pages.size === 0) || this.total === 0;
    // A list box may only hold options: the empty and error notices are shown without the role.
    if (empty) viewport.removeAttribute("role");
    else viewport.setAttribute("role", "listbox");
    if (this.error && this.pages.size === 0) {
      this.spacer.style.height = "auto";
      viewport.append(this.o.renderError(this.error));
      viewport.removeAttribute("aria-activedescendant");
      this.report();
      return;
    }
    if (this.total === 0) {
      this.spacer.style.height = "auto";
      viewport.append(this.o.renderEmpty());
      viewport.removeAttribute("aria-activedescendant");
      this.report();
      return;
    }
    this.spacer.style.height = `${total * rowHeight}px`;
    const range = this.range();
    const missing = pagesFor(range, this.o.pageSize).filter((p) => !this.pages.has(p));
    for (const p of missing) void this.load(p).then(() => this.schedule());
    for (let i = range.start; i < range.end; i++) {
      const item = this.item(i);
      const el = item === undefined ? this.o.renderPending(i, total) : this.o.renderRow(item, i, total, i === this.selected);
      el.style.top = `${i * rowHeight}px`;
      el.style.height = `${rowHeight}px`;
      this.spacer.append(el);
    }
    if (this.selected >= range.start && this.selected < range.end) viewport.setAttribute("aria-activedescendant", `row-${this.selected}`);
    else viewport.removeAttribute("aria-activedescendant");
    this.report();
  }

  /** Tells `onSelect` when the selected item (by key) differs from the one last told. */
  private report(): void {
    if (!this.o.onSelect) return;
    const item = this.total > 0 && this.selected >= 0 ? this.item(this.selected) : undefined;
    const key = item === undefined ? "" : `${this.selected}|${this.o.key ? this.o.key(item) : String(this.selected)}`;
    if (key === this.reported) return;
    this.reported = key;
    this.o.onSelect(item, this.selected);
  }
}
