import { describe, expect, it } from "vitest";
import { CancelToken } from "./cancel";
import {
  base64Bytes,
  CANVAS_LIMITS,
  canvasSize,
  MAX_CANVAS_PIXELS,
  MAX_CANVAS_SIDE,
  nextLabel,
  nextWindow,
  pageWindow,
  pdfSummary,
  previousLabel,
  previousWindow,
  showPdf,
  windowLimits,
  type PdfPage,
  type PdfSource,
} from "./pdf";

describe("the window of pages", () => {
  it("is the first 20 pages, or all of a shorter PDF", () => {
    expect(pageWindow(1234, 1)).toEqual({ first: 1, last: 20, total: 1234 });
    expect(pageWindow(3, 1)).toEqual({ first: 1, last: 3, total: 3 });
    expect(pageWindow(1, 1)).toEqual({ first: 1, last: 1, total: 1 });
    expect(pageWindow(0, 1)).toBeNull();
    expect(pageWindow(Number.NaN, 1)).toBeNull();
  });

  it("stays inside the document", () => {
    expect(pageWindow(45, 41)).toEqual({ first: 41, last: 45, total: 45 });
    expect(pageWindow(45, 100)).toEqual({ first: 45, last: 45, total: 45 });
    expect(pageWindow(45, -3)).toEqual({ first: 1, last: 20, total: 45 });
  });

  it("moves forward and back by 20 pages", () => {
    const first = pageWindow(45, 1)!;
    const second = nextWindow(first)!;
    expect(second).toEqual({ first: 21, last: 40, total: 45 });
    const third = nextWindow(second)!;
    expect(third).toEqual({ first: 41, last: 45, total: 45 });
    expect(nextWindow(third)).toBeNull();
    expect(previousWindow(third)).toEqual(second);
    expect(previousWindow(first)).toBeNull();
    // From a window that does not start on a multiple of 20, back never goes before page 1.
    expect(previousWindow(pageWindow(45, 5)!)).toEqual({ first: 1, last: 20, total: 45 });
  });

  it("labels the buttons with what they show", () => {
    const first = pageWindow(1234, 1)!;
    expect(nextLabel(first)).toBe("Show the next 20 pages (1,214 more)");
    expect(previousLabel(first)).toBeNull();
    const last = pageWindow(45, 41)!;
    expect(nextLabel(last)).toBeNull();
    expect(previousLabel(last)).toBe("Show the previous 20 pages");
    expect(nextLabel(pageWindow(25, 1)!)).toBe("Show the next 5 pages (5 more)");
    expect(nextLabel(pageWindow(21, 1)!)).toBe("Show the next page (1 more)");
    expect(previousLabel(pageWindow(45, 2)!)).toBe("Show the previous page");
  });

  it("says how many pages there are and which are shown", () => {
    expect(pdfSummary(pageWindow(1, 1)!, false)).toBe("This PDF has 1 page.");
    expect(pdfSummary(pageWindow(3, 1)!, false)).toBe("This PDF has 3 pages.");
    expect(pdfSummary(pageWindow(3, 1)!, true)).toBe("This PDF has 3 pages. Drawing them…");
    expect(pdfSummary(pageWindow(1234, 21)!, false)).toBe("This PDF has 1,234 pages. Showing pages 21 to 40.");
    expect(pdfSummary(pageWindow(1234, 21)!, true)).toBe("This PDF has 1,234 pages. Drawing pages 21 to 40…");
    expect(pdfSummary(pageWindow(21, 21)!, false)).toBe("This PDF has 21 pages. Showing page 21.");
  });
});

