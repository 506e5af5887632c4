// An attachment's view area under the document: "Opening…", the image or the PDF, why it cannot
// be shown, or where it was saved. Each area does one thing at a time: starting something new
// there (View again, Save) stops whatever was still being drawn in it, and an answer for what
// it did before is dropped.
import { toCommandError } from "../api";
import type { AttachmentData } from "../bindings/AttachmentData";
import { formatBytes } from "../lib/format";
import { CancelToken } from "../widgets/cancel";
import { clear, h } from "../widgets/dom";
import { errorText, renderPdf } from "../widgets/pdf";

const claims = new WeakMap<HTMLElement, CancelToken>();

/**
 * Starts new work in `target`: what was still being drawn there stops. The token is cancelled
 * too when `scope` is (the document pane shows something else).
 */
export function claimAttachmentView(target: HTMLElement, scope: CancelToken): CancelToken {
  claims.get(target)?.cancel();
  const token = new CancelToken(scope);
  claims.set(target, token);
  return token;
}

export function showOpening(target: HTMLElement): void {
  clear(target);
  target.append(h("p", { class: "app-muted app-small" }, "Opening…"));
}

export function showAttachmentError(target: HTMLElement, text: string): void {
  clear(target);
  target.append(h("p", { class: "nhsuk-error-message" }, text));
}

/** Shows attachment `index` in `target`: an image, a PDF (drawn page by page), or why not. */
export async function showAttachment(target: HTMLElement, a: AttachmentData, index: number, token: CancelToken): Promise<void> {
  clear(target);
  if (a.display === "pdf") {
    const pages = h("div", { class: "app-pdf", "data-testid": "pdf-view" });
    target.append(pages);
    try {
      await renderPdf(a.base64, pages, `Attachment ${index + 1} (PDF)`, token);
    } catch (e) {
      if (token.cancelled) return;
      token.cancel();
      clear(target);
      target.append(h("p", { class: "nhsuk-error-message", "data-testid": "pdf-error" }, `This PDF cannot be shown here (${errorText(e)}). Save it and open it with a program you trust.`));
    }
    return;
  }
  if (a.display !== "image") {
    target.append(h("p", { class: "app-small" }, "This attachment cannot be shown here: save it and open it with a program you trust."));
    return;
  }
  target.append(h("img", { class: "app-attachments__image", src: `data:${a.content_type};base64,${a.base64}`, alt: `Attachment ${index + 1} (${a.content_type}, ${formatBytes(a.size)})` }));
}

export function showSaved(target: HTMLElement, path: string): void {
  clear(target);
  target.append(h("p", { class: "app-small", role: "status" }, `Saved to ${path}. It has not been opened.`));
}

export function showSaveError(target: HTMLElement, text: string): void {
  clear(target);
  target.append(h("p", { class: "nhsuk-error-message" }, text));
}

/** While saving: the area is emptied (its image or PDF is gone). */
export function showSaving(target: HTMLElement): void {
  clear(target);
}

/** View: fetches the attachment with `load` and shows it in `target`. */
export async function viewAttachment(target: HTMLElement, scope: CancelToken, index: number, load: () => Promise<AttachmentData>): Promise<void> {
  const token = claimAttachmentView(target, scope);
  showOpening(target);
  let attachment: AttachmentData;
  try {
    attachment = await load();
  } catch (e) {
    if (!token.cancelled) showAttachmentError(target, `The attachment could not be opened: ${toCommandError(e).message}`);
    return;
  }
  if (!token.cancelled) await showAttachment(target, attachment, index, token);
}

/** Save: saves the attachment with `save` (which resolves to where) and says where. */
export async function saveAttachment(target: HTMLElement, scope: CancelToken, save: () => Promise<string>): Promise<void> {
  const token = claimAttachmentView(target, scope);
  showSaving(target);
  try {
    const path = await save();
    if (!token.cancelled) showSaved(target, path);
  } catch (e) {
    if (!token.cancelled) showSaveError(target, `The attachment could not be saved: ${toCommandError(e).message}`);
  }
}
