import { describe, expect, it } from "vitest";
import type { DocumentView } from "../bindings/DocumentView";
import type { QuarantinedView } from "../bindings/QuarantinedView";
import { documentTarget, quarantinedTarget, sameTarget, SelectionState } from "./selection";

/** Just the parts of a document view the selection reads. */
function viewOf(id: number, status = "new", version = 1): DocumentView {
  return { row: { id, status, version } } as unknown as DocumentView;
}

function messageOf(messageId: number): QuarantinedView {
  return { provenance: { message_id: messageId }, reason: "not a bundle", diagnostics: [], text: "", binary: false } as unknown as QuarantinedView;
}

describe("the selection", () => {
  it("starts with nothing selected and an empty pane", () => {
    const s = new SelectionState();
    expect(s.selected).toBeNull();
    expect(s.pane.kind).toBe("empty");
    expect(s.openDocumentId).toBeNull();
    expect(s.actionTarget()).toBeNull();
  });

  it("shows the selected document once it arrives", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(7));
    expect(s.pane).toEqual({ kind: "loading", target: { kind: "document", id: 7 }, seq: t.seq });
    expect(s.selected).toEqual(documentTarget(7));
    expect(s.openDocumentId).toBeNull();
    expect(s.showDocument(t, viewOf(7))).toBe(true);
    expect(s.pane.kind).toBe("document");
    expect(s.openDocumentId).toBe(7);
  });

  it("discards a response for an earlier selection, whichever arrives first", () => {
    const s = new SelectionState();
    const first = s.select(documentTarget(1));
    const second = s.select(documentTarget(2));
    // The first document's answer arrives late: ignored, the pane waits for the second.
    expect(s.showDocument(first, viewOf(1))).toBe(false);
    expect(s.pane.kind).toBe("loading");
    expect(s.showDocument(second, viewOf(2))).toBe(true);
    expect(s.openDocumentId).toBe(2);
    // And an error for the first one, later still, changes nothing.
    expect(s.showError(first, "gone")).toBe(false);
    expect(s.openDocumentId).toBe(2);
  });

  it("never shows a different document from the one selected", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(5));
    expect(s.showDocument(t, viewOf(6))).toBe(true);
    expect(s.pane.kind).toBe("error");
    expect(s.openDocumentId).toBeNull();
    expect(s.actionTarget()).toBeNull();
    // A quarantined message is not a document either.
    const q = s.select(quarantinedTarget(5));
    expect(s.showDocument(q, viewOf(5))).toBe(true);
    expect(s.pane.kind).toBe("error");
  });

  it("shows a quarantined message only for the message selected", () => {
    const s = new SelectionState();
    const t = s.select(quarantinedTarget(11));
    expect(s.showQuarantined(t, messageOf(11))).toBe(true);
    expect(s.pane.kind).toBe("quarantined");
    expect(s.openDocumentId).toBeNull();
    expect(s.actionTarget()).toBeNull();
    const u = s.select(quarantinedTarget(12));
    expect(s.showQuarantined(u, messageOf(13))).toBe(true);
    expect(s.pane.kind).toBe("error");
    expect(s.showQuarantined(t, messageOf(11))).toBe(false);
  });

  it("says why a selection could not be opened, for the current selection only", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(3));
    expect(s.showError(t, "This document could not be opened: gone")).toBe(true);
    expect(s.pane).toMatchObject({ kind: "error", message: "This document could not be opened: gone", target: documentTarget(3) });
    expect(s.selected).toEqual(documentTarget(3));
  });

  it("clears to nothing, discarding what is on its way", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(4));
    s.clear();
    expect(s.pane.kind).toBe("empty");
    expect(s.selected).toBeNull();
    expect(s.isCurrent(t)).toBe(false);
    expect(s.showDocument(t, viewOf(4))).toBe(false);
    expect(s.pane.kind).toBe("empty");
  });

  it("loads the same document again when it is selected again", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(8));
    s.showDocument(t, viewOf(8, "new"));
    const again = s.select(documentTarget(8));
    expect(s.pane.kind).toBe("loading");
    expect(s.isCurrent(t)).toBe(false);
    s.showDocument(again, viewOf(8, "filed"));
    expect(s.actionTarget()?.view.row.status).toBe("filed");
  });
});

