// "What changed from the version it replaces": the section-by-section comparison (lib/diff.ts)
// drawn under a replacement's header, once the replaced document has been fetched.
import type { DocumentDiff, SectionDiff } from "../lib/diff";
import { formatDateTime } from "../lib/format";
import { tag } from "../lib/labels";
import { h } from "../widgets/dom";

const STATUS: Record<SectionDiff["status"], [string, "green" | "red" | "orange" | "grey"]> = {
  added: ["Added", "green"],
  removed: ["Removed", "red"],
  changed: ["Changed", "orange"],
  unchanged: ["Unchanged", "grey"],
};

function lines(kind: "added" | "removed", list: string[]): HTMLElement | null {
  if (!list.length) return null;
  return h(
    "ul",
    { class: `app-compare__lines app-compare__lines--${kind}` },
    list.map((l) => h("li", {}, h("span", { class: "app-compare__sign", "aria-hidden": "true" }, kind === "added" ? "+ " : "− "), h("span", { class: "nhsuk-u-visually-hidden" }, kind === "added" ? "Added: " : "Removed: "), l)),
  );
}

/** The comparison, or the reason it cannot be shown. `receivedAt`: when the replaced version came. */
export function renderComparison(diff: DocumentDiff, receivedAt: string, jumpToSection: (index: number) => void): HTMLElement {
  const changed = diff.sections.filter((s) => s.status !== "unchanged");
  const unchanged = diff.sections.filter((s) => s.status === "unchanged");
  const m = diff.medicines;
  const medChanges = m.added.length + m.removed.length + m.changed.length;
  return h(
    "div",
    { class: "app-compare__body", "data-testid": "comparison" },
    h(
      "p",
      { class: "app-compare__intro" },
      diff.same
        ? `No differences found from the version received ${formatDateTime(receivedAt)}.`
        : `Compared with the version received ${formatDateTime(receivedAt)}: ${changed.length} ${changed.length === 1 ? "section" : "sections"} differ${medChanges ? `, and ${medChanges} coded ${medChanges === 1 ? "medicine" : "medicines"}` : ""}.`,
    ),
    medChanges
      ? h(
          "div",
          { class: "app-compare__section", "data-status": "changed", "data-testid": "comparison-medicines" },
          h("h4", { class: "app-compare__title" }, tag("Changed", "orange", "app-tag--small"), " Coded medicines"),
          lines("added", [...m.added.map((n) => `${n} (added)`), ...m.changed.map((c) => `${c.name}: now ${c.now}`)]),
          lines("removed", [...m.removed.map((n) => `${n} (no longer listed)`), ...m.changed.map((c) => `${c.name}: was ${c.was}`)]),
        )
      : null,
    changed.map((s) => {
      const [word, colour] = STATUS[s.status];
      const index = s.index;
      return h(
        "div",
        { class: "app-compare__section", "data-status": s.status },
        h(
          "h4",
          { class: "app-compare__title" },
          tag(word, colour, "app-tag--small"),
          ` ${s.title} `,
          index !== null ? h("button", { type: "button", class: "app-linkbutton app-summary__source", onclick: () => jumpToSection(index) }, "go to section") : null,
        ),
        lines("added", s.added),
        lines("removed", s.removed),
      );
    }),
    unchanged.length ? h("p", { class: "app-muted app-small" }, `Unchanged: ${unchanged.map((s) => s.title).join(", ")}.`) : null,
  );
}
