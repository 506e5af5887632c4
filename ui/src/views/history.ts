// A document's history in its work panel: who did what to it, oldest first. On a computer of a
// practice it is everyone's steps on the document (from the practice's log), with this
// computer's own entries that are not in it (the document arriving and being matched here, its
// steps not yet on the practice server, marked Pending, or refused by it). Openings ("viewed")
// are counted, not listed: the audit trail lists them.
import type { AuditEntry } from "../bindings/AuditEntry";
import { formatDateTime } from "../lib/format";
import { tag } from "../lib/labels";
import { asRecorded, eventKindLabel, roleLabel, type Names } from "../lib/workflow";
import { h } from "../widgets/dom";

type Entry = Pick<AuditEntry, "log" | "seq" | "at" | "actor" | "role" | "kind" | "state">;

/** Who did it, in words ("Handover" for what it did by itself; a login by its display name). */
export function historyWho(e: Pick<Entry, "actor" | "role">, names: Names = asRecorded): string {
  if (e.actor === "system") return "Handover";
  const who = names(e.actor);
  return e.role ? `${who} (${roleLabel(e.role)})` : who;
}

/** The history as a collapsed list, newest last; null when there is nothing to show. */
export function renderHistory(events: Entry[], names: Names = asRecorded): HTMLElement | null {
  const steps = events.filter((e) => e.kind !== "viewed");
  const opened = events.length - steps.length;
  if (!events.length) return null;
  return h(
    "details",
    { class: "app-work__box app-work__history", id: "work-history", "data-testid": "history" },
    h("summary", { class: "app-work__heading" }, `History (${steps.length} ${steps.length === 1 ? "step" : "steps"})`),
    steps.length
      ? h(
          "ol",
          { class: "app-work__historylist" },
          steps.map((e) =>
            h(
              "li",
              { "data-log": e.log, "data-state": e.state, "data-kind": e.kind },
              h("span", { class: "app-nowrap" }, formatDateTime(e.at)),
              " ",
              h("strong", {}, eventKindLabel(e.kind)),
              ` by ${historyWho(e, names)}`,
              e.state === "pending" ? [" ", tag("Pending", "orange")] : null,
              e.state === "refused" ? [" ", tag("Refused by the practice", "red"), " (it changed nothing)"] : null,
            ),
          ),
        )
      : null,
    opened ? h("p", { class: "app-work__hint" }, `Opened ${opened === 1 ? "once" : `${opened} times`}: who and when is in the audit trail.`) : null,
  );
}