describe("the canvas for a page", () => {
  const A4 = { width: 595, height: 842 };

  it("fits an ordinary page to the pane at the screen's resolution", () => {
    const c = canvasSize(A4.width, A4.height, 640, 2)!;
    expect(c.width).toBe(1280);
    expect(c.height).toBe(Math.floor(842 * (1280 / 595)));
    expect(c.cssWidth).toBe(640);
    expect(c.reduced).toBe(false);
    expect(c.scale).toBeCloseTo(1280 / 595);
  });

  it("caps a very wide page at 4096 pixels and says it is reduced", () => {
    // 100,000 points wide: fitting it to the pane would already make it small, so no cap bites.
    const fitted = canvasSize(100_000, 842, 640, 1)!;
    expect(fitted.width).toBe(640);
    expect(fitted.height).toBeGreaterThanOrEqual(1);
    // But on a pane wider than 4096 pixels the side cap does.
    const c = canvasSize(100_000, 842, 5000, 1)!;
    expect(c.width).toBeLessThanOrEqual(MAX_CANVAS_SIDE);
    expect(c.reduced).toBe(true);
    expect(c.cssWidth).toBeLessThanOrEqual(c.width);
  });

  it("caps a very tall page, never showing it wider than its canvas", () => {
    const c = canvasSize(100, 100_000, 640, 1)!;
    expect(c.height).toBeLessThanOrEqual(MAX_CANVAS_SIDE);
    expect(c.width).toBeLessThanOrEqual(MAX_CANVAS_SIDE);
    expect(c.reduced).toBe(true);
    expect(c.cssWidth).toBe(c.width);
    expect(c.cssWidth).toBeLessThan(640);
  });

  it("keeps within the pixel limit", () => {
    const c = canvasSize(4000, 4000, 4000, 1)!;
    expect(c.width * c.height).toBeLessThanOrEqual(MAX_CANVAS_PIXELS);
    expect(c.reduced).toBe(true);
    const small = canvasSize(A4.width, A4.height, 640, 2, { maxSide: 4096, maxPixels: 1_000_000 })!;
    expect(small.width * small.height).toBeLessThanOrEqual(1_000_000);
    expect(small.reduced).toBe(true);
  });

  it("stays within the limits for any page size", () => {
    for (const [w, h] of [[1e-6, 1e9], [1e9, 1e-6], [1e9, 1e9], [3, 7], [14_400, 14_400], [0.5, 0.5]]) {
      for (const fit of [320, 1000, 9000]) {
        for (const ratio of [1, 1.25, 2, 3]) {
          const c = canvasSize(w, h, fit, ratio)!;
          expect(c.width).toBeGreaterThanOrEqual(1);
          expect(c.height).toBeGreaterThanOrEqual(1);
          expect(c.width).toBeLessThanOrEqual(CANVAS_LIMITS.maxSide);
          expect(c.height).toBeLessThanOrEqual(CANVAS_LIMITS.maxSide);
          expect(c.width * c.height).toBeLessThanOrEqual(CANVAS_LIMITS.maxPixels);
          expect(Number.isInteger(c.width) && Number.isInteger(c.height)).toBe(true);
        }
      }
    }
  });

  it("refuses a page with no usable size", () => {
    expect(canvasSize(0, 842, 640)).toBeNull();
    expect(canvasSize(595, -1, 640)).toBeNull();
    expect(canvasSize(Number.NaN, 842, 640)).toBeNull();
    expect(canvasSize(Number.POSITIVE_INFINITY, 842, 640)).toBeNull();
  });

  it("falls back to sane values for a missing pane width or pixel ratio", () => {
    const c = canvasSize(A4.width, A4.height, 0, Number.NaN)!;
    expect(c.width).toBe(640);
  });

  it("shares a window's pixel budget between its pages", () => {
    expect(windowLimits(1)).toEqual({ maxSide: MAX_CANVAS_SIDE, maxPixels: MAX_CANVAS_PIXELS });
    expect(windowLimits(20)).toEqual({ maxSide: MAX_CANVAS_SIDE, maxPixels: 5_000_000 });
    expect(windowLimits(20, CANVAS_LIMITS, 1000).maxPixels).toBe(50);
  });
});

describe("base64", () => {
  it("decodes to bytes", () => {
    expect([...base64Bytes("JVBERi0=")]).toEqual([0x25, 0x50, 0x44, 0x46, 0x2d]);
  });
});

// ----- the drawing loop, with a fake PDF --------------------------------------------------------

