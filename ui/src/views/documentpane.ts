// The document pane (right): draws what the selection state says it holds (see
// state/selection.ts): nothing yet, a document, a quarantined message or why it could not be
// opened. While the next selection loads, what was shown stays, marked busy.
import type { DocumentStatus } from "../api";
import type { Pane } from "../state/selection";
import { CancelToken } from "../widgets/cancel";
import { clear, h } from "../widgets/dom";
import { renderDocument } from "./document";
import { renderQuarantined } from "./quarantine";

/** What the pane's controls ask for; each names the document it was drawn for. */
export interface DocumentPaneActions {
  setStatus: (documentId: number, status: DocumentStatus) => void;
  openDocument: (documentId: number) => void;
  /** `scope` is cancelled when the pane shows something else. */
  viewAttachment: (documentId: number, index: number, target: HTMLElement, scope: CancelToken) => void;
  saveAttachment: (documentId: number, index: number, target: HTMLElement, scope: CancelToken) => void;
  /** Saves a quarantined message as received. */
  saveQuarantined: (messageId: number) => void;
}

export function renderEmptyDocument(): HTMLElement {
  return h("div", { class: "app-document__empty" }, h("p", { class: "nhsuk-body app-muted" }, "Select a document to read it here."), h("p", { class: "nhsuk-body-s app-muted" }, "Press ? for keyboard shortcuts."));
}

export class DocumentPane {
  readonly element = h("section", { class: "app-document", id: "document-pane", "aria-label": "Document" });
  /** Cancelled when the pane's content is replaced (stops attachments being drawn). */
  private scope = new CancelToken();

  constructor(private readonly actions: DocumentPaneActions) {
    this.element.append(renderEmptyDocument());
  }

  /** Shows `pane`. */
  render(pane: Pane): void {
    switch (pane.kind) {
      case "empty":
        this.replace(renderEmptyDocument());
        return;
      case "loading":
        this.element.setAttribute("aria-busy", "true");
        return;
      case "document": {
        const view = pane.view;
        const id = view.row.id;
        const scope = this.replace();
        this.element.append(
          renderDocument(view, {
            setStatus: (s) => this.actions.setStatus(id, s),
            openDocument: (other) => this.actions.openDocument(other),
            viewAttachment: (i, target) => this.actions.viewAttachment(id, i, target, scope),
            saveAttachment: (i, target) => this.actions.saveAttachment(id, i, target, scope),
          }),
        );
        return;
      }
      case "quarantined": {
        const id = pane.message.provenance.message_id;
        this.replace(renderQuarantined(pane.message, { saveOriginal: () => this.actions.saveQuarantined(id) }));
        return;
      }
      case "error":
        this.replace(h("div", { class: "nhsuk-error-summary app-doc-error", role: "alert" }, h("p", { class: "nhsuk-error-message" }, pane.message)));
        return;
    }
  }

  /** Moves focus into the document's scrolling content. */
  focusContent(): void {
    (this.element.querySelector(".app-doc__scroll") as HTMLElement | null)?.focus();
  }

  contains(node: Node | null): boolean {
    return !!node && this.element.contains(node);
  }

  /** Replaces the content (stopping work started for the old one); returns the new scope. */
  private replace(...content: HTMLElement[]): CancelToken {
    this.scope.cancel();
    this.scope = new CancelToken();
    clear(this.element);
    this.element.append(...content);
    this.element.setAttribute("aria-busy", "false");
    return this.scope;
  }
}
