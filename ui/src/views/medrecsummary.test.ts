import { afterEach, describe, expect, it } from "vitest";
import { markDraft, MedrecSummaryDialog } from "./medrecsummary";
import { h } from "../widgets/dom";

const DRAFT_HTML =
  "<h1>Medicines reconciliation</h1>\n<p><strong>DRAFT: not signed off.</strong> 2 of 3 rows decided. Do not act on this copy.</p>\n<ul>\n<li><strong>Patient:</strong> Sam Smith</li>\n</ul>\n<h2>Decisions</h2>\n<table><thead><tr><th>Hospital's line</th></tr></thead><tbody><tr><td>Amoxicillin</td></tr></tbody></table>\n";
const SIGNED_HTML = "<h1>Medicines reconciliation</h1>\n<ul>\n<li><strong>Signed off:</strong> Pat Pharmacist</li>\n</ul>\n";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("the summary's draft line", () => {
  it("marks the core's DRAFT line", () => {
    const body = h("div");
    body.innerHTML = DRAFT_HTML;
    const line = markDraft(body);
    expect(line.textContent).toBe("DRAFT: not signed off. 2 of 3 rows decided. Do not act on this copy.");
    expect(line.classList.contains("app-medrec-print__draft")).toBe(true);
    expect(body.querySelectorAll(".app-medrec-print__draft").length).toBe(1);
  });
  it("adds one under the title when the core's is missing", () => {
    const body = h("div");
    body.innerHTML = SIGNED_HTML;
    const line = markDraft(body);
    expect(line.previousElementSibling?.tagName).toBe("H1");
    expect(line.textContent).toBe("DRAFT: not signed off. Do not act on this copy.");
  });
});

describe("the summary dialog", () => {
  afterEach(() => {
    document.body.innerHTML = "";
    document.body.className = "";
  });

  function setup(print: (id: number) => Promise<string | null> = async () => null) {
    const opener = h("button", { type: "button", id: "medrec-summary-open" }, "Print summary");
    const printed: number[] = [];
    const dialog = new MedrecSummaryDialog({ print: async (id) => (printed.push(id), print(id)) }, () => opener);
    document.body.append(opener, dialog.element);
    opener.focus();
    return { opener, dialog, printed };
  }

  it("shows the core's HTML, marks a draft, prints on request, and closes with Escape back to the button", async () => {
    const { opener, dialog, printed } = setup();
    await dialog.show(4, Promise.resolve({ markdown: "", html: DRAFT_HTML, draft: true }));
    const el = dialog.element;
    expect(dialog.open).toBe(true);
    expect(el.getAttribute("role")).toBe("dialog");
    expect(el.getAttribute("data-testid")).toBe("medrec-summary-view");
    expect(document.body.classList.contains("app-summary-open")).toBe(true);
    expect(el.classList.contains("app-medrec-print--draft")).toBe(true);
    expect(el.querySelector("[data-testid=medrec-summary-draft]")).not.toBeNull();
    expect(el.querySelector("#medrec-summary-title")?.textContent).toBe("Medicines reconciliation summary Draft: not signed off");
    expect(el.querySelector("table td")?.textContent).toBe("Amoxicillin");
    const print = el.querySelector<HTMLButtonElement>("[data-testid=medrec-print]")!;
    expect(print.disabled).toBe(false);
    print.click();
    await tick();
    expect(printed).toEqual([4]);
    expect(el.querySelector("[role=status]")?.textContent).toMatch(/recorded in the document's audit trail/);
    el.querySelector<HTMLButtonElement>("[data-testid=medrec-print]")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(dialog.open).toBe(false);
    expect(document.body.classList.contains("app-summary-open")).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it("says why printing failed", async () => {
    const { dialog } = setup(async () => "Choose who is working first");
    await dialog.show(4, Promise.resolve({ markdown: "", html: SIGNED_HTML, draft: false }));
    expect(dialog.element.querySelector("[data-testid=medrec-summary-draft]")).toBeNull();
    expect(dialog.element.querySelector("#medrec-summary-title")?.textContent).toBe("Medicines reconciliation summary Signed off");
    dialog.element.querySelector<HTMLButtonElement>("[data-testid=medrec-print]")!.click();
    await tick();
    expect(dialog.element.querySelector("[role=status]")?.textContent).toBe("Not printed: Choose who is working first");
  });

  it("cannot print before the summary arrives, and says when it could not be prepared", async () => {
    const { dialog, printed } = setup();
    await dialog.show(4, Promise.reject(new Error("document 4 not found")));
    const print = dialog.element.querySelector<HTMLButtonElement>("[data-testid=medrec-print]")!;
    expect(print.disabled).toBe(true);
    print.click();
    await tick();
    expect(printed).toEqual([]);
    expect(dialog.element.querySelector("[role=alert]")?.textContent).toBe("The summary could not be prepared: document 4 not found");
  });

  it("keeps Tab within the dialog", async () => {
    const { dialog } = setup();
    await dialog.show(4, Promise.resolve({ markdown: "", html: SIGNED_HTML, draft: false }));
    const body = dialog.element.querySelector<HTMLElement>("#medrec-summary-body")!;
    body.focus();
    const e = new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true });
    body.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe("medrec-print");
  });

  it("returns focus to the fallback when the opener was redrawn", async () => {
    const { opener, dialog } = setup();
    await dialog.show(4, Promise.resolve({ markdown: "", html: SIGNED_HTML, draft: false }));
    opener.remove();
    const again = h("button", { type: "button", id: "medrec-summary-open" }, "Print summary");
    const d2 = dialog as unknown as { fallbackFocus: () => HTMLElement };
    d2.fallbackFocus = () => again;
    document.body.append(again);
    dialog.close();
    expect(document.activeElement).toBe(again);
  });
});
