// PDF attachments drawn onto canvases with pdf.js, inside the window: no plugin, no frame, no
// PDF JavaScript (pdf.js's scripting sandbox is never loaded), no eval, no WebAssembly, no web
// fonts, no network. pdf.js runs on the main thread (the CSP allows no workers); it is loaded
// only when a PDF is opened.
//
// A hostile or huge PDF must not freeze the window or exhaust its memory, so:
//   - at most `PAGES_AT_ONCE` pages are drawn at a time (a window of pages, with buttons for the
//     next and previous ones and a line saying how many pages there are); moving to another
//     window releases the canvases of the one shown;
//   - each canvas is capped (`MAX_CANVAS_SIDE` on either side, `MAX_CANVAS_PIXELS` in all, and a
//     share of `MAX_WINDOW_PIXELS` for the window), scaled down with a note when that bites;
//   - pages are drawn one at a time, yielding to the event loop between them, and drawing stops
//     (and the document is released) when the cancellation token is cancelled: the attachment
//     view was closed or replaced, or the document pane shows something else.
import { CancelToken } from "./cancel";
import { h } from "./dom";

/** Pages drawn at a time. */
export const PAGES_AT_ONCE = 20;
/** The largest canvas side, in pixels. */
export const MAX_CANVAS_SIDE = 4096;
/** The most pixels in one canvas (64 MB of RGBA). */
export const MAX_CANVAS_PIXELS = 16_000_000;
/** The most pixels in all the canvases of one window of pages together (400 MB of RGBA). */
export const MAX_WINDOW_PIXELS = 100_000_000;

/** Decodes base64 to bytes. */
export function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ----- pure computations ---------------------------------------------------------------------

/** Pages `first` to `last` (1-based, inclusive) of a PDF with `total` pages. */
export interface PageWindow {
  first: number;
  last: number;
  total: number;
}

/**
 * The window of at most `size` pages starting at page `first` (clamped to the document), or
 * null for a document without pages.
 */
export function pageWindow(total: number, first: number, size: number = PAGES_AT_ONCE): PageWindow | null {
  if (!Number.isFinite(total) || total < 1) return null;
  const n = Math.floor(total);
  const step = Math.max(1, Math.floor(size) || 1);
  const start = Math.min(Math.max(1, Math.floor(first) || 1), n);
  return { first: start, last: Math.min(n, start + step - 1), total: n };
}

/** The window after `w`, or null when `w` reaches the last page. */
export function nextWindow(w: PageWindow, size: number = PAGES_AT_ONCE): PageWindow | null {
  return w.last < w.total ? pageWindow(w.total, w.last + 1, size) : null;
}

/** The window before `w`, or null when `w` starts at the first page. */
export function previousWindow(w: PageWindow, size: number = PAGES_AT_ONCE): PageWindow | null {
  return w.first > 1 ? pageWindow(w.total, Math.max(1, w.first - Math.max(1, Math.floor(size) || 1)), size) : null;
}

