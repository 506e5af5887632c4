// PDF attachments drawn onto canvases with pdf.js, inside the window: no plugin, no frame, no
// PDF JavaScript (pdf.js's scripting sandbox is never loaded), no eval, no WebAssembly, no web
// fonts, no network. pdf.js runs on the main thread (the CSP allows no workers); it is loaded
// only when a PDF is opened.

/** Decodes base64 to bytes. */
export function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Renders every page of a PDF into `target` as canvases; resolves to the page count. */
export async function renderPdf(base64: string, target: HTMLElement, label: string): Promise<number> {
  const [pdfjs, worker] = await Promise.all([import("pdfjs-dist"), import("pdfjs-dist/build/pdf.worker.mjs")]);
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
  const doc = await task.promise;
  try {
    const width = Math.max(320, target.clientWidth || 640);
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const base = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: (width / base.width) * (window.devicePixelRatio || 1) });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.style.width = `${width}px`;
      canvas.className = "app-pdf__page";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${label}, page ${n} of ${doc.numPages}`);
      const context = canvas.getContext("2d");
      if (!context) throw new Error("no 2D canvas");
      await page.render({ canvas, canvasContext: context, viewport }).promise;
      target.append(canvas);
    }
    return doc.numPages;
  } finally {
    void doc.destroy();
  }
}
