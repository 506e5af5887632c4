// The audit view: the events (filtered by person, kind, document, dates and, on a desktop of a
// practice, log), Verify (each hash chain: ok, or the first bad event), Export CSV (practice
// manager), and the conservation report (every message received accounted for, per day and in
// total; a loud warning when it does not add up).
//
// On a desktop of a practice the trail is the practice's log (everyone's steps) with this
// computer's own entries that are not in it (arrivals and automatic matching, which each
// computer derives itself; its steps not yet accepted, marked pending or refused); each entry
// says which log it is in, and Verify checks this computer's log, its copy of the practice's
// and the server's.
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditLog } from "../bindings/AuditLog";
import type { AuditQuery } from "../bindings/AuditQuery";
import type { AuditTrailVerification } from "../bindings/AuditTrailVerification";
import type { AuditVerification } from "../bindings/AuditVerification";
import type { ConservationLine } from "../bindings/ConservationLine";
import type { ConservationReport } from "../bindings/ConservationReport";
import { DATE_EXAMPLE, parseUkDate } from "../lib/dates";
import { formatDate, formatDateTime } from "../lib/format";
import { asRecorded, eventKindLabel, roleLabel, type Names } from "../lib/workflow";
import { clear, h } from "../widgets/dom";

export interface AuditActions {
  search: (query: AuditQuery) => void;
  verify: () => void;
  export: () => void;
}

export const AUDIT_PAGE = 200;

/** The details of an event in a line ("reason: wrong patient; nhs_number: 943…"). */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join("; ");
}

function dayOf(text: string): string | null {
  const day = text.trim() ? parseUkDate(text) : null;
  return day && day.ok ? day.iso : null;
}

/** The filter fields as a query (blank fields are no filter; dates typed dd-Mmm-yyyy). */
export function auditQuery(f: { actor: string; kind: string; document: string; from: string; to: string; log?: string }, offset = 0): AuditQuery {
  const doc = f.document.trim();
  const log: AuditLog | null = f.log === "practice" || f.log === "desktop" ? f.log : null;
  return {
    log,
    actor: f.actor.trim() || null,
    kind: f.kind.trim() || null,
    document_id: /^\d+$/.test(doc) ? Number(doc) : null,
    from: dayOf(f.from),
    to: dayOf(f.to),
    newest_first: true,
    offset,
    limit: AUDIT_PAGE,
  };
}

/** Which log an entry is in, and its number there ("Practice 12", "This computer 45"). */
export function entryPlace(e: Pick<AuditEntry, "log" | "seq">): string {
  return `${e.log === "practice" ? "Practice" : "This computer"} ${e.seq}`;
}

/** A tag for this computer's steps the practice has not accepted. */
function stateTag(e: AuditEntry): HTMLElement | null {
  if (e.state === "pending") return h("div", {}, h("strong", { class: "nhsuk-tag nhsuk-tag--yellow app-tag", title: "Not yet in the practice's log: it is sent when the practice server can be reached" }, "Pending"));
  if (e.state === "refused") return h("div", {}, h("strong", { class: "nhsuk-tag nhsuk-tag--red app-tag", title: "The practice server refused it: someone else had filed or changed the document first. It changed nothing." }, "Refused by the practice"));
  return null;
}

