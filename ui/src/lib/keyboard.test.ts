import { describe, expect, it } from "vitest";
import { keyAction, SHORTCUTS } from "./keyboard";

describe("keyboard shortcuts", () => {
  it("move, open, go back, search and show help", () => {
    expect(keyAction({ key: "j" })).toBe("next");
    expect(keyAction({ key: "ArrowDown" })).toBe("next");
    expect(keyAction({ key: "k" })).toBe("previous");
    expect(keyAction({ key: "ArrowUp" })).toBe("previous");
    expect(keyAction({ key: "Enter" })).toBe("open");
    expect(keyAction({ key: "Escape" })).toBe("back");
    expect(keyAction({ key: "/" })).toBe("search");
    expect(keyAction({ key: "?" })).toBe("help");
    expect(keyAction({ key: "f" })).toBe("file");
    expect(keyAction({ key: "a" })).toBe("needs-action");
    expect(keyAction({ key: "3" })).toBe("queue-quarantine");
  });
  it("leave typing in fields alone, except Escape", () => {
    expect(keyAction({ key: "j", inField: true })).toBeNull();
    expect(keyAction({ key: "/", inField: true })).toBeNull();
    expect(keyAction({ key: "f", inField: true })).toBeNull();
    expect(keyAction({ key: "Escape", inField: true })).toBe("back");
  });
  it("go from the search box down into the results", () => {
    expect(keyAction({ key: "ArrowDown", inField: true, inSearch: true })).toBe("next");
    expect(keyAction({ key: "Enter", inField: true, inSearch: true })).toBe("next");
  });
  it("let arrows scroll the open document, while j and k still move the list", () => {
    expect(keyAction({ key: "ArrowDown", inDocument: true })).toBeNull();
    expect(keyAction({ key: "Enter", inDocument: true })).toBeNull();
    expect(keyAction({ key: "j", inDocument: true })).toBe("next");
  });
  it("ignore browser and system shortcuts", () => {
    expect(keyAction({ key: "f", ctrlKey: true })).toBeNull();
    expect(keyAction({ key: "a", metaKey: true })).toBeNull();
    expect(keyAction({ key: "f", altKey: true })).toBeNull();
  });
  it("undo, and jump within the document", () => {
    expect(keyAction({ key: "u" })).toBe("undo");
    expect(keyAction({ key: "g" })).toBe("jump-summary");
    expect(keyAction({ key: "m" })).toBe("jump-medicines");
    expect(keyAction({ key: "p" })).toBe("jump-actions");
    expect(keyAction({ key: "]" })).toBe("next-section");
    expect(keyAction({ key: "[" })).toBe("previous-section");
    expect(keyAction({ key: "m", inDocument: true })).toBe("jump-medicines");
    expect(keyAction({ key: "m", inField: true })).toBeNull();
  });
  it("size the text with Ctrl and =, - or 0, even in a field", () => {
    expect(keyAction({ key: "=", ctrlKey: true })).toBe("zoom-in");
    expect(keyAction({ key: "+", ctrlKey: true })).toBe("zoom-in");
    expect(keyAction({ key: "-", ctrlKey: true })).toBe("zoom-out");
    expect(keyAction({ key: "0", ctrlKey: true, inField: true })).toBe("zoom-reset");
    expect(keyAction({ key: "0" })).toBeNull();
    expect(keyAction({ key: "-" })).toBeNull();
  });
  it("list every key once", () => {
    const keys = SHORTCUTS.map((s) => s.keys.map((k) => `${s.ctrl ? "ctrl+" : ""}${k}`)).flat();
    expect(new Set(keys).size).toBe(keys.length);
  });
});
