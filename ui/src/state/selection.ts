// Selection state: which document (or quarantined message) is selected and what the document
// pane holds for it. No DOM.
//
// The invariant, enforced here and nowhere else: the document pane shows the selected row's
// document or nothing.
//   - The selection follows the list: the window calls `follow` with the list's selected row
//     whenever it changes (j/k, a click, a new queue or search, a refresh that moved the rows,
//     a row whose version changed). A row that is not the one shown makes the pane "loading",
//     which is drawn as nothing (never the previous patient's document).
//   - `select(target)` is the only other way to choose what the pane is for (a link to another
//     document); it too discards whatever was shown or loading, and every response still on its
//     way (by sequence number).
//   - A response is accepted only with the ticket of the current selection and only if it is
//     the selected document.
//   - An action (file, needs action, back to New) gets its target from `actionTarget`: the
//     document the pane shows, with the version the user saw, and only once it is shown. The
//     core refuses the action if the document changed since (`document_changed`).
import type { DocumentRow } from "../bindings/DocumentRow";
import type { DocumentView } from "../bindings/DocumentView";
import type { WorkflowView } from "../bindings/WorkflowView";
import type { QuarantinedView } from "../bindings/QuarantinedView";
import type { QuarantineRow } from "../bindings/QuarantineRow";

export type DocumentTarget = { kind: "document"; id: number };
export type QuarantinedTarget = { kind: "quarantined"; messageId: number };
export type Target = DocumentTarget | QuarantinedTarget;

/** What the document pane holds. */
export type Pane =
  | { kind: "empty" }
  | { kind: "loading"; target: Target; seq: number }
  | { kind: "document"; target: DocumentTarget; seq: number; view: DocumentView; work: WorkflowView | null; workError: string | null }
  | { kind: "quarantined"; target: QuarantinedTarget; seq: number; message: QuarantinedView }
  | { kind: "error"; target: Target; seq: number; message: string };

/** Given by `select`; hand it back with the response so a stale one can be recognised. */
export interface Ticket {
  readonly seq: number;
  readonly target: Target;
}

/** What an action on the shown document names: the document and the version the user saw. */
export interface ActionTarget {
  id: number;
  expectedVersion: number;
  view: DocumentView;
  work: WorkflowView | null;
}

/** The list's selected row, as the selection follows it. */
export type SelectedRow = { kind: "document"; row: Pick<DocumentRow, "id" | "version"> } | { kind: "quarantined"; row: Pick<QuarantineRow, "message" | "dealt_with_at"> };

export function documentTarget(id: number): DocumentTarget {
  return { kind: "document", id };
}

export function quarantinedTarget(messageId: number): QuarantinedTarget {
  return { kind: "quarantined", messageId };
}

export function sameTarget(a: Target | null, b: Target | null): boolean {
  if (!a || !b) return a === b;
  if (a.kind === "document") return b.kind === "document" && a.id === b.id;
  return b.kind === "quarantined" && a.messageId === b.messageId;
}

export class SelectionState {
  private seq = 0;
  private shown: Pane = { kind: "empty" };

  /** What the document pane holds. */
  get pane(): Pane {
    return this.shown;
  }

  /** The selected document or message, or null when nothing is selected. */
  get selected(): Target | null {
    return this.shown.kind === "empty" ? null : this.shown.target;
  }

  /** The id of the document the pane shows, or null (nothing, a message, still loading, an error). */
  get openDocumentId(): number | null {
    return this.shown.kind === "document" ? this.shown.view.row.id : null;
  }

  /**
   * Selects `target`: the pane is now for it (loading) and nothing earlier can come back.
   * Selecting the same target again loads it again (after its status changed, say).
   */
  select(target: Target): Ticket {
    const seq = ++this.seq;
    this.shown = { kind: "loading", target, seq };
    return { seq, target };
  }

