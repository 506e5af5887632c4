// The document pane (right): draws what the selection state says it holds (see
// state/selection.ts): nothing, a document, a quarantined message or why it could not be opened.
// While the next selection loads the pane shows no document at all: never the previous patient.
import type { DocumentStatus } from "../api";
import type { DocumentView } from "../bindings/DocumentView";
import { diffDocuments } from "../lib/diff";
import type { Pane } from "../state/selection";
import { CancelToken } from "../widgets/cancel";
import { clear, h } from "../widgets/dom";
import { renderComparison } from "./compare";
import { jumpWithin, renderDocument, type JumpTarget } from "./document";
import { renderQuarantined } from "./quarantine";
import type { CurrentUser } from "../bindings/CurrentUser";
import type { User } from "../bindings/User";
import type { WorkStep } from "../bindings/WorkStep";
import { fileBlockers } from "../lib/workflow";
import { renderWorkError, renderWorkPanel } from "./workflow";
import type { MedChoice } from "../bindings/MedChoice";
import type { MedIntent } from "../bindings/MedIntent";
import type { MedrecView } from "../bindings/MedrecView";
import { nextUndecidedRow, signedOffListVersion } from "../lib/medrec";
import { renderMedrec, renderMedrecError, type MedrecStatus } from "./medrec";

/**
 * The medicines reconciliation of a document, as last fetched (or why it could not be); `status`
 * is what the last export said.
 */
export type MedrecShown = { documentId: number; view: MedrecView | null; error: string | null; notice: string | null; status?: MedrecStatus | null };

/** What the pane's controls ask for; each names the document it was drawn for. */
export interface DocumentPaneActions {
  setStatus: (documentId: number, status: DocumentStatus) => void;
  openDocument: (documentId: number) => void;
  /** `scope` is cancelled when the pane shows something else. */
  viewAttachment: (documentId: number, index: number, target: HTMLElement, scope: CancelToken) => void;
  saveAttachment: (documentId: number, index: number, target: HTMLElement, scope: CancelToken) => void;
  /** Fetches a document to compare with (the version a replacement replaces). */
  fetchDocument: (documentId: number) => Promise<DocumentView>;
  /** Saves a quarantined message as received. */
  saveQuarantined: (messageId: number) => void;
  /** Records that a quarantined message was dealt with. */
  markDealtWith: (messageId: number, note: string) => void;
  /** Keeps a quarantined message's document, matched by hand to a registered patient. */
  matchQuarantined?: (messageId: number, nhsNumber: string, reason: string) => void;
  /** A workflow step on the shown document; `focus` names what to focus once it is shown again. */
  step?: (documentId: number, step: WorkStep, focus?: string) => void;
  /** Who is working, and the profiles (for delegating and assigning). */
  people?: () => { user: CurrentUser | null; users: User[] };
  /** Decides a row of the shown document's medicines reconciliation. */
  medrecDecide?: (documentId: number, row: string, choice: MedChoice, intent: MedIntent | null, note: string | null, followUpDue: string | null) => void;
  medrecSignOff?: (documentId: number) => void;
  medrecConfirmUnchanged?: (documentId: number) => void;
  /** Opens the reconciliation's printable summary. */
  medrecSummary?: (documentId: number) => void;
  /** Saves the signed-off reconciled list as FHIR (the result goes to `setMedrecStatus`). */
  medrecExport?: (documentId: number) => void;
}

export function renderEmptyDocument(): HTMLElement {
  return h(
    "div",
    { class: "app-document__empty", "data-testid": "empty-document" },
    h("p", { class: "nhsuk-body app-muted" }, "Select a document to read it here."),
    h("p", { class: "nhsuk-body-s app-muted" }, "Press ? for keyboard shortcuts."),
  );
}

function renderOpening(): HTMLElement {
  return h("div", { class: "app-document__empty", "data-testid": "opening-document" }, h("p", { class: "nhsuk-body app-muted" }, "Opening…"));
}

