// Words and tag colours used across the inbox and the document view (see ui-conventions.md).
import { h } from "../widgets/dom";

export const KINDS: { id: string; label: string }[] = [
  { id: "inpatient-discharge", label: "Inpatient discharge" },
  { id: "emergency-discharge", label: "Emergency care discharge" },
  { id: "mental-health-discharge", label: "Mental health discharge" },
  { id: "outpatient-letter", label: "Outpatient letter" },
  { id: "response", label: "Response" },
  { id: "unknown", label: "Unknown document" },
];

export function kindLabel(kind: string): string {
  return KINDS.find((k) => k.id === kind)?.label ?? kind;
}

/** nhsuk-tag colour modifier for each tag meaning. */
type TagColour = "blue" | "orange" | "green" | "red" | "grey" | "yellow" | "white" | "purple";

export function tag(text: string, colour: TagColour, extra = ""): HTMLElement {
  return h("strong", { class: `nhsuk-tag nhsuk-tag--${colour} app-tag ${extra}`.trim() }, text);
}

const STATUS: Record<string, { label: string; colour: TagColour }> = {
  new: { label: "New", colour: "blue" },
  "needs-action": { label: "Needs action", colour: "orange" },
  filed: { label: "Filed", colour: "green" },
  quarantined: { label: "Quarantined", colour: "red" },
  superseded: { label: "Superseded", colour: "grey" },
};

export function statusLabel(status: string): string {
  return STATUS[status]?.label ?? status;
}

export function statusTag(status: string): HTMLElement {
  const s = STATUS[status] ?? { label: status, colour: "grey" as const };
  return tag(s.label, s.colour, "app-tag--status");
}