export class AuditPage {
  readonly heading = h("h1", { class: "nhsuk-heading-l app-page__title", id: "audit-heading", tabindex: "-1" }, "Audit trail and report");
  private readonly verifyResult = h("div", { class: "app-audit__verify", id: "verify-result", role: "status", "aria-live": "polite" });
  private readonly exportResult = h("p", { class: "app-small", id: "export-result", role: "status", "aria-live": "polite" });
  private readonly events = h("div", { class: "app-audit__events", id: "audit-events" });
  private readonly report = h("div", { class: "app-audit__report", id: "conservation-report" });
  private readonly verifyButton = h("button", { type: "button", class: "app-button", id: "audit-verify" }, "Verify the audit trail");
  private readonly exportButton = h("button", { type: "button", class: "app-button app-button--secondary", id: "audit-export" }, "Export CSV to Downloads");
  private readonly fields = {
    actor: h("input", { class: "nhsuk-input", id: "audit-actor", type: "text", autocomplete: "off" }),
    kind: h("input", { class: "nhsuk-input", id: "audit-kind", type: "text", autocomplete: "off", placeholder: "e.g. filed" }),
    document: h("input", { class: "nhsuk-input app-audit__narrow", id: "audit-document", type: "text", inputmode: "numeric", autocomplete: "off" }),
    from: h("input", { class: "nhsuk-input", id: "audit-from", type: "text", autocomplete: "off", placeholder: DATE_EXAMPLE }),
    to: h("input", { class: "nhsuk-input", id: "audit-to", type: "text", autocomplete: "off", placeholder: DATE_EXAMPLE }),
    log: h(
      "select",
      { class: "nhsuk-select", id: "audit-log" },
      h("option", { value: "" }, "Both"),
      h("option", { value: "practice" }, "The practice's"),
      h("option", { value: "desktop" }, "This computer's"),
    ) as HTMLSelectElement,
  };
  private readonly logField: HTMLElement;
  private readonly trailNote = h("p", { class: "nhsuk-body-s app-muted", id: "audit-trail-note", hidden: true });
  private practice = false;
  readonly element: HTMLElement;

  constructor(private readonly actions: AuditActions) {
    const field = (label: string, input: HTMLElement) => h("div", { class: "app-audit__field" }, h("label", { class: "nhsuk-label", for: input.id }, label), input);
    const form = h(
      "form",
      { class: "app-audit__filters", "aria-label": "Filter the events" },
      field("Person (name or login)", this.fields.actor),
      field("Kind of event", this.fields.kind),
      field("Document number", this.fields.document),
      field("From", this.fields.from),
      field("To", this.fields.to),
      (this.logField = field("Log", this.fields.log)),
      h("button", { type: "submit", class: "app-button app-button--secondary" }, "Show events"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      // Dates are typed as dd-Mmm-yyyy (or day first); one that cannot be read is said, not guessed.
      for (const input of [this.fields.from, this.fields.to]) {
        if (!input.value.trim()) continue;
        const day = parseUkDate(input.value);
        if (!day.ok) {
          this.showEvents(`${input.id === "audit-from" ? "From" : "To"}: ${day.error}`);
          input.focus();
          return;
        }
        input.value = day.display;
      }
      this.actions.search(this.query());
    });
    this.verifyButton.addEventListener("click", () => this.actions.verify());
    this.exportButton.addEventListener("click", () => this.actions.export());
    this.element = h(
      "section",
      { class: "app-page", id: "audit-page", "aria-labelledby": "audit-heading", hidden: true },
      this.heading,
      h(
        "section",
        { class: "app-audit__section", "aria-labelledby": "report-heading" },
        h("h2", { class: "nhsuk-heading-m", id: "report-heading" }, "Conservation report"),
        h("p", { class: "nhsuk-body-s app-muted" }, "Every message received is a stored document, a duplicate or quarantined; every stored document is filed, rejected, superseded or still pending in a lane."),
        this.report,
      ),
      h(
        "section",
        { class: "app-audit__section", "aria-labelledby": "events-heading" },
        h("h2", { class: "nhsuk-heading-m", id: "events-heading" }, "Events"),
        h("div", { class: "app-audit__tools" }, this.verifyButton, this.exportButton),
        this.trailNote,
        this.verifyResult,
        this.exportResult,
        form,
        this.events,
      ),
    );
  }

  query(offset = 0): AuditQuery {
    return auditQuery(
      {
        actor: this.fields.actor.value,
        kind: this.fields.kind.value,
        document: this.fields.document.value,
        from: this.fields.from.value,
        to: this.fields.to.value,
        log: this.practice ? this.fields.log.value : "",
      },
      offset,
    );
  }