  /** Nothing selected: the pane shows nothing, and responses on their way are discarded. */
  clear(): void {
    this.seq++;
    this.shown = { kind: "empty" };
  }

  /**
   * The list's selected row is now `row` (or none): the selection follows it. Returns the ticket
   * to load it with, or null when there is nothing to load (no row: the pane is cleared; the row
   * is already shown, at the version listed, or already loading).
   */
  follow(selected: SelectedRow | null): Ticket | null {
    if (!selected) {
      if (this.shown.kind !== "empty") this.clear();
      return null;
    }
    const target = selected.kind === "document" ? documentTarget(selected.row.id) : quarantinedTarget(selected.row.message.message_id);
    const p = this.shown;
    if (p.kind !== "empty" && sameTarget(p.target, target)) {
      if (p.kind === "loading") return null;
      // Shown already: load again only if the list has a newer version than the pane.
      if (p.kind === "document" && selected.kind === "document" && selected.row.version === p.view.row.version) return null;
      if (p.kind === "quarantined" && selected.kind === "quarantined" && selected.row.dealt_with_at === p.message.dealt_with_at) return null;
    }
    return this.select(target);
  }

  /** `ticket` is for the current selection (no later `select` or `clear`). */
  isCurrent(ticket: Ticket): boolean {
    return ticket.seq === this.seq && this.shown.kind !== "empty";
  }

  /**
   * The selected document has arrived. Returns whether the pane changed: false (and nothing
   * changes) when the ticket is stale. A view of another document than the one selected is
   * never shown: the pane holds an error instead.
   */
  showDocument(ticket: Ticket, view: DocumentView, work: WorkflowView | null = null, workError: string | null = null): boolean {
    if (!this.isCurrent(ticket)) return false;
    const target = ticket.target;
    if (target.kind !== "document" || view.row.id !== target.id) {
      this.shown = { kind: "error", target, seq: ticket.seq, message: "This document could not be opened: a different document was returned." };
      return true;
    }
    // A workflow of another document (or another version) is never shown with this one.
    const fits = work && work.document_id === view.row.id;
    this.shown = { kind: "document", target, seq: ticket.seq, view, work: fits ? work : null, workError: fits || !work ? workError : "a different document's workflow was returned" };
    return true;
  }

  /** The selected quarantined message has arrived; as `showDocument`. */
  showQuarantined(ticket: Ticket, message: QuarantinedView): boolean {
    if (!this.isCurrent(ticket)) return false;
    const target = ticket.target;
    if (target.kind !== "quarantined" || message.provenance.message_id !== target.messageId) {
      this.shown = { kind: "error", target, seq: ticket.seq, message: "This message could not be opened: a different message was returned." };
      return true;
    }
    this.shown = { kind: "quarantined", target, seq: ticket.seq, message };
    return true;
  }

  /** The selection could not be loaded: the pane says why. Whether the pane changed, as `showDocument`. */
  showError(ticket: Ticket, message: string): boolean {
    if (!this.isCurrent(ticket)) return false;
    this.shown = { kind: "error", target: ticket.target, seq: ticket.seq, message };
    return true;
  }

  /**
   * The document an action applies to: the selected document, once the pane shows it (not while
   * it loads, nor after it failed to load), with the version shown. With `expectedId` (the
   * document whose button was pressed), null unless that is the one.
   */
  actionTarget(expectedId?: number): ActionTarget | null {
    const p = this.shown;
    if (p.kind !== "document") return null;
    if (expectedId !== undefined && expectedId !== p.target.id) return null;
    return { id: p.target.id, expectedVersion: p.view.row.version, view: p.view, work: p.work };
  }

  /** The quarantined message the pane shows, or null. */
  shownMessageId(expectedId?: number): number | null {
    const p = this.shown;
    if (p.kind !== "quarantined") return null;
    if (expectedId !== undefined && expectedId !== p.target.messageId) return null;
    return p.target.messageId;
  }
}
