import { describe, expect, it } from "vitest";
import { clampListWidth, PrefStore, stepZoom } from "./prefs";

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe("window preferences", () => {
  it("step the text size through fixed sizes, within bounds", () => {
    expect(stepZoom(1, 1)).toBe(1.1);
    expect(stepZoom(1, -1)).toBe(0.9);
    expect(stepZoom(2.5, 1)).toBe(2.5);
    expect(stepZoom(0.8, -1)).toBe(0.8);
    expect(stepZoom(1.3, -1)).toBe(1.25);
  });
  it("are remembered per store, and anything stored wrongly reads as the defaults", () => {
    const s = memory();
    const a = new PrefStore(s, "/data/a");
    expect(a.load()).toEqual({ zoom: 1, listWidthRem: null });
    a.save({ zoom: 2, listWidthRem: 30 });
    expect(a.load()).toEqual({ zoom: 2, listWidthRem: 30 });
    expect(new PrefStore(s, "/data/b").load()).toEqual({ zoom: 1, listWidthRem: null });
    s.setItem("handover.prefs:/data/c", "{not json");
    expect(new PrefStore(s, "/data/c").load()).toEqual({ zoom: 1, listWidthRem: null });
    s.setItem("handover.prefs:/data/d", JSON.stringify({ zoom: 9, listWidthRem: 2 }));
    expect(new PrefStore(s, "/data/d").load()).toEqual({ zoom: 2.5, listWidthRem: 18 });
  });
  it("keep the list's width within bounds", () => {
    expect(clampListWidth(5)).toBe(18);
    expect(clampListWidth(100)).toBe(48);
    expect(clampListWidth(25.1)).toBe(25);
  });
  it("work without storage", () => {
    const p = new PrefStore(null, "/x");
    p.save({ zoom: 2, listWidthRem: null });
    expect(p.load().zoom).toBe(1);
  });
});