  /** Which tools the person's role may use, and whether this computer is a desktop of a practice (two logs). */
  permit(verify: boolean, exportCsv: boolean, practice = false): void {
    this.verifyButton.hidden = !verify;
    this.exportButton.hidden = !exportCsv;
    this.practice = practice;
    this.logField.hidden = !practice;
    this.trailNote.hidden = !practice;
    this.trailNote.textContent = practice
      ? "The practice's log (everyone's steps, from every computer) with this computer's own entries that are not in it: documents arriving and matched automatically here, and its steps not yet accepted by the practice server."
      : "";
  }

  showVerification(v: AuditTrailVerification | string): void {
    clear(this.verifyResult);
    if (typeof v === "string") {
      this.verifyResult.append(h("p", { class: "nhsuk-error-message" }, v));
      return;
    }
    const count = (a: AuditVerification) => `${a.events.toLocaleString("en-GB")} event${a.events === 1 ? "" : "s"}`;
    const line = (what: string, a: AuditVerification) =>
      a.ok
        ? h("li", { "data-log-ok": "true" }, `${what}: all ${count(a)} intact and in order.`)
        : h("li", { "data-log-ok": "false" }, h("strong", {}, `${what} does not verify: `), `the first bad event is number ${a.first_bad_event ?? "unknown"}${a.problem ? ` (${a.problem})` : ""}.`);
    const lines: HTMLElement[] = [];
    if (v.practice) {
      lines.push(line("This computer's log", v.desktop), line("This computer's copy of the practice's log", v.practice));
      const server = v.server;
      if (server?.verification) lines.push(line("The practice server's log", server.verification));
      else if (server) lines.push(h("li", { "data-log-ok": "unknown" }, `The practice server's log was not checked: ${server.why ?? "unknown reason"}. Verify again when it can be reached.`));
    }
    this.verifyResult.append(
      v.ok
        ? h(
            "div",
            { class: "app-audit__ok", "data-testid": "verify-ok" },
            h("strong", {}, "The audit trail verifies: "),
            v.practice ? "" : `all ${count(v.desktop)} are intact and in order.`,
            lines.length ? h("ul", { class: "app-audit__logs" }, lines) : null,
          )
        : h(
            "div",
            { class: "app-audit__bad", role: "alert", "data-testid": "verify-bad" },
            h("strong", {}, "The audit trail does not verify. "),
            v.practice
              ? ""
              : `The first bad event is number ${v.desktop.first_bad_event ?? "unknown"}${v.desktop.problem ? `: ${v.desktop.problem}` : ""}. `,
            "Tell the practice manager; do not change the records.",
            lines.length ? h("ul", { class: "app-audit__logs" }, lines) : null,
          ),
    );
  }

  showExport(text: string, error = false): void {
    this.exportResult.textContent = text;
    this.exportResult.classList.toggle("nhsuk-error-message", error);
  }