function pages(n: number): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? "page" : "pages"}`;
}

function range(w: PageWindow): string {
  return w.first === w.last ? `page ${w.first.toLocaleString("en-GB")}` : `pages ${w.first.toLocaleString("en-GB")} to ${w.last.toLocaleString("en-GB")}`;
}

/** The line above the pages: how many there are and which are shown (or being drawn). */
export function pdfSummary(w: PageWindow, drawing: boolean): string {
  const all = w.first === 1 && w.last === w.total;
  const head = `This PDF has ${pages(w.total)}.`;
  if (drawing) return `${head} Drawing ${all && w.total > 1 ? "them" : range(w)}…`;
  return all ? head : `${head} Showing ${range(w)}.`;
}

/** "Show the next 20 pages (980 more)", or null when the last page is shown. */
export function nextLabel(w: PageWindow, size: number = PAGES_AT_ONCE): string | null {
  const next = nextWindow(w, size);
  if (!next) return null;
  const count = next.last - next.first + 1;
  return `Show the next ${count === 1 ? "page" : `${count} pages`} (${(w.total - w.last).toLocaleString("en-GB")} more)`;
}

/** "Show the previous 20 pages", or null when the first page is shown. */
export function previousLabel(w: PageWindow, size: number = PAGES_AT_ONCE): string | null {
  const previous = previousWindow(w, size);
  if (!previous) return null;
  const count = Math.min(previous.last, w.first - 1) - previous.first + 1;
  return `Show the previous ${count === 1 ? "page" : `${count} pages`}`;
}

export interface CanvasLimits {
  maxSide: number;
  maxPixels: number;
}

export const CANVAS_LIMITS: CanvasLimits = { maxSide: MAX_CANVAS_SIDE, maxPixels: MAX_CANVAS_PIXELS };

/** How one page is drawn. */
export interface CanvasSize {
  /** The canvas, in pixels. */
  width: number;
  height: number;
  /** The pdf.js scale that draws the page into that canvas. */
  scale: number;
  /** The width the canvas is shown at, in CSS pixels. */
  cssWidth: number;
  /** The page was drawn at a lower resolution than wanted, to keep within the limits. */
  reduced: boolean;
}

/** The pixels each page of a window of `count` pages may use. */
export function windowLimits(count: number, limits: CanvasLimits = CANVAS_LIMITS, windowPixels = MAX_WINDOW_PIXELS): CanvasLimits {
  const share = Math.floor(windowPixels / Math.max(1, count));
  return { maxSide: limits.maxSide, maxPixels: Math.max(1, Math.min(limits.maxPixels, share)) };
}

/**
 * The canvas for a page `pageWidth` by `pageHeight` (at scale 1) shown `fitWidth` CSS pixels
 * wide on a screen with `pixelRatio` device pixels per CSS pixel, within `limits`; null for a
 * page with no usable size. A page too large for the limits is drawn smaller (`reduced`), and
 * never shown wider than its canvas.
 */
export function canvasSize(
  pageWidth: number,
  pageHeight: number,
  fitWidth: number,
  pixelRatio = 1,
  limits: CanvasLimits = CANVAS_LIMITS,
): CanvasSize | null {
  if (!(Number.isFinite(pageWidth) && Number.isFinite(pageHeight) && pageWidth > 0 && pageHeight > 0)) return null;
  const fit = Number.isFinite(fitWidth) && fitWidth > 0 ? fitWidth : 640;
  const ratio = Number.isFinite(pixelRatio) && pixelRatio > 0 ? pixelRatio : 1;
  const wanted = (fit / pageWidth) * ratio;
  // A hair under the exact limits, so rounding never takes a canvas over them.
  const cap = Math.min(limits.maxSide / pageWidth, limits.maxSide / pageHeight, Math.sqrt(limits.maxPixels / pageWidth / pageHeight)) * (1 - 1e-9);
  const scale = Math.min(wanted, cap);
  const width = Math.max(1, Math.floor(pageWidth * scale));
  const height = Math.max(1, Math.floor(pageHeight * scale));
  return { width, height, scale, cssWidth: Math.min(fit, width), reduced: scale < wanted };
}

// ----- drawing -------------------------------------------------------------------------------

/** One page of a PDF, as the drawing loop needs it (pdf.js's page, or a fake in tests). */
export interface PdfPage {
  /** The page's size at scale 1 (its rotation applied). */
  size(): { width: number; height: number };
  /** Starts drawing the page at `scale` into `canvas`. */
  draw(canvas: HTMLCanvasElement, scale: number): { promise: Promise<unknown>; cancel(): void };
  /** Frees what pdf.js keeps for the page. */
  release(): void;
}

/** A loaded PDF, as the drawing loop needs it. */
export interface PdfSource {
  numPages: number;
  page(n: number): Promise<PdfPage>;
  destroy(): void;
}

export interface PdfViewOptions {
  pagesAtOnce?: number;
  limits?: CanvasLimits;
  windowPixels?: number;
  /** CSS pixels to fit a page into; default the container's width. */
  fitWidth?: number;
  pixelRatio?: number;
  /** Lets the window handle input between pages; default a zero-delay timeout. */
  yieldToBrowser?: () => Promise<void>;
}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve));

/** Gives a canvas's memory back at once rather than when it is collected. */
function releaseCanvases(el: Element): void {
  for (const canvas of el.querySelectorAll("canvas")) {
    canvas.width = 0;
    canvas.height = 0;
  }
}

/**
 * Shows `source` in `container`: the page count, the first window of pages (drawn one at a time)
 * and buttons for the other windows. Resolves to the page count once the first window is drawn
 * (`data-pages` is then set on the container), or null if `token` was cancelled first; rejects
 * if the first window cannot be drawn. `source` is destroyed when `token` is cancelled, and at
 * once when every page fits in the first window.
 */
export async function showPdf(source: PdfSource, container: HTMLElement, label: string, token: CancelToken, options: PdfViewOptions = {}): Promise<number | null> {
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    source.destroy();
  };
  token.onCancel(destroy);
  const size = options.pagesAtOnce ?? PAGES_AT_ONCE;
  const yieldToBrowser = options.yieldToBrowser ?? nextTask;
  const first = pageWindow(source.numPages, 1, size);
  if (!first) {
    destroy();
    throw new Error("the PDF has no pages");
  }
  const summary = h("p", { class: "app-pdf__summary app-small", "data-testid": "pdf-summary", role: "status", "aria-live": "polite", tabindex: "-1" });
  const pagesBox = h("div", { class: "app-pdf__pages" });
  const previous = h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "pdf-previous", hidden: true });
  const next = h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary app-small-button", "data-testid": "pdf-next", hidden: true });
  const nav = h("div", { class: "app-pdf__nav", hidden: true }, previous, next);
  container.append(summary, pagesBox, nav);
  /** Shows the buttons that have somewhere to go. */
  const showNav = (w: PageWindow, withNext: boolean) => {
    const p = previousLabel(w, size);
    const q = withNext ? nextLabel(w, size) : null;
    previous.textContent = p ?? "";
    previous.hidden = !p;
    next.textContent = q ?? "";
    next.hidden = !q;
    nav.hidden = !p && !q;
  };
  token.onCancel(() => releaseCanvases(pagesBox));

  let shown = first;
  let job: CancelToken | null = null;

  /** Draws window `w` in place of the one shown; false if it was stopped. */
  const draw = async (w: PageWindow): Promise<boolean> => {
    job?.cancel();
    const current = new CancelToken(token);
    job = current;
    shown = w;
    releaseCanvases(pagesBox);
    pagesBox.replaceChildren();
    nav.hidden = true;
    summary.textContent = pdfSummary(w, true);
    const fit = options.fitWidth ?? Math.max(320, container.clientWidth || 640);
    const ratio = options.pixelRatio ?? (window.devicePixelRatio || 1);
    const limits = windowLimits(w.last - w.first + 1, options.limits ?? CANVAS_LIMITS, options.windowPixels ?? MAX_WINDOW_PIXELS);
    const stopped = () => {
      // Taken out of the page without a cancel: stop for good, and free the document.
      if (!container.isConnected) token.cancel();
      return current.cancelled;
    };
    /** Draws page `n` into the window; false if drawing was stopped. */
    const drawPage = async (n: number): Promise<boolean> => {
      const page = await source.page(n);
      try {
        if (stopped()) return false;
        const base = page.size();
        const c = canvasSize(base.width, base.height, fit, ratio, limits);
        if (!c) {
          pagesBox.append(h("p", { class: "app-pdf__note app-small" }, `Page ${n} has no size and cannot be shown.`));
          return true;
        }
        const canvas = document.createElement("canvas");
        canvas.width = c.width;
        canvas.height = c.height;
        canvas.style.width = `${c.cssWidth}px`;
        canvas.className = "app-pdf__page";
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", `${label}, page ${n} of ${w.total}`);
        const free = () => {
          canvas.width = 0;
          canvas.height = 0;
        };
        const task = page.draw(canvas, c.scale);
        current.onCancel(() => task.cancel());
        try {
          await task.promise;
        } catch (e) {
          free();
          if (current.cancelled) return false;
          throw e;
        }
        if (stopped()) {
          free();
          return false;
        }
        pagesBox.append(canvas);
        if (c.reduced) {
          pagesBox.append(h("p", { class: "app-pdf__note app-small" }, `Page ${n} is very large, so it is shown at a lower resolution. Save the PDF to see it in full.`));
        }
        return true;
      } finally {
        page.release();
      }
    };
    for (let n = w.first; n <= w.last; n++) {
      if (stopped() || !(await drawPage(n))) return false;
      // Let the window handle input (and paint) before the next page.
      await yieldToBrowser();
    }
    if (stopped()) return false;
    summary.textContent = pdfSummary(w, false);
    showNav(w, true);
    return true;
  };

  const go = (w: PageWindow | null) => {
    if (!w || token.cancelled) return;
    summary.focus();
    summary.scrollIntoView?.({ block: "nearest" });
    draw(w).catch((e) => {
      // Stopped, or another window has been asked for since: nothing to say.
      if (token.cancelled || shown !== w) return;
      pagesBox.append(h("p", { class: "nhsuk-error-message", "data-testid": "pdf-error" }, `These pages cannot be shown here (${errorText(e)}). Save the PDF and open it with a program you trust.`));
      summary.textContent = pdfSummary(shown, false);
      showNav(shown, true);
    });
  };
  previous.addEventListener("click", () => go(previousWindow(shown, size)));
  next.addEventListener("click", () => go(nextWindow(shown, size)));

  const done = await draw(first);
  if (!done || token.cancelled) return null;
  container.setAttribute("data-pages", String(first.total));
  // Nothing more can be shown: free the document now.
  if (first.last === first.total) destroy();
  return first.total;
}

/** A short description of an error, for messages. */
export function errorText(e: unknown): string {
  return String((e as Error)?.message ?? e);
}

/**
 * Loads a PDF from base64 with pdf.js and shows it in `target` (see `showPdf`); resolves to the
 * page count, or null if `token` was cancelled first.
 */
export async function renderPdf(base64: string, target: HTMLElement, label: string, token: CancelToken = new CancelToken()): Promise<number | null> {
  const [pdfjs, worker] = await Promise.all([import("pdfjs-dist"), import("pdfjs-dist/build/pdf.worker.mjs")]);
  if (token.cancelled) return null;
  (globalThis as unknown as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
  const task = pdfjs.getDocument({
    data: base64Bytes(base64),
    isEvalSupported: false,
    disableFontFace: true,
    useWasm: false,
    enableXfa: false,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  // Until the document has loaded, cancelling stops the load; then `showPdf` frees the document.
  let loading = true;
  token.onCancel(() => {
    if (loading) void task.destroy();
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (e) {
    if (token.cancelled) return null;
    throw e;
  } finally {
    loading = false;
  }
  if (token.cancelled) {
    void doc.destroy();
    return null;
  }
  const loaded = doc;
  const source: PdfSource = {
    numPages: loaded.numPages,
    page: async (n) => {
      const page = await loaded.getPage(n);
      return {
        size: () => {
          const v = page.getViewport({ scale: 1 });
          return { width: v.width, height: v.height };
        },
        draw: (canvas, scale) => {
          const context = canvas.getContext("2d");
          if (!context) throw new Error("no 2D canvas");
          return page.render({ canvas, canvasContext: context, viewport: page.getViewport({ scale }) });
        },
        release: () => void page.cleanup(),
      };
    },
    destroy: () => void loaded.destroy(),
  };
  return showPdf(source, target, label, token);
}
