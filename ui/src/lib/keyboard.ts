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
  | "undo"
  | "sync"
  | "queue-new"
  | "queue-needs-action"
  | "queue-quarantine"
  | "queue-filed"
  | "queue-all"
  | "queue-needs-gp-review"
  | "queue-unmatched"
  | "queue-rejected"
  | "queue-superseded"
  | "tasks"
  | "match"
  | "reject"
  | "assign"
  | "claim"
  | "next-undecided"
  | "mark-for-filing"
  | "file-marked"
  | "switch-user"
  | "audit"
  | "jump-summary"
  | "jump-medicines"
  | "medrec"
  | "jump-actions"
  | "next-section"
  | "previous-section"
  | "zoom-in"
  | "zoom-out"
  | "zoom-reset";

export interface Shortcut {
  keys: string[];
  /** Pressed with Ctrl (or Cmd). */
  ctrl?: boolean;
  action: Action;
  description: string;
  /** The help panel's group. */
  group: "List" | "Document" | "Workflow" | "Queues" | "Window";
}

export const SHORTCUTS: Shortcut[] = [
  { keys: ["j", "ArrowDown"], action: "next", description: "Next document in the list (it opens beside the list)", group: "List" },
  { keys: ["k", "ArrowUp"], action: "previous", description: "Previous document in the list", group: "List" },
  { keys: ["Enter"], action: "open", description: "Move into the open document to read it", group: "List" },
  { keys: ["Escape"], action: "back", description: "Back to the list (or close this panel)", group: "List" },
  { keys: ["x"], action: "mark-for-filing", description: "Mark or unmark the selected document for filing together (only documents with no actions for the practice)", group: "List" },
  { keys: ["F"], action: "file-marked", description: "File every marked document", group: "List" },
  { keys: ["/"], action: "search", description: "Search patient name, NHS number or document text, in every queue", group: "List" },
  { keys: ["f"], action: "file", description: "File the open document (the next one opens)", group: "Document" },
  { keys: ["a"], action: "needs-action", description: "Mark the open document as needs action (the next one opens)", group: "Document" },
  { keys: ["n"], action: "mark-new", description: "Move the open document back to New", group: "Document" },
  { keys: ["u"], action: "undo", description: "Undo the last File or Needs action (while its message shows)", group: "Document" },
  { keys: ["g"], action: "jump-summary", description: "Go to the summary at the top of the document", group: "Document" },
  { keys: ["m"], action: "jump-medicines", description: "Go to the medicines", group: "Document" },
  { keys: ["p"], action: "jump-actions", description: "Go to the plan and requested actions", group: "Document" },
  { keys: ["]"], action: "next-section", description: "Go to the next section", group: "Document" },
  { keys: ["["], action: "previous-section", description: "Go to the previous section", group: "Document" },
  { keys: ["y"], action: "medrec", description: "Go to the medicines reconciliation (the next row without a decision, else Sign off)", group: "Workflow" },
  { keys: ["d"], action: "next-undecided", description: "Go to the next requested action that has no decision yet", group: "Workflow" },
  { keys: ["i"], action: "match", description: "Go to the patient match (match to the register, awaiting registration)", group: "Workflow" },
  { keys: ["r"], action: "reject", description: "Reject the open document as not known to the practice (asks for a reason)", group: "Workflow" },
  { keys: ["w"], action: "assign", description: "Assign the open document to a person or a role", group: "Workflow" },
  { keys: ["c"], action: "claim", description: "Claim the open document (assign it to yourself)", group: "Workflow" },
  { keys: ["t"], action: "tasks", description: "Show the Tasks view (reconciliations to sign off, delegated actions)", group: "Workflow" },
  { keys: ["l"], action: "audit", description: "Show the audit trail and the conservation report (practice manager, GP)", group: "Workflow" },
  { keys: ["1"], action: "queue-new", description: "Show the New queue", group: "Queues" },
  { keys: ["2"], action: "queue-needs-action", description: "Show the Needs action queue", group: "Queues" },
  { keys: ["3"], action: "queue-quarantine", description: "Show the Quarantine queue", group: "Queues" },
  { keys: ["4"], action: "queue-filed", description: "Show the Filed queue", group: "Queues" },
  { keys: ["5"], action: "queue-all", description: "Show all documents", group: "Queues" },
  { keys: ["6"], action: "queue-needs-gp-review", description: "Show the Needs GP review queue", group: "Queues" },
  { keys: ["7"], action: "queue-unmatched", description: "Show the Unmatched queue", group: "Queues" },
  { keys: ["8"], action: "queue-rejected", description: "Show the Rejected queue", group: "Queues" },
  { keys: ["9"], action: "queue-superseded", description: "Show the Superseded queue", group: "Queues" },
  { keys: ["s"], action: "sync", description: "Sync now", group: "Window" },
  { keys: ["U"], action: "switch-user", description: "Switch who is working", group: "Window" },
  { keys: ["=", "+"], ctrl: true, action: "zoom-in", description: "Larger text", group: "Window" },
  { keys: ["-"], ctrl: true, action: "zoom-out", description: "Smaller text", group: "Window" },
  { keys: ["0"], ctrl: true, action: "zoom-reset", description: "Text back to normal size", group: "Window" },
  { keys: ["?"], action: "help", description: "Show or hide these shortcuts", group: "Window" },
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
  if (e.altKey) return null;
  if (e.ctrlKey || e.metaKey) {
    // Only the text size keys, which work everywhere (in fields too).
    const hit = SHORTCUTS.find((s) => s.ctrl && s.keys.includes(e.key));
    return hit ? hit.action : null;
  }
  if (e.key === "Escape") return "back";
  if (e.inSearch && (e.key === "ArrowDown" || e.key === "Enter")) return "next";
  if (e.inField) return null;
  if (e.inDocument && (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Enter")) return null;
  const hit = SHORTCUTS.find((s) => !s.ctrl && s.keys.includes(e.key));
  return hit ? hit.action : null;
}

/** "ArrowDown" -> "↓" for the help panel. */
export function keyName(key: string, ctrl = false): string {
  const name =
    ({ ArrowDown: "↓ (down arrow)", ArrowUp: "↑ (up arrow)", Escape: "Esc", Enter: "Enter", F: "Shift + f", U: "Shift + u" } as Record<string, string>)[key] ?? key;
  return ctrl ? `Ctrl + ${name}` : name;
}
