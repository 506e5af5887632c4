// The last status change, so it can be undone: the document, the status it had, and the version
// the change produced (undo is itself a versioned change: it is refused if the document changed
// again since). No DOM.
import type { DocumentStatus } from "../bindings/DocumentStatus";

export interface UndoEntry {
  id: number;
  /** The status to go back to. */
  previous: DocumentStatus;
  /** The status the change set. */
  status: DocumentStatus;
  /** The document's version after the change. */
  version: number;
  /** What to call it in the toast ("SMITH, Sam, Discharge summary"). */
  label: string;
  /** Until when (ms since the epoch) undo is offered. */
  until: number;
}

/** How long a change can be undone, in milliseconds (the toast shows that long). */
export const UNDO_MS = 10_000;

export class UndoState {
  private entry: UndoEntry | null = null;

  /** A status change was made: it may be undone until `now + UNDO_MS`. */
  record(e: Omit<UndoEntry, "until">, now: number): UndoEntry {
    this.entry = { ...e, until: now + UNDO_MS };
    return this.entry;
  }

  /** The change undo would revert, if it is still offered at `now`. */
  pending(now: number): UndoEntry | null {
    if (this.entry && now > this.entry.until) this.entry = null;
    return this.entry;
  }

  /** Takes the entry (so it is undone once). */
  take(now: number): UndoEntry | null {
    const e = this.pending(now);
    this.entry = null;
    return e;
  }

  clear(): void {
    this.entry = null;
  }
}