export class DocumentPane {
  readonly element = h("section", { class: "app-document", id: "document-pane", "aria-label": "Document" });
  /** Cancelled when the pane's content is replaced (stops attachments being drawn). */
  private scope = new CancelToken();
  /** The reconciliation to draw with its document (set before the document is drawn). */
  medrec: MedrecShown | null = null;

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
        this.replace(renderOpening());
        this.element.setAttribute("aria-busy", "true");
        return;
      case "document": {
        const view = pane.view;
        const id = view.row.id;
        const comparison = view.supersedes.length ? h("div", { class: "app-compare__slot" }, h("p", { class: "app-muted app-small" }, "Comparing with the version it replaces…")) : null;
        const scope = this.replace();
        const today = new Date();
        const people = this.actions.people?.() ?? { user: null, users: [] };
        const work = pane.work
          ? {
              panel: renderWorkPanel({ work: pane.work, user: people.user, users: people.users, today, patient: view.parsed.document?.patient ?? null }, { step: (step, focus) => this.actions.step?.(id, step, focus) }),
              blockers: fileBlockers(pane.work.state, pane.work.actions, people.user),
            }
          : pane.workError
            ? { panel: renderWorkError(pane.workError), blockers: null }
            : null;
        const m = this.medrec && this.medrec.documentId === id && view.parsed.document?.medications.length ? this.medrec : null;
        const medrec = m
          ? m.view
            ? renderMedrec(
                { view: m.view, user: people.user, today, notice: m.notice, newListVersion: pane.work ? signedOffListVersion(pane.work.events) : null, status: m.status ?? null },
                {
                  decide: (row, choice, intent, note, due) => this.actions.medrecDecide?.(id, row, choice, intent, note, due),
                  signOff: () => this.actions.medrecSignOff?.(id),
                  confirmUnchanged: () => this.actions.medrecConfirmUnchanged?.(id),
                  summary: () => this.actions.medrecSummary?.(id),
                  export: () => this.actions.medrecExport?.(id),
                },
              )
            : renderMedrecError(m.error ?? "unknown error")
          : null;
        this.element.append(
          renderDocument(
            view,
            {
              setStatus: (s) => this.actions.setStatus(id, s),
              openDocument: (other) => this.actions.openDocument(other),
              viewAttachment: (i, target) => this.actions.viewAttachment(id, i, target, scope),
              saveAttachment: (i, target) => this.actions.saveAttachment(id, i, target, scope),
            },
            today,
            comparison,
            work,
            medrec,
          ),
        );
        if (comparison) void this.compare(view, comparison, scope);
        return;
      }
      case "quarantined": {
        const id = pane.message.provenance.message_id;
        this.replace(
          renderQuarantined(pane.message, {
            saveOriginal: () => this.actions.saveQuarantined(id),
            markDealtWith: (note) => this.actions.markDealtWith(id, note),
            matchByHand: this.actions.matchQuarantined
              ? (nhs, reason) => this.actions.matchQuarantined?.(id, nhs, reason)
              : undefined,
          }),
        );
        return;
      }
      case "error":
        this.replace(h("div", { class: "nhsuk-error-summary app-doc-error", role: "alert" }, h("p", { class: "nhsuk-error-message" }, pane.message)));
        return;
    }
  }

  /** Fetches the newest version `view` replaces and draws the comparison into `slot`, unless the pane moved on. */
  private async compare(view: DocumentView, slot: HTMLElement, scope: CancelToken): Promise<void> {
    const earlier = [...view.supersedes].sort((a, b) => b.received_at.localeCompare(a.received_at))[0];
    let text: HTMLElement;
    try {
      const before = await this.actions.fetchDocument(earlier.id);
      if (scope.cancelled) return;
      const a = before.parsed.document;
      const b = view.parsed.document;
      text =
        a && b
          ? renderComparison(diffDocuments(a, b), earlier.received_at, (i) => void jumpWithin(this.element, i))
          : h("p", { class: "app-small" }, "The version it replaces holds no readable document to compare with.");
    } catch (e) {
      if (scope.cancelled) return;
      text = h("p", { class: "nhsuk-error-message" }, `The version it replaces could not be opened to compare: ${e instanceof Error ? e.message : String(e)}`);
    }
    clear(slot);
    slot.append(text);
  }

  /** Shows what an export of document `id`'s reconciliation said (kept while it stays shown). */
  setMedrecStatus(id: number, status: MedrecStatus): void {
    if (this.medrec?.documentId !== id) return;
    this.medrec.status = status;
    const el = this.element.querySelector<HTMLElement>("[data-testid=medrec-export-result]");
    if (!el) return;
    el.textContent = status.text;
    el.classList.toggle("app-medrec__result--error", status.error);
  }

  /** Jumps within the shown document; false when nothing is shown or there is no such place. */
  jump(target: JumpTarget): boolean {
    const article = this.element.querySelector<HTMLElement>(".app-doc[data-document-id]");
    return article ? jumpWithin(article, target) : false;
  }

  /** The element of the shown document's work panel named `key` (see `focusWork`). */
  workElement(key: string): HTMLElement | null {
    const sel: Record<string, string> = {
      match: "#work-match",
      review: "#work-review",
      assign: "#work-assignment button, #work-assignment",
      notes: "#work-note-input",
      panel: "#work-title",
    };
    if (key === "medrec") {
      // The next row without a decision (after the one focused), else Sign off, else the heading.
      const view = this.medrec?.view;
      const current = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-medrec-row]")?.dataset.medrecRow ?? null;
      const next = view ? nextUndecidedRow(view, current) : null;
      const row = next ? [...this.element.querySelectorAll<HTMLElement>("[data-medrec-row]")].find((r) => r.dataset.medrecRow === next) : null;
      if (row) return row.querySelector<HTMLElement>("select") ?? row;
      // In this order (a selector list would give the first in the document: the heading).
      for (const q of ["#medrec-signoff", "#medrec-signed", "#medrec-title"]) {
        const el = this.element.querySelector<HTMLElement>(q);
        if (el) return el;
      }
      return null;
    }
    const rowKey = /^medrec-row:(.+)$/.exec(key)?.[1];
    if (rowKey !== undefined) {
      // A reconciliation row (a follow-up task's): its follow-up line, else its form, else the row.
      const row = [...this.element.querySelectorAll<HTMLElement>("[data-medrec-row]")].find((r) => r.dataset.medrecRow === rowKey);
      return row ? (row.querySelector<HTMLElement>("[data-testid=medrec-follow-up], select, summary") ?? row) : null;
    }
    const m = /^action-(\d+)$/.exec(key);
    const selectors = m ? [`#work-action-${m[1]} button`, `#work-action-${m[1]}`] : (sel[key] ?? "").split(", ").filter(Boolean);
    // The first selector that finds something (a button before the box that holds it).
    for (const q of selectors) {
      const el = this.element.querySelector<HTMLElement>(q);
      if (el) return el;
    }
    return null;
  }

  /** Scrolls to and focuses the work panel's element named `key`; false when it is not shown. */
  focusWork(key: string): boolean {
    const el = this.workElement(key);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
    return true;
  }

  /** Moves focus into the document's scrolling content. */
  focusContent(): void {
    const scroll = this.element.querySelector<HTMLElement>(".app-doc__scroll");
    // Focus without letting the browser scroll anything to show it (the document starts at its top).
    scroll?.focus({ preventScroll: true });
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
