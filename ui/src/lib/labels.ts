// Words and tag colours used across the inbox and the document view (see ui-conventions.md).
import type { DocumentKind } from "../bindings/DocumentKind";
import type { DocumentStatus } from "../bindings/DocumentStatus";
import { h } from "../widgets/dom";

export const KINDS: { id: DocumentKind; label: string }[] = [
  { id: "inpatient-discharge", label: "Inpatient discharge" },
  { id: "emergency-discharge", label: "Emergency care discharge" },
  { id: "mental-health-discharge", label: "Mental health discharge" },
  { id: "outpatient-letter", label: "Outpatient letter" },
  { id: "response", label: "Response" },
  { id: "unknown", label: "Unknown document" },
];

export function kindLabel(kind: DocumentKind): string {
  return KINDS.find((k) => k.id === kind)?.label ?? kind;
}

/** nhsuk-tag colour modifier for each tag meaning. */
type TagColour = "blue" | "orange" | "green" | "red" | "grey" | "yellow" | "white" | "purple";

export function tag(text: string, colour: TagColour, extra = ""): HTMLElement {
  return h("strong", { class: `nhsuk-tag nhsuk-tag--${colour} app-tag ${extra}`.trim() }, text);
}

/** The document statuses, and the states the list shows beside them. */
type Shown = DocumentStatus | "quarantined" | "superseded";

const STATUS: Record<Shown, { label: string; colour: TagColour }> = {
  new: { label: "New", colour: "blue" },
  "needs-gp-review": { label: "Needs GP review", colour: "purple" },
  "needs-action": { label: "Needs action", colour: "orange" },
  unmatched: { label: "Unmatched", colour: "red" },
  filed: { label: "Filed", colour: "green" },
  rejected: { label: "Rejected", colour: "grey" },
  quarantined: { label: "Quarantined", colour: "red" },
  superseded: { label: "Superseded", colour: "grey" },
};

export function statusLabel(status: Shown): string {
  return STATUS[status].label;
}

export function statusTag(status: Shown): HTMLElement {
  const s = STATUS[status];
  return tag(s.label, s.colour, "app-tag--status");
}

/** Each kind of document has its own colour (with its name: never colour alone). */
const KIND_COLOUR: Record<DocumentKind, "blue" | "red" | "purple" | "green" | "grey"> = {
  "inpatient-discharge": "blue",
  "emergency-discharge": "red",
  "mental-health-discharge": "purple",
  "outpatient-letter": "green",
  response: "grey",
  unknown: "grey",
};

export function kindColour(kind: DocumentKind): string {
  return KIND_COLOUR[kind] ?? "grey";
}
