// Sync state: the latest SyncStatusView the window shows and whether the user asked for a sync
// that has not answered yet. No DOM; the banners and the indicator are drawn from it.
import type { RefusedStepView } from "../bindings/RefusedStepView";
import type { SyncStatusView } from "../bindings/SyncStatusView";

/**
 * Whether `next` is newer than the view shown: the `sync_status` command's answer and the
 * sync's events can arrive out of order, and an older view would bring back a stale banner.
 */
export function isNewerView(shown: SyncStatusView | null, next: SyncStatusView): boolean {
  return !shown || next.seq > shown.seq;
}

/** What taking a newer view changed. */
export interface SyncChange {
  previous: SyncStatusView | null;
  view: SyncStatusView;
  /** A sync was running in the previous view and is not in this one. */
  finished: boolean;
  /** The first view the window has seen. */
  firstSeen: boolean;
  /** The lists and the senders should be fetched again (a sync finished, or the first view). */
  refreshLists: boolean;
  /**
   * A pull from the practice server brought something (documents, other people's steps): the
   * open document is fetched again too, since it may have been filed or noted elsewhere.
   */
  practiceChanged: boolean;
  /** Steps of this desktop the practice refused that the window has not told the person yet. */
  refused: RefusedStepView[];
}

export class SyncState {
  private shown: SyncStatusView | null = null;
  private pending = false;
  /** The highest refusal number told (the service numbers them from its start). */
  private toldRefusal = 0;

  /** The view shown, or null before the first one arrives. */
  get view(): SyncStatusView | null {
    return this.shown;
  }

  /** A "Sync now" request is waiting for its answer. */
  get requested(): boolean {
    return this.pending;
  }

  /** Takes `view` if it is newer than the one shown; null (and nothing changes) if it is not. */
  apply(view: SyncStatusView): SyncChange | null {
    if (!isNewerView(this.shown, view)) return null;
    const previous = this.shown;
    this.shown = view;
    const finished = !!previous && previous.syncing && !view.syncing;
    const firstSeen = !previous;
    const practiceChanged = !!previous?.practice && !!view.practice && view.practice.changes !== previous.practice.changes;
    const refused = (view.practice?.refused ?? []).filter((r) => r.number > this.toldRefusal);
    for (const r of refused) this.toldRefusal = Math.max(this.toldRefusal, r.number);
    return { previous, view, finished, firstSeen, refreshLists: finished || firstSeen || practiceChanged, practiceChanged, refused };
  }

  /**
   * Starts a "Sync now" request: false (nothing to do) while one is waiting or when no mailbox
   * is configured (or no view has arrived yet).
   */
  request(): boolean {
    if (this.pending || !this.shown?.configured) return false;
    this.pending = true;
    return true;
  }

  /** The request has answered (or failed). */
  requestDone(): void {
    this.pending = false;
  }

  /** Whether the "Sync now" button is disabled: no mailbox, or a sync is running (unknown before the first view). */
  buttonDisabled(): boolean | null {
    const v = this.shown;
    return v ? !v.configured || v.syncing : null;
  }
}