describe("following the list's selected row", () => {
  const docRow = (id: number, version = 1) => ({ kind: "document" as const, row: { id, version } });
  it("loads the row's document, and nothing else is shown meanwhile", () => {
    const s = new SelectionState();
    const t = s.follow(docRow(3));
    expect(t?.target).toEqual(documentTarget(3));
    expect(s.pane.kind).toBe("loading");
    s.showDocument(t!, viewOf(3));
    // j to another row: the pane is for the new row at once (never the old document).
    const u = s.follow(docRow(4));
    expect(s.pane).toMatchObject({ kind: "loading", target: documentTarget(4) });
    expect(s.actionTarget()).toBeNull();
    // The old answer arriving late changes nothing.
    expect(s.showDocument(t!, viewOf(3))).toBe(false);
    expect(s.showDocument(u!, viewOf(4))).toBe(true);
    expect(s.actionTarget()?.id).toBe(4);
  });
  it("does nothing for the row already shown at the version listed, or already loading", () => {
    const s = new SelectionState();
    const t = s.follow(docRow(3, 2));
    expect(s.follow(docRow(3, 2))).toBeNull();
    s.showDocument(t!, viewOf(3, "new", 2));
    expect(s.follow(docRow(3, 2))).toBeNull();
    expect(s.pane.kind).toBe("document");
  });
  it("reloads the document when the list has a newer version of it", () => {
    const s = new SelectionState();
    const t = s.follow(docRow(3, 1));
    s.showDocument(t!, viewOf(3, "new", 1));
    const again = s.follow(docRow(3, 2));
    expect(again).not.toBeNull();
    expect(s.pane.kind).toBe("loading");
  });
  it("clears the pane when no row is selected (an empty queue, a new search loading)", () => {
    const s = new SelectionState();
    const t = s.follow(docRow(3));
    s.showDocument(t!, viewOf(3));
    expect(s.follow(null)).toBeNull();
    expect(s.pane.kind).toBe("empty");
    expect(s.actionTarget()).toBeNull();
  });
  it("follows quarantined messages too, reloading one whose dealt-with state changed", () => {
    const s = new SelectionState();
    const row = (dealt: string | null) => ({ kind: "quarantined" as const, row: { message: { message_id: 5 } as never, dealt_with_at: dealt } });
    const t = s.follow(row(null));
    expect(t?.target).toEqual(quarantinedTarget(5));
    s.showQuarantined(t!, { ...messageOf(5), dealt_with_at: null } as never);
    expect(s.follow(row(null))).toBeNull();
    expect(s.follow(row("2026-11-22T10:00:00Z"))).not.toBeNull();
    // From a message to a document: the message is gone from the pane at once.
    s.follow(docRow(5));
    expect(s.pane).toMatchObject({ kind: "loading", target: documentTarget(5) });
  });
});

describe("the target of an action", () => {
  it("is the selected document once the pane shows it, with the version shown", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(9));
    expect(s.actionTarget()).toBeNull(); // still loading
    s.showDocument(t, viewOf(9, "new", 7));
    expect(s.actionTarget()).toMatchObject({ id: 9, expectedVersion: 7 });
  });

  it("is nothing while another selection loads, so the old document's buttons do nothing", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(9));
    s.showDocument(t, viewOf(9));
    s.select(documentTarget(10));
    expect(s.actionTarget()).toBeNull();
    expect(s.actionTarget(9)).toBeNull();
  });

  it("must be the document a button names", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(9));
    s.showDocument(t, viewOf(9));
    expect(s.actionTarget(9)?.id).toBe(9);
    expect(s.actionTarget(10)).toBeNull();
  });

  it("is nothing after the selected document failed to open", () => {
    const s = new SelectionState();
    const t = s.select(documentTarget(9));
    s.showDocument(t, viewOf(9));
    const u = s.select(documentTarget(10));
    s.showError(u, "could not be opened");
    expect(s.actionTarget()).toBeNull();
  });
});

describe("targets", () => {
  it("compare by kind and id", () => {
    expect(sameTarget(documentTarget(1), documentTarget(1))).toBe(true);
    expect(sameTarget(documentTarget(1), documentTarget(2))).toBe(false);
    expect(sameTarget(documentTarget(1), quarantinedTarget(1))).toBe(false);
    expect(sameTarget(quarantinedTarget(3), quarantinedTarget(3))).toBe(true);
    expect(sameTarget(null, null)).toBe(true);
    expect(sameTarget(null, documentTarget(1))).toBe(false);
  });
});
