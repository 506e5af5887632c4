import { beforeAll, describe, expect, it } from "vitest";
import { h } from "./dom";
import { VirtualList } from "./vlist";

beforeAll(() => {
  // jsdom has no layout: give the viewport a height and stub ResizeObserver.
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
    observe() {}
    disconnect() {}
  };
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 600 });
});

function setup(total: number) {
  const viewport = h("div", { role: "listbox" });
  document.body.append(viewport);
  const fetched: [number, number][] = [];
  const opened: number[] = [];
  const list = new VirtualList<number>({
    viewport,
    rowHeight: 60,
    pageSize: 200,
    overscan: 5,
    fetchPage: async (offset, limit) => {
      fetched.push([offset, limit]);
      const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
      return { total, rows };
    },
    renderRow: (n, i, _t, selected) => h("div", { role: "option", "data-index": i, "aria-selected": selected ? "true" : "false" }, `Row ${n}`),
    renderPending: (i) => h("div", { role: "option", "data-index": i, "data-pending": "" }, "Loading…"),
    renderEmpty: () => h("p", {}, "Nothing"),
    renderError: () => h("p", {}, "Error"),
    onOpen: (n) => opened.push(n),
  });
  return { viewport, list, fetched, opened };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("the virtualised list with 100,000 documents", () => {
  it("renders only the visible rows and fetches one page", async () => {
    const { viewport, list, fetched } = setup(100_000);
    await list.reset();
    expect(list.total).toBe(100_000);
    expect(fetched).toEqual([[0, 200]]);
    const rows = viewport.querySelectorAll("[role=option]");
    expect(rows.length).toBe(15); // 10 visible + 5 overscan
    expect((viewport.firstElementChild as HTMLElement).style.height).toBe("6000000px");
    expect(list.selected).toBe(0);
  });

  it("fetches the page for a far scroll position by offset, not everything before it", async () => {
    const { viewport, list, fetched } = setup(100_000);
    await list.reset();
    viewport.scrollTop = 60 * 75_000;
    list.render();
    await flush();
    list.render();
    // Rows 74,995 to 75,015 span two pages: only those two are fetched.
    expect(fetched).toEqual([[0, 200], [74_800, 200], [75_000, 200]]);
    const texts = [...viewport.querySelectorAll("[role=option]")].map((e) => e.textContent);
    expect(texts[0]).toBe("Row 74995");
    expect(texts).toContain("Row 75000");
  });

  it("moves the selection with the keyboard, scrolling it into view", async () => {
    const { viewport, list } = setup(100_000);
    await list.reset();
    for (let i = 0; i < 12; i++) list.move(1);
    expect(list.selected).toBe(12);
    expect(viewport.scrollTop).toBe(13 * 60 - 600);
    expect(viewport.getAttribute("aria-activedescendant")).toBe("row-12");
    list.move(-100);
    expect(list.selected).toBe(0);
    expect(viewport.scrollTop).toBe(0);
  });

  it("shows the empty notice without the list box role", async () => {
    const { viewport, list } = setup(0);
    await list.reset();
    expect(viewport.textContent).toBe("Nothing");
    expect(viewport.getAttribute("role")).toBeNull();
  });

  it("opens a row on click", async () => {
    const { viewport, list, opened } = setup(10);
    await list.reset();
    (viewport.querySelector('[data-index="3"]') as HTMLElement).click();
    expect(opened).toEqual([3]);
    expect(list.selected).toBe(3);
  });
});
