// Selection state: which document (or quarantined message) the user has selected and what the
// document pane holds for it. No DOM.
//
// The invariant, enforced here and nowhere else: the document pane shows the selected row's
// document or nothing. The pane's content is a `Pane` derived from the selection:
//   - `select(target)` is the only way to choose what the pane is for; it discards whatever
//     was shown or loading for an earlier selection (and every response still on its way, by
//     sequence number);
//   - a response is accepted only with the ticket of the current selection and only if it is
//     the selected document;
//   - an action (file, needs action, back to New) gets its target from `actionTarget`, which
//     names the selected document only once that document is what the pane shows.
//
// The list's keyboard highlight (the row j/k move to, `VirtualList.selected`) is not the
// selection: it becomes the selection when the user opens it (Enter or a click).
import type { DocumentView } from "../bindings/DocumentView";
import type { QuarantinedView } from "../bindings/QuarantinedView";

export type DocumentTarget = { kind: "document"; id: number };
export type QuarantinedTarget = { kind: "quarantined"; messageId: number };
export type Target = DocumentTarget | QuarantinedTarget;

/** What the document pane holds. */
export type Pane =
  | { kind: "empty" }
  | { kind: "loading"; target: Target; seq: number }
  | { kind: "document"; target: DocumentTarget; seq: number; view: DocumentView }
  | { kind: "quarantined"; target: QuarantinedTarget; seq: number; message: QuarantinedView }
  | { kind: "error"; target: Target; seq: number; message: string };

/** Given by `select`; hand it back with the response so a stale one can be recognised. */
export interface Ticket {
  readonly seq: number;
  readonly target: Target;
}

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

  /** `ticket` is for the current selection (no later `select` or `clear`). */
  isCurrent(ticket: Ticket): boolean {
    return ticket.seq === this.seq && this.shown.kind !== "empty";
  }

  /**
   * The selected document has arrived. Returns whether the pane changed: false (and nothing
   * changes) when the ticket is stale. A view of another document than the one selected is
   * never shown: the pane holds an error instead.
   */
  showDocument(ticket: Ticket, view: DocumentView): boolean {
    if (!this.isCurrent(ticket)) return false;
    const target = ticket.target;
    if (target.kind !== "document" || view.row.id !== target.id) {
      this.shown = { kind: "error", target, seq: ticket.seq, message: "This document could not be opened: a different document was returned." };
      return true;
    }
    this.shown = { kind: "document", target, seq: ticket.seq, view };
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
   * it loads, nor after it failed to load). With `expectedId` (the document whose button was
   * pressed), null unless that is the one.
   */
  actionTarget(expectedId?: number): { id: number; view: DocumentView } | null {
    const p = this.shown;
    if (p.kind !== "document") return null;
    if (expectedId !== undefined && expectedId !== p.target.id) return null;
    return { id: p.target.id, view: p.view };
  }
}
