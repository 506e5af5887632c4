import { describe, expect, it } from "vitest";
import { clampIndex, pagesFor, scrollToReveal, visibleRange } from "./virtual";

describe("visibleRange", () => {
  it("renders the visible rows plus overscan", () => {
    // 600px viewport of 60px rows at the top: rows 0..9 visible, 5 rows overscan below.
    expect(visibleRange(0, 600, 60, 100_000, 5)).toEqual({ start: 0, end: 15 });
    // Scrolled to row 1000 exactly.
    expect(visibleRange(60_000, 600, 60, 100_000, 5)).toEqual({ start: 995, end: 1015 });
  });
  it("counts a partly visible row", () => {
    expect(visibleRange(30, 600, 60, 100, 0)).toEqual({ start: 0, end: 11 });
  });
  it("clamps at the end of the list and for empty lists", () => {
    expect(visibleRange(5_999_400, 600, 60, 100_000, 5)).toEqual({ start: 99_985, end: 100_000 });
    expect(visibleRange(10_000_000, 600, 60, 100, 5)).toEqual({ start: 100, end: 100 });
    expect(visibleRange(0, 600, 60, 0, 5)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(-50, 600, 60, 3, 5)).toEqual({ start: 0, end: 3 });
  });
  it("renders a bounded number of rows however long the list", () => {
    const r = visibleRange(123_456, 700, 68, 100_000, 8);
    expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(700 / 68) + 1 + 16);
  });
});

describe("pagesFor", () => {
  it("lists the pages that hold a range", () => {
    expect(pagesFor({ start: 0, end: 15 }, 200)).toEqual([0]);
    expect(pagesFor({ start: 190, end: 215 }, 200)).toEqual([0, 1]);
    expect(pagesFor({ start: 200, end: 400 }, 200)).toEqual([1]);
    expect(pagesFor({ start: 5, end: 5 }, 200)).toEqual([]);
  });
});

describe("scrollToReveal", () => {
  it("scrolls only when the row is out of view", () => {
    expect(scrollToReveal(3, 0, 600, 60)).toBeNull();
    expect(scrollToReveal(10, 0, 600, 60)).toBe(60);
    expect(scrollToReveal(2, 300, 600, 60)).toBe(120);
  });
});

describe("clampIndex", () => {
  it("keeps the selection on a row", () => {
    expect(clampIndex(-1, 10)).toBe(0);
    expect(clampIndex(12, 10)).toBe(9);
    expect(clampIndex(0, 0)).toBe(-1);
  });
});