  /** The entries; with `names`, logins are shown by the practice's display names (the login beside). */
  showEvents(events: AuditEntry[] | string, names: Names = asRecorded): void {
    clear(this.events);
    if (typeof events === "string") {
      this.events.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `The events could not be loaded: ${events}`));
      return;
    }
    if (!events.length) {
      this.events.append(h("p", { class: "nhsuk-body" }, "No events match."));
      return;
    }
    const practice = this.practice || events.some((e) => e.log === "practice");
    this.events.append(
      h(
        "table",
        { class: "nhsuk-table app-table app-audit__table", "data-testid": "audit-events" },
        h("caption", { class: "nhsuk-table__caption app-table__caption" }, `Newest first: ${events.length}${events.length === AUDIT_PAGE ? " (the newest " + AUDIT_PAGE + "; narrow the filters to see older ones)" : ""} events`),
        h("thead", {}, h("tr", {}, [practice ? "Log and #" : "#", "When", "Person", "Event", "Document", "Details"].map((c) => h("th", { scope: "col", class: c === "Details" ? "nhsuk-table__header" : "nhsuk-table__header app-nowrap" }, c)))),
        h(
          "tbody",
          {},
          events.map((e) =>
            h(
              "tr",
              { "data-seq": e.seq, "data-kind": e.kind, "data-log": e.log, "data-state": e.state },
              h("td", { class: "app-nowrap" }, practice ? entryPlace(e) : String(e.seq)),
              h("td", { class: "app-nowrap" }, formatDateTime(e.at)),
              h(
                "td",
                {},
                names(e.actor),
                names(e.actor) !== e.actor ? h("div", { class: "app-small app-muted" }, `login ${e.actor}`) : null,
                e.role ? h("div", { class: "app-small app-muted" }, roleLabel(e.role)) : null,
                h("div", { class: "app-small app-muted" }, `${e.os_user} on ${e.device}`),
              ),
              h("td", {}, eventKindLabel(e.kind), stateTag(e)),
              h("td", {}, e.document_id === null ? (e.document_key && e.log === "practice" ? h("span", { class: "app-small app-muted" }, "not on this computer") : "") : String(e.document_id)),
              h("td", { class: "app-audit__details" }, detailsText(e.details)),
            ),
          ),
        ),
      ),
    );
  }

  showReport(r: ConservationReport | string): void {
    clear(this.report);
    if (typeof r === "string") {
      this.report.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `The report could not be made: ${r}`));
      return;
    }
    const line = (l: ConservationLine, total = false) =>
      h(
        "tr",
        { class: `${total ? "app-audit__total" : ""}${l.balanced ? "" : " app-audit__unbalanced"}`.trim() || null, "data-day": l.day },
        h(total ? "th" : "td", total ? { scope: "row" } : {}, total ? "Total" : formatDate(l.day)),
        h("td", {}, String(l.received)),
        h("td", {}, String(l.stored)),
        h("td", {}, String(l.duplicates)),
        h("td", {}, String(l.quarantined)),
        h("td", {}, String(l.by_status.filed)),
        h("td", {}, String(l.by_status.rejected)),
        h("td", {}, String(l.by_status.superseded)),
        h("td", {}, String(l.pending)),
        h("td", {}, l.balanced ? "Adds up" : h("strong", { class: "app-audit__alarm" }, "Does not add up")),
      );
    this.report.append(
      r.balanced
        ? h("p", { class: "app-audit__ok", "data-testid": "report-balanced" }, h("strong", {}, "Balanced: "), "every message received is accounted for.")
        : h(
            "div",
            { class: "app-audit__bad", role: "alert", "data-testid": "report-unbalanced" },
            h("strong", {}, "The numbers do not add up. "),
            "Some messages or documents are not accounted for: this is a fault in Handover. Do not delete anything; report it with the rows marked below.",
          ),
      h(
        "p",
        { class: "app-small" },
        r.oldest_pending_received_at
          ? `Oldest document still pending: received ${formatDateTime(r.oldest_pending_received_at)}${r.oldest_pending_hours !== null ? ` (${r.oldest_pending_hours} hours ago)` : ""}.`
          : "No documents are pending.",
        ` ITK responses and MESH reports received (not documents): ${r.responses_and_reports}.`,
      ),
      h(
        "div",
        { class: "app-audit__scroll" },
        h(
          "table",
          { class: "nhsuk-table app-table app-audit__report-table", "data-testid": "conservation" },
          h("caption", { class: "nhsuk-table__caption app-table__caption" }, "Per day received (newest first) and in total"),
          h("thead", {}, h("tr", {}, ["Day", "Received", "Stored", "Duplicates", "Quarantined", "Filed", "Rejected", "Superseded", "Pending", "Check"].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)))),
          h("tbody", {}, line(r.total, true), r.days.map((d) => line(d))),
        ),
      ),
    );
  }
}