interface Fake {
  source: PdfSource;
  drawn: number[];
  released: number[];
  destroyed: () => boolean;
}

function fakePdf(numPages: number, size = (_n: number) => ({ width: 595, height: 842 }), fail?: (n: number) => boolean): Fake {
  const drawn: number[] = [];
  const released: number[] = [];
  let destroyed = false;
  return {
    drawn,
    released,
    destroyed: () => destroyed,
    source: {
      numPages,
      page: async (n): Promise<PdfPage> => ({
        size: () => size(n),
        draw: () => {
          drawn.push(n);
          return { promise: fail?.(n) ? Promise.reject(new Error(`page ${n} is broken`)) : Promise.resolve(), cancel: () => {} };
        },
        release: () => released.push(n),
      }),
      destroy: () => {
        destroyed = true;
      },
    },
  };
}

function container(): HTMLElement {
  const el = document.createElement("div");
  document.body.append(el);
  return el;
}

const now = () => Promise.resolve();
const settle = () => new Promise((r) => setTimeout(r, 0));
const canvases = (el: HTMLElement) => [...el.querySelectorAll("canvas")];
const button = (el: HTMLElement, id: string) => el.querySelector(`[data-testid=${id}]`) as HTMLButtonElement;

describe("drawing a PDF", () => {
  it("draws the first 20 pages, says how many there are and offers the next ones", async () => {
    const fake = fakePdf(45);
    const el = container();
    const total = await showPdf(fake.source, el, "Attachment 1 (PDF)", new CancelToken(), { yieldToBrowser: now, fitWidth: 640, pixelRatio: 1 });
    expect(total).toBe(45);
    expect(el.getAttribute("data-pages")).toBe("45");
    expect(fake.drawn).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(fake.released).toEqual(fake.drawn);
    const shown = canvases(el);
    expect(shown).toHaveLength(20);
    expect(shown[0].getAttribute("aria-label")).toBe("Attachment 1 (PDF), page 1 of 45");
    expect(shown[0].width).toBe(640);
    expect(shown[0].style.width).toBe("640px");
    expect(el.querySelector("[data-testid=pdf-summary]")?.textContent).toBe("This PDF has 45 pages. Showing pages 1 to 20.");
    expect(button(el, "pdf-next").hidden).toBe(false);
    expect(button(el, "pdf-next").textContent).toBe("Show the next 20 pages (25 more)");
    expect(button(el, "pdf-previous").hidden).toBe(true);
    // The document stays open for the other pages.
    expect(fake.destroyed()).toBe(false);
  });

  it("shows the next window in place of the first, freeing its canvases", async () => {
    const fake = fakePdf(45);
    const el = container();
    await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now, fitWidth: 640, pixelRatio: 1 });
    const old = canvases(el);
    button(el, "pdf-next").click();
    await settle();
    expect(old.every((c) => c.width === 0 && c.height === 0)).toBe(true);
    const shown = canvases(el);
    expect(shown).toHaveLength(20);
    expect(shown[0].getAttribute("aria-label")).toBe("PDF, page 21 of 45");
    expect(el.querySelector("[data-testid=pdf-summary]")?.textContent).toBe("This PDF has 45 pages. Showing pages 21 to 40.");
    expect(button(el, "pdf-previous").textContent).toBe("Show the previous 20 pages");
    expect(button(el, "pdf-next").textContent).toBe("Show the next 5 pages (5 more)");
    button(el, "pdf-next").click();
    await settle();
    expect(canvases(el)).toHaveLength(5);
    expect(button(el, "pdf-next").hidden).toBe(true);
    button(el, "pdf-previous").click();
    await settle();
    expect(canvases(el)[0].getAttribute("aria-label")).toBe("PDF, page 21 of 45");
  });

  it("frees a PDF at once when every page is shown", async () => {
    const fake = fakePdf(1);
    const el = container();
    expect(await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now })).toBe(1);
    expect(fake.destroyed()).toBe(true);
    expect(el.querySelector("[data-testid=pdf-summary]")?.textContent).toBe("This PDF has 1 page.");
    expect(button(el, "pdf-next").hidden).toBe(true);
  });

  it("yields to the browser between pages and stops when cancelled", async () => {
    const fake = fakePdf(1000);
    const el = container();
    const token = new CancelToken();
    let yields = 0;
    const result = await showPdf(fake.source, el, "PDF", token, {
      yieldToBrowser: async () => {
        if (++yields === 3) token.cancel();
      },
    });
    expect(result).toBeNull();
    expect(fake.drawn).toEqual([1, 2, 3]);
    expect(fake.destroyed()).toBe(true);
    expect(el.hasAttribute("data-pages")).toBe(false);
    expect(canvases(el).every((c) => c.width === 0)).toBe(true);
  });

  it("stops when its view is taken out of the window", async () => {
    const fake = fakePdf(50);
    const el = container();
    let yields = 0;
    const result = await showPdf(fake.source, el, "PDF", new CancelToken(), {
      yieldToBrowser: async () => {
        if (++yields === 2) el.remove();
      },
    });
    expect(result).toBeNull();
    expect(fake.drawn).toEqual([1, 2]);
    expect(fake.destroyed()).toBe(true);
  });

  it("draws a huge page smaller and says so", async () => {
    const fake = fakePdf(2, (n) => (n === 2 ? { width: 100, height: 100_000 } : { width: 595, height: 842 }));
    const el = container();
    await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now, fitWidth: 640, pixelRatio: 2 });
    const [, huge] = canvases(el);
    expect(huge.height).toBeLessThanOrEqual(MAX_CANVAS_SIDE);
    expect(huge.width * huge.height).toBeLessThanOrEqual(MAX_CANVAS_PIXELS);
    const notes = [...el.querySelectorAll(".app-pdf__note")].map((p) => p.textContent);
    expect(notes).toEqual(["Page 2 is very large, so it is shown at a lower resolution. Save the PDF to see it in full."]);
  });

  it("keeps all the canvases of a window within its pixel budget", async () => {
    const fake = fakePdf(20, () => ({ width: 4000, height: 4000 }));
    const el = container();
    await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now, fitWidth: 4000, pixelRatio: 1, windowPixels: 20_000_000 });
    const pixels = canvases(el).reduce((sum, c) => sum + c.width * c.height, 0);
    expect(pixels).toBeLessThanOrEqual(20_000_000);
  });

  it("says a page without a size cannot be shown and goes on", async () => {
    const fake = fakePdf(3, (n) => (n === 2 ? { width: 0, height: 0 } : { width: 595, height: 842 }));
    const el = container();
    expect(await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now })).toBe(3);
    expect(canvases(el)).toHaveLength(2);
    expect(el.textContent).toContain("Page 2 has no size and cannot be shown.");
  });

  it("fails when the first pages cannot be drawn, and frees the PDF", async () => {
    const fake = fakePdf(30, undefined, (n) => n === 2);
    const el = container();
    const token = new CancelToken();
    await expect(showPdf(fake.source, el, "PDF", token, { yieldToBrowser: now })).rejects.toThrow("page 2 is broken");
    token.cancel();
    expect(fake.destroyed()).toBe(true);
  });

  it("says so when later pages cannot be drawn, keeping the way on and back", async () => {
    const fake = fakePdf(45, undefined, (n) => n === 25);
    const el = container();
    await showPdf(fake.source, el, "PDF", new CancelToken(), { yieldToBrowser: now });
    button(el, "pdf-next").click();
    await settle();
    expect(el.querySelector("[data-testid=pdf-error]")?.textContent).toContain("page 25 is broken");
    expect(button(el, "pdf-previous").hidden).toBe(false);
    // The pages after the broken ones can still be reached.
    expect(button(el, "pdf-next").textContent).toBe("Show the next 5 pages (5 more)");
  });

  it("refuses a PDF without pages", async () => {
    const fake = fakePdf(0);
    await expect(showPdf(fake.source, container(), "PDF", new CancelToken(), { yieldToBrowser: now })).rejects.toThrow("no pages");
    expect(fake.destroyed()).toBe(true);
  });
});
