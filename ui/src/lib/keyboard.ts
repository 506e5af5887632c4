// Keyboard shortcuts: one table, used by both the handler and the help panel.

export type Action =
  | "next"
  | "previous"
  | "open"
  | "back"
  | "search"
  | "help"
  | "file"
  | "needs-action"
  | "mark-new"
  | "sync"
  | "queue-new"
  | "queue-needs-action"
  | "queue-quarantine"
  | "queue-filed"
  | "queue-all";

export const SHORTCUTS: { keys: string[]; action: Action; description: string }[] = [
  { keys: ["j", "ArrowDown"], action: "next", description: "Next document in the list" },
  { keys: ["k", "ArrowUp"], action: "previous", description: "Previous document in the list" },
  { keys: ["Enter"], action: "open", description: "Open the selected document" },
  { keys: ["Escape"], action: "back", description: "Back to the list (or close this panel)" },
  { keys: ["/"], action: "search", description: "Search patient name, NHS number or document text" },
  { keys: ["f"], action: "file", description: "File the open document" },
  { keys: ["a"], action: "needs-action", description: "Mark the open document as needs action" },
  { keys: ["n"], action: "mark-new", description: "Move the open document back to New" },
  { keys: ["s"], action: "sync", description: "Sync now" },
  { keys: ["1"], action: "queue-new", description: "Show the New queue" },
  { keys: ["2"], action: "queue-needs-action", description: "Show the Needs action queue" },
  { keys: ["3"], action: "queue-quarantine", description: "Show the Quarantine queue" },
  { keys: ["4"], action: "queue-filed", description: "Show the Filed queue" },
  { keys: ["5"], action: "queue-all", description: "Show all documents" },
  { keys: ["?"], action: "help", description: "Show or hide these shortcuts" },
];

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** Focus is in a text field or a select: only Escape (and Enter/arrows in search) count. */
  inField?: boolean;
  /** Focus is in the search box. */
  inSearch?: boolean;
  /** Focus is in the document pane (arrows scroll it there instead of moving the list). */
  inDocument?: boolean;
}

/** The action for a key press, or null to let the browser handle it. */
export function keyAction(e: KeyInput): Action | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === "Escape") return "back";
  if (e.inSearch && (e.key === "ArrowDown" || e.key === "Enter")) return "next";
  if (e.inField) return null;
  if (e.inDocument && (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Enter")) return null;
  const hit = SHORTCUTS.find((s) => s.keys.includes(e.key));
  return hit ? hit.action : null;
}

/** "ArrowDown" -> "↓" for the help panel. */
export function keyName(key: string): string {
  return (
    { ArrowDown: "↓ (down arrow)", ArrowUp: "↑ (up arrow)", Escape: "Esc", Enter: "Enter" } as Record<string, string>
  )[key] ?? key;
}
